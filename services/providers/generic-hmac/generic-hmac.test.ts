import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  nowSeconds,
  test,
} from '../testing.ts';
import { provider, renderTemplate, validateOptions } from './index.ts';

const SECRET = 'typeform-secret';
const OLD = 'typeform-old';
const body = fixture('generic-hmac', 'typeform-form_response.json').toString('utf8');
// Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(body)>`.
const TYPEFORM = {
  signatureHeader: 'Typeform-Signature',
  algorithm: 'sha256',
  encoding: 'base64',
  prefix: 'sha256=',
  eventIdPath: 'event_id',
  eventTypePath: 'event_type',
  resourceType: 'form',
  resourceIdPath: 'form_response.form_id',
  occurredAtPath: 'form_response.submitted_at',
};
const tf = (payload: string, secret = SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(payload).digest('base64')}`;

describe('generic-hmac verify', () => {
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid (Typeform preset)', headers: { 'typeform-signature': tf(body) }, want: true },
    {
      name: 'tampered body',
      headers: { 'typeform-signature': tf(body) },
      body: body.replace('cold', 'warm'),
      want: 'bad_signature',
    },
    { name: 'wrong secret', headers: { 'typeform-signature': tf(body, 'x') }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'missing prefix', headers: { 'typeform-signature': tf(body).slice(7) }, want: 'malformed_signature' },
    {
      name: 'rotated: old secret accepted',
      headers: { 'typeform-signature': tf(body, OLD) },
      secrets: [SECRET, OLD],
      want: true,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ headers: c.headers, body: c.body ?? body });
      assertVerify(provider.verify(req, makeSource('generic-hmac', c.secrets ?? [SECRET], TYPEFORM)), c.want);
    });
  }

  test('oracle: GitHub-style config verified against @octokit/webhooks-methods', async () => {
    const src = makeSource('generic-hmac', [SECRET], { signatureHeader: 'X-Hub-Signature-256', prefix: 'sha256=' });
    assertVerify(
      provider.verify(makeRequest({ headers: { 'x-hub-signature-256': await octokitSign(SECRET, body) }, body }), src),
      true,
    );
  });

  describe('timestamped template (Standard Webhooks expressed as generic, oracle-signed)', () => {
    const key = `whsec_${randomBytes(24).toString('base64')}`;
    const opts = {
      signatureHeader: 'x-sig',
      encoding: 'base64',
      prefix: 'v1,',
      secretEncoding: 'whsec',
      signedTemplate: 'msg_1.{timestamp}.{body}',
      timestampHeader: 'x-ts',
    };
    const req = (ts: number, payload = body) =>
      makeRequest({
        headers: { 'x-sig': new Webhook(key).sign('msg_1', new Date(ts * 1000), body), 'x-ts': String(ts) },
        body: payload,
      });
    const src = makeSource('generic-hmac', [key], opts);
    test('valid', () => assertVerify(provider.verify(req(nowSeconds()), src), true));
    test('tampered', () =>
      assertVerify(provider.verify(req(nowSeconds(), body.replace('cold', 'hot')), src), 'bad_signature'));
    test('stale', () => assertVerify(provider.verify(req(nowSeconds() - 301), src), 'stale_timestamp'));
    test('future', () => assertVerify(provider.verify(req(nowSeconds() + 301), src), 'future_timestamp'));
    test('missing timestamp header', () => {
      const r = req(nowSeconds());
      const headers = { 'x-sig': r.headers['x-sig'] };
      assertVerify(provider.verify(makeRequest({ headers, body }), src), 'missing_signature');
    });
  });

  test('ms timestamps, sha512 hex, {method} and {url}', () => {
    const ts = String(Date.now());
    const url = 'https://hooks.example.com/webhooks/x?a=1';
    const sig = createHmac('sha512', SECRET).update(`POST\n${url}\n${ts}\n${body}`).digest('hex');
    const src = makeSource('generic-hmac', [SECRET], {
      signatureHeader: 'x-s',
      algorithm: 'sha512',
      signedTemplate: '{method}\n{url}\n{timestamp}\n{body}',
      timestampHeader: 'x-t',
      timestampUnit: 'ms',
    });
    assertVerify(provider.verify(makeRequest({ url, headers: { 'x-s': sig, 'x-t': ts }, body }), src), true);
  });

  test('invalid options fail closed', () => {
    assertVerify(
      provider.verify(
        makeRequest({ headers: { 'x-s': 'ab' }, body }),
        makeSource('generic-hmac', [SECRET], { algorithm: 'md5' }),
      ),
      'unsupported',
    );
  });

  test('renderTemplate keeps body bytes exact', () => {
    const raw = Buffer.from([0xff, 0x00, 0x41]);
    const out = renderTemplate('a{body}b', makeRequest({ body: raw }), undefined);
    assert.deepEqual(out, Buffer.concat([Buffer.from('a'), raw, Buffer.from('b')]));
  });
});

describe('generic-hmac validateOptions', () => {
  const cases: { name: string; options: Record<string, unknown>; problems: number }[] = [
    { name: 'typeform preset is fine', options: TYPEFORM, problems: 0 },
    { name: 'no header', options: {}, problems: 1 },
    {
      name: 'bad algorithm and encoding',
      options: { signatureHeader: 'x', algorithm: 'md5', encoding: 'hexx' },
      problems: 2,
    },
    {
      name: '{timestamp} without header',
      options: { signatureHeader: 'x', signedTemplate: '{timestamp}.{body}' },
      problems: 1,
    },
    { name: 'template without {body}', options: { signatureHeader: 'x', signedTemplate: '{timestamp}' }, problems: 1 },
    { name: 'unknown placeholder', options: { signatureHeader: 'x', signedTemplate: '{nonce}.{body}' }, problems: 1 },
    { name: 'sequence without resource', options: { signatureHeader: 'x', sequencePath: 'seq' }, problems: 1 },
    {
      name: 'two orderings',
      options: { signatureHeader: 'x', sequencePath: 'seq', versionPath: 'v', resourceIdPath: 'id' },
      problems: 1,
    },
    {
      name: 'statusPath without ranks',
      options: { signatureHeader: 'x', statusPath: 's', resourceIdPath: 'id' },
      problems: 1,
    },
  ];
  for (const c of cases)
    test(c.name, () =>
      assert.equal(validateOptions(c.options).length, c.problems, validateOptions(c.options).join('; ')),
    );
});

describe('generic-hmac interpret/normalize (mapping)', () => {
  const source = makeSource('generic-hmac', [SECRET], TYPEFORM);
  test('interpret extracts mapped facts', () => {
    const out = provider.interpret(makeRequest({ headers: { 'content-type': 'application/json' }, body }), source);
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: 'LtWXD3crgy',
      eventType: 'form_response',
      resourceType: 'form',
      resourceId: 'lT4Z3j',
    });
  });
  test('normalize Typeform example', () => {
    const n = provider.normalize(makeRecord('generic-hmac', body), source);
    assert.deepEqual(
      [n.dedupeKey, n.eventType, n.resourceType, n.resourceId, n.occurredAt],
      ['LtWXD3crgy', 'form_response', 'form', 'lT4Z3j', Date.parse('2018-01-18T18:17:02Z')],
    );
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });
  test('sequencePath → SEQUENCE', () => {
    const src = makeSource('generic-hmac', [SECRET], {
      signatureHeader: 'x',
      resourceType: 'book',
      resourceIdPath: 'symbol',
      sequencePath: 'seq',
      eventIdPath: 'id',
    });
    const n = provider.normalize(makeRecord('generic-hmac', '{"id":"e1","symbol":"BTC-EUR","seq":"1042"}'), src);
    assert.deepEqual(n.ordering, { kind: 'SEQUENCE', value: 1042, statusRank: null });
  });
  test('statusPath → STATUS with configured ranks', () => {
    const src = makeSource('generic-hmac', [SECRET], {
      signatureHeader: 'x',
      resourceIdPath: 'id',
      statusPath: 'state',
      statusRanks: { new: 1, done: 2 },
      occurredAtPath: 'at',
    });
    const n = provider.normalize(makeRecord('generic-hmac', '{"id":"o1","state":"done","at":1700000000}'), src);
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: 1700000000000, statusRank: 2 });
  });
  test('form body becomes a JSON payload; no id → body hash', () => {
    const src = makeSource('generic-hmac', [SECRET], { signatureHeader: 'x' });
    const n = provider.normalize(
      makeRecord('generic-hmac', 'a=1&b=two', { contentType: 'application/x-www-form-urlencoded' }),
      src,
    );
    assert.equal(n.payload, '{"a":"1","b":"two"}');
    assert.match(n.dedupeKey, /^sha256:/);
    assert.equal(n.resourceId, n.dedupeKey);
  });
  const broken: {
    name: string;
    body: string;
    opts?: Record<string, unknown>;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: 'x', reason: 'unparseable' },
    { name: 'array', body: '[]', reason: 'unexpected_payload' },
    {
      name: 'no event_id',
      body: '{"event_type":"a","form_response":{"form_id":"f","submitted_at":"2018-01-18T18:17:02Z"}}',
      reason: 'missing_field',
    },
    {
      name: 'bad submitted_at',
      body: '{"event_id":"e","event_type":"a","form_response":{"form_id":"f","submitted_at":"later"}}',
      reason: 'invalid_field',
    },
    {
      name: 'sequence not an integer',
      body: '{"symbol":"X","seq":"1.5"}',
      opts: { signatureHeader: 'x', resourceIdPath: 'symbol', sequencePath: 'seq' },
      reason: 'invalid_field',
    },
    {
      name: 'sequence missing',
      body: '{"symbol":"X"}',
      opts: { signatureHeader: 'x', resourceIdPath: 'symbol', sequencePath: 'seq' },
      reason: 'missing_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () =>
          provider.normalize(
            makeRecord('generic-hmac', c.body),
            makeSource('generic-hmac', [SECRET], c.opts ?? TYPEFORM),
          ),
        c.reason,
      ));
  }
});
