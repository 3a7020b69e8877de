import assert from 'node:assert/strict';
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
import { provider, sensitiveHeadersFor, validateOptions } from './index.ts';

const TOKEN = 'tok_8c2f1d0e9b7a6c5d4e3f2a1b';
const OLD = 'tok_old_0000000000000000';
const body = fixture('shared-token', 'coinbase-ticker.json').toString('utf8');
const FEED = {
  resourceType: 'product',
  resourceIdPath: 'product_id',
  sequencePath: 'sequence',
  eventTypePath: 'type',
  occurredAtPath: 'time',
};

describe('shared-token verify', () => {
  const base = 'https://hooks.example.com/webhooks/feed-1';
  const cases: {
    name: string;
    url?: string;
    headers?: Record<string, string>;
    options?: Record<string, unknown>;
    secrets?: string[];
    remote?: string;
    want: true | string;
  }[] = [
    { name: 'default header', headers: { 'x-webhook-token': TOKEN }, want: true },
    { name: 'default query ?token=', url: `${base}?token=${TOKEN}`, want: true },
    { name: 'custom header', headers: { 'x-feed-key': TOKEN }, options: { tokenHeader: 'X-Feed-Key' }, want: true },
    { name: 'custom query param', url: `${base}?k=${TOKEN}`, options: { tokenQuery: 'k' }, want: true },
    { name: 'last path segment', url: `${base}/${TOKEN}`, options: { tokenInPath: true }, want: true },
    { name: 'path segment not enabled', url: `${base}/${TOKEN}`, want: 'missing_signature' },
    { name: 'wrong token', headers: { 'x-webhook-token': 'guess' }, want: 'bad_token' },
    {
      name: 'one good and one bad token → refused',
      url: `${base}?token=guess`,
      headers: { 'x-webhook-token': TOKEN },
      want: 'bad_token',
    },
    { name: 'missing token', want: 'missing_signature' },
    { name: 'rotated: old token accepted', headers: { 'x-webhook-token': OLD }, secrets: [TOKEN, OLD], want: true },
    {
      name: 'no secrets configured → fail closed',
      headers: { 'x-webhook-token': TOKEN },
      secrets: [],
      want: 'bad_token',
    },
    {
      name: 'IP allowlisted',
      headers: { 'x-webhook-token': TOKEN },
      options: { allowedIps: ['52.89.214.238', '10.0.0.0/8'] },
      remote: '10.1.2.3',
      want: true,
    },
    {
      name: 'IP not allowlisted (checked before the token)',
      headers: { 'x-webhook-token': TOKEN },
      options: { allowedIps: ['52.89.214.238'] },
      remote: '203.0.113.9',
      want: 'ip_not_allowed',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({
        url: c.url ?? base,
        headers: c.headers ?? {},
        body,
        ...(c.remote ? { remoteAddress: c.remote } : {}),
      });
      assertVerify(provider.verify(req, makeSource('shared-token', c.secrets ?? [TOKEN], c.options ?? {})), c.want);
    });
  }
  test('sensitive headers include the configured token header', () => {
    assert.ok(provider.sensitiveHeaders?.includes('x-webhook-token'));
    assert.deepEqual(sensitiveHeadersFor(makeSource('shared-token', [TOKEN], { tokenHeader: 'X-Feed-Key' })), [
      'x-webhook-token',
      'x-feed-key',
    ]);
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions(FEED), []);
    assert.equal(validateOptions({ tokenHeader: '' }).length, 1);
    assert.equal(validateOptions({ tokenInPath: 'yes' }).length, 1);
    assert.equal(validateOptions({ sequencePath: 'sequence' }).length, 1);
  });
});

describe('shared-token interpret/normalize (exchange feed with sequence numbers)', () => {
  const source = makeSource('shared-token', [TOKEN], FEED);
  test('interpret', () => {
    const out = provider.interpret(makeRequest({ headers: { 'content-type': 'application/json' }, body }), source);
    assert.deepEqual(
      { ...out.items[0]?.extracted, deliveryId: 'x' },
      { deliveryId: 'x', eventType: 'ticker', resourceType: 'product', resourceId: 'ETH-USD' },
    );
    assert.match(out.items[0]?.extracted.deliveryId ?? '', /^sha256:/);
  });
  test('normalize: SEQUENCE per product', () => {
    const n = provider.normalize(makeRecord('shared-token', body), source);
    assert.deepEqual([n.eventType, n.resourceType, n.resourceId], ['ticker', 'product', 'ETH-USD']);
    assert.deepEqual(n.ordering, { kind: 'SEQUENCE', value: 37475248783, statusRank: null });
    assert.equal(n.occurredAt, Date.parse('2022-10-19T23:28:22.061Z'));
  });
  test('eventIdHeader as dedupe key', () => {
    const src = makeSource('shared-token', [TOKEN], { ...FEED, eventIdHeader: 'X-Request-Id' });
    const n = provider.normalize(makeRecord('shared-token', body, { headers: { 'x-request-id': 'req-1' } }), src);
    assert.equal(n.dedupeKey, 'req-1');
    assertNormalizeError(() => provider.normalize(makeRecord('shared-token', body), src), 'missing_field');
  });
  const broken: {
    name: string;
    body: string;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: 'ETH-USD 1285.22', reason: 'unparseable' },
    {
      name: 'no product_id',
      body: '{"type":"ticker","sequence":1,"time":"2022-10-19T23:28:22Z"}',
      reason: 'missing_field',
    },
    {
      name: 'no sequence',
      body: '{"type":"ticker","product_id":"ETH-USD","time":"2022-10-19T23:28:22Z"}',
      reason: 'missing_field',
    },
    {
      name: 'sequence not integer',
      body: '{"type":"ticker","product_id":"ETH-USD","sequence":"abc","time":"2022-10-19T23:28:22Z"}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(() => provider.normalize(makeRecord('shared-token', c.body), source), c.reason));
  }
});
