import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
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
import { provider, validateOptions } from './index.ts';

// Teams shows a base64 security token; the HMAC key is its decoded bytes.
const TOKEN = randomBytes(32).toString('base64');
const OLD = randomBytes(32).toString('base64');
const body = fixture('teams', 'message.json').toString('utf8');
const auth = (payload: string, token = TOKEN): string =>
  `HMAC ${createHmac('sha256', Buffer.from(token, 'base64')).update(payload).digest('base64')}`;

describe('teams verify', () => {
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid', headers: { authorization: auth(body) }, want: true },
    {
      name: 'tampered body',
      headers: { authorization: auth(body) },
      body: body.replace('Hello', 'Hallo'),
      want: 'bad_signature',
    },
    { name: 'wrong token', headers: { authorization: auth(body, OLD) }, want: 'bad_signature' },
    {
      name: 'token used as a utf8 string instead of decoded → rejected',
      headers: { authorization: `HMAC ${createHmac('sha256', TOKEN).update(body).digest('base64')}` },
      want: 'bad_signature',
    },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'Bearer instead of HMAC', headers: { authorization: 'Bearer abc' }, want: 'malformed_signature' },
    {
      name: 'rotated: old token accepted',
      headers: { authorization: auth(body, OLD) },
      secrets: [TOKEN, OLD],
      want: true,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ headers: c.headers, body: c.body ?? body });
      assertVerify(provider.verify(req, makeSource('teams', c.secrets ?? [TOKEN])), c.want);
    });
  }
  test('no npm oracle exists for Teams outgoing webhooks: known-answer vector instead', () => {
    // key = base64("c2VjcmV0") = "secret"; HMAC-SHA256("secret", "{}") computed independently.
    const req = makeRequest({
      headers: { authorization: 'HMAC ' + createHmac('sha256', 'secret').update('{}').digest('base64') },
      body: '{}',
    });
    assertVerify(provider.verify(req, makeSource('teams', [Buffer.from('secret').toString('base64')])), true);
  });
});

describe('teams interpret/normalize', () => {
  test('synchronous reply: default text', () => {
    const out = provider.interpret(makeRequest({ body }), makeSource('teams', [TOKEN]));
    assert.deepEqual(out.reply, {
      status: 200,
      contentType: 'application/json',
      body: '{"type":"message","text":"Received"}',
    });
    assert.equal(out.items[0]?.extracted.deliveryId, '1485983408511');
    assert.equal(out.items[0]?.extracted.resourceType, 'conversation');
  });
  test('synchronous reply: configured text', () => {
    const out = provider.interpret(makeRequest({ body }), makeSource('teams', [TOKEN], { replyText: 'On it' }));
    assert.equal(JSON.parse(out.reply?.body ?? '').text, 'On it');
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions({}), []);
    assert.equal(validateOptions({ replyText: 5 }).length, 1);
  });
  test('normalize: documented activity', () => {
    const n = provider.normalize(makeRecord('teams', body), makeSource('teams', [TOKEN]));
    assert.equal(n.dedupeKey, '1485983408511');
    assert.equal(n.eventType, 'message');
    assert.equal(n.resourceType, 'conversation');
    assert.match(n.resourceId, /^a:17I0kl9/);
    assert.equal(n.occurredAt, Date.parse('2017-02-01T21:10:07.437Z'));
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });
  test('Authorization is not stored', () => assert.deepEqual(provider.sensitiveHeaders, ['authorization']));
  const broken: {
    name: string;
    body: string;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: 'hi', reason: 'unparseable' },
    { name: 'no id', body: '{"type":"message","conversation":{"id":"c"}}', reason: 'missing_field' },
    { name: 'no conversation', body: '{"id":"1","type":"message"}', reason: 'missing_field' },
    {
      name: 'bad timestamp',
      body: '{"id":"1","type":"message","conversation":{"id":"c"},"timestamp":"never"}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () => provider.normalize(makeRecord('teams', c.body), makeSource('teams', [TOKEN])),
        c.reason,
      ));
  }
});
