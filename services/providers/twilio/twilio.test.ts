import assert from 'node:assert/strict';
import twilio from 'twilio';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  test,
} from '../testing.ts';
import { EMPTY_TWIML, provider } from './index.ts';

const TOKEN = '12345678901234567890123456789012';
const OLD = 'abcdefabcdefabcdefabcdefabcdefab';
const FORM = 'application/x-www-form-urlencoded';
const URL_ = 'https://hooks.example.com/webhooks/twilio-eu?source=sms';
const status = fixture('twilio', 'message-status-delivered.txt').toString('utf8');
const incoming = fixture('twilio', 'incoming-message.txt').toString('utf8');
const call = fixture('twilio', 'call-status-ringing.txt').toString('utf8');

const params = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));
const sig = (body: string, token = TOKEN, url = URL_): string =>
  twilio.getExpectedTwilioSignature(token, url, params(body));

describe('twilio verify (form)', () => {
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    url?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid (oracle-signed)', headers: { 'x-twilio-signature': sig(status) }, want: true },
    {
      name: 'tampered param',
      headers: { 'x-twilio-signature': sig(status) },
      body: status.replace('delivered', 'failed'),
      want: 'bad_signature',
    },
    {
      name: 'different URL (proxy URL instead of public URL)',
      headers: { 'x-twilio-signature': sig(status) },
      url: 'http://10.0.0.5:8080/webhooks/twilio-eu?source=sms',
      want: 'bad_signature',
    },
    { name: 'wrong token', headers: { 'x-twilio-signature': sig(status, OLD) }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'not base64', headers: { 'x-twilio-signature': '***' }, want: 'malformed_signature' },
    {
      name: 'rotated: old token accepted',
      headers: { 'x-twilio-signature': sig(status, OLD) },
      secrets: [TOKEN, OLD],
      want: true,
    },
    {
      name: 'signed with explicit :443 port',
      headers: { 'x-twilio-signature': sig(status, TOKEN, URL_.replace('.com/', '.com:443/')) },
      want: true,
    },
    {
      name: 'HMAC_SHA256 per signature settings (oracle)',
      headers: {
        'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, URL_, params(status), 'HMAC_SHA256'),
        'x-twilio-webhooks-signature-settings': 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256',
      },
      want: true,
    },
    {
      name: 'unknown algorithm',
      headers: { 'x-twilio-signature': sig(status), 'x-twilio-webhooks-signature-settings': 'algorithm=HMAC_MD5' },
      want: 'unsupported',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({
        url: c.url ?? URL_,
        headers: { 'content-type': FORM, ...c.headers },
        body: c.body ?? status,
      });
      assertVerify(provider.verify(req, makeSource('twilio', c.secrets ?? [TOKEN])), c.want);
    });
  }
  test('repeated params: oracle and ours agree', () => {
    const body = 'To=%2B1&MediaUrl=b&MediaUrl=a&From=%2B2';
    const signature = twilio.getExpectedTwilioSignature(TOKEN, URL_, { To: '+1', From: '+2', MediaUrl: ['b', 'a'] });
    assert.equal(twilio.validateRequest(TOKEN, signature, URL_, { To: '+1', From: '+2', MediaUrl: ['b', 'a'] }), true);
    assertVerify(
      provider.verify(
        makeRequest({ url: URL_, headers: { 'content-type': FORM, 'x-twilio-signature': signature }, body }),
        makeSource('twilio', [TOKEN]),
      ),
      true,
    );
  });
});

describe('twilio verify (JSON with bodySHA256)', () => {
  const body = '{"MessageSid":"SM1","MessageStatus":"sent"}';
  const url = `https://hooks.example.com/webhooks/twilio-eu?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
  const signature = twilio.getExpectedTwilioSignature(TOKEN, url, {});
  test('valid (oracle hash and signature)', () => {
    assert.equal(twilio.validateRequestWithBody(TOKEN, signature, url, body), true);
    assertVerify(
      provider.verify(
        makeRequest({ url, headers: { 'content-type': 'application/json', 'x-twilio-signature': signature }, body }),
        makeSource('twilio', [TOKEN]),
      ),
      true,
    );
  });
  test('tampered body: URL signature fine, body hash mismatch', () => {
    const req = makeRequest({
      url,
      headers: { 'content-type': 'application/json', 'x-twilio-signature': signature },
      body: body.replace('sent', 'read'),
    });
    assertVerify(provider.verify(req, makeSource('twilio', [TOKEN])), 'bad_signature');
  });
  test('JSON without bodySHA256 in the URL', () => {
    const req = makeRequest({
      url: 'https://hooks.example.com/x',
      headers: { 'content-type': 'application/json', 'x-twilio-signature': signature },
      body,
    });
    assertVerify(provider.verify(req, makeSource('twilio', [TOKEN])), 'malformed_signature');
  });
});

describe('twilio replies and normalize', () => {
  const source = makeSource('twilio', [TOKEN]);
  const interp = (body: string) =>
    provider.interpret(makeRequest({ url: URL_, headers: { 'content-type': FORM }, body }), source);
  test('message status callback → 204', () => {
    const out = interp(status);
    assert.deepEqual(out.reply, { status: 204 });
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: 'SM1342fe1b2c904d1ab04f0fc7a58abca9|delivered',
      eventType: 'message.delivered',
      resourceType: 'message',
      resourceId: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
    });
  });
  test('incoming message → empty TwiML', () => {
    assert.deepEqual(interp(incoming).reply, { status: 200, contentType: 'text/xml', body: EMPTY_TWIML });
  });
  test('incoming voice call (no CallbackSource) → empty TwiML', () => {
    assert.equal(interp('CallSid=CA1&CallStatus=ringing&From=%2B1').reply?.contentType, 'text/xml');
  });
  test('call progress callback → 204', () => assert.deepEqual(interp(call).reply, { status: 204 }));

  test('normalize: delivered status callback', () => {
    const rec = makeRecord('twilio', status, { contentType: FORM });
    const n = provider.normalize(rec, source);
    assert.equal(n.dedupeKey, 'SM1342fe1b2c904d1ab04f0fc7a58abca9|delivered');
    assert.equal(n.occurredAt, rec.receivedAt.getTime());
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: rec.receivedAt.getTime(), statusRank: 7 });
    assert.equal(JSON.parse(n.payload).To, '+15558675310');
  });
  test('normalize: a late "sent" ranks below "delivered"', () => {
    const n = provider.normalize(
      makeRecord('twilio', status.replaceAll('delivered', 'sent'), { contentType: FORM }),
      source,
    );
    assert.equal(n.ordering.statusRank, 5);
  });
  test('normalize: incoming message', () => {
    const n = provider.normalize(makeRecord('twilio', incoming, { contentType: FORM }), source);
    assert.equal(n.eventType, 'message.received');
    assert.equal(n.ordering.statusRank, 2);
  });
  test('normalize: call progress with Timestamp', () => {
    const n = provider.normalize(makeRecord('twilio', call, { contentType: FORM }), source);
    assert.equal(n.eventType, 'call.ringing');
    assert.equal(n.occurredAt, Date.parse('Mon, 16 Aug 2021 03:04:33 +0000'));
    assert.equal(n.ordering.statusRank, 3);
  });
  const broken: {
    name: string;
    body: string;
    ct?: string;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'no sid', body: 'From=%2B1&Body=hi', reason: 'missing_field' },
    { name: 'no status', body: 'MessageSid=SM1', reason: 'missing_field' },
    { name: 'bad Timestamp', body: 'CallSid=CA1&CallStatus=completed&Timestamp=soon', reason: 'invalid_field' },
    { name: 'JSON not parseable', body: '{', ct: 'application/json', reason: 'unparseable' },
    { name: 'JSON array', body: '[]', ct: 'application/json', reason: 'unexpected_payload' },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () => provider.normalize(makeRecord('twilio', c.body, { contentType: c.ct ?? FORM }), source),
        c.reason,
      ));
  }
});
