import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, FIXED_NOW, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider, validateOptions } from './index.ts';

const FORM = fixture('mollie', 'webhook-form.txt');
const CT = { 'content-type': 'application/x-www-form-urlencoded' };
const src = makeSource('mollie', ['tok-new', 'tok-old']);

describe('mollie verify', () => {
  const cases: {
    name: string;
    url?: string;
    headers?: Record<string, string>;
    ip?: string;
    src?: typeof src;
    want: string;
  }[] = [
    { name: 'valid query token', url: 'https://h.example/webhooks/src-1?token=tok-new', want: 'ok' },
    { name: 'rotated secret (old token) accepted', url: 'https://h.example/webhooks/src-1?token=tok-old', want: 'ok' },
    { name: 'valid header token', headers: { 'x-webhook-token': 'tok-new' }, want: 'ok' },
    { name: 'wrong token', url: 'https://h.example/webhooks/src-1?token=nope', want: 'bad_token' },
    { name: 'missing token', want: 'missing_signature' },
    {
      name: 'one good and one bad token',
      url: 'https://h.example/webhooks/src-1?token=tok-new',
      headers: { 'x-webhook-token': 'bad' },
      want: 'bad_token',
    },
    {
      name: 'path token when enabled',
      url: 'https://h.example/webhooks/src-1/tok-old',
      src: makeSource('mollie', ['tok-old'], { tokenInPath: true }),
      want: 'ok',
    },
    {
      name: 'no secrets configured fails closed',
      url: 'https://h.example/webhooks/src-1?token=x',
      src: makeSource('mollie', []),
      want: 'bad_token',
    },
    {
      name: 'IP allowlist rejects',
      url: 'https://h.example/webhooks/src-1?token=tok-new',
      ip: '198.51.100.9',
      src: makeSource('mollie', ['tok-new'], { allowedIps: ['203.0.113.0/24'] }),
      want: 'ip_not_allowed',
    },
    {
      name: 'IP allowlist accepts',
      url: 'https://h.example/webhooks/src-1?token=tok-new',
      ip: '203.0.113.77',
      src: makeSource('mollie', ['tok-new'], { allowedIps: ['203.0.113.0/24'] }),
      want: 'ok',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ url: c.url, headers: { ...CT, ...c.headers }, body: FORM, remoteAddress: c.ip });
      const r = provider.verify(req, c.src ?? src);
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
});

describe('mollie interpret and normalize', () => {
  test('interpret extracts the resource and a receive-time key', () => {
    const { items, reply } = provider.interpret(makeRequest({ body: FORM, receivedAt: FIXED_NOW }), src);
    assert.equal(reply, undefined);
    assert.equal(items.length, 1);
    assert.deepEqual(items[0]?.extracted, {
      deliveryId: `mollie|tr_d0b0E3EA3v|${FIXED_NOW.getTime()}`,
      eventType: 'payment.changed',
      resourceType: 'payment',
      resourceId: 'tr_d0b0E3EA3v',
    });
  });

  test('normalize the documented form body', () => {
    const n = provider.normalize(
      makeRecord('mollie', FORM, { contentType: 'application/x-www-form-urlencoded', receivedAt: FIXED_NOW }),
      src,
    );
    assert.deepEqual(n, {
      dedupeKey: `mollie|tr_d0b0E3EA3v|${FIXED_NOW.getTime()}`,
      eventType: 'payment.changed',
      resourceType: 'payment',
      resourceId: 'tr_d0b0E3EA3v',
      occurredAt: FIXED_NOW.getTime(),
      ordering: { kind: 'NONE', value: null, statusRank: null },
      payload: '{"id":"tr_d0b0E3EA3v"}',
    });
  });

  test('two notifications for one payment at different times are two events; a bucket collapses them', () => {
    const a = provider.normalize(makeRecord('mollie', FORM, { receivedAt: new Date(FIXED_NOW.getTime()) }), src);
    const b = provider.normalize(
      makeRecord('mollie', FORM, { receivedAt: new Date(FIXED_NOW.getTime() + 20_000) }),
      src,
    );
    assert.notEqual(a.dedupeKey, b.dedupeKey);
    const bucketed = makeSource('mollie', ['t'], { dedupeBucketSeconds: 60 });
    const c = provider.normalize(makeRecord('mollie', FORM, { receivedAt: new Date(FIXED_NOW.getTime()) }), bucketed);
    const d = provider.normalize(
      makeRecord('mollie', FORM, { receivedAt: new Date(FIXED_NOW.getTime() + 20_000) }),
      bucketed,
    );
    assert.equal(c.dedupeKey, d.dedupeKey);
  });

  test('unknown prefix passes with a generic type', () => {
    const n = provider.normalize(makeRecord('mollie', 'id=xyz_123'), src);
    assert.equal(n.resourceType, 'mollie-object');
    assert.equal(n.eventType, 'mollie-object.changed');
  });

  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'no id', body: 'foo=bar', reason: 'missing_field' },
    { name: 'empty body', body: '', reason: 'missing_field' },
    { name: 'id with junk', body: 'id=tr_1%3Cscript%3E', reason: 'invalid_field' },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () => {
      assert.throws(() => provider.normalize(makeRecord('mollie', c.body), src), normalizeError(c.reason));
    });
  }

  test('validateOptions', () => {
    assert.deepEqual(validateOptions({}), []);
    assert.equal(validateOptions({ dedupeBucketSeconds: -1 }).length, 1);
  });
});
