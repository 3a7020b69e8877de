import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, FIXED_NOW, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider, validateOptions } from './index.ts';

const BODY = fixture('postnl', 'constructed-status.json');
const src = makeSource('postnl', ['pn-new', 'pn-old'], {
  mapping: { occurredAt: 'timestamp', dedupe: ['barcode', 'status'] },
});

describe('postnl verify (shared token + IP)', () => {
  const cases: {
    name: string;
    url?: string;
    headers?: Record<string, string>;
    ip?: string;
    src?: typeof src;
    want: string;
  }[] = [
    { name: 'valid header token', headers: { 'x-webhook-token': 'pn-new' }, want: 'ok' },
    { name: 'rotated token in query', url: 'https://h.example/webhooks/src-1?token=pn-old', want: 'ok' },
    { name: 'wrong token', headers: { 'x-webhook-token': 'x' }, want: 'bad_token' },
    { name: 'missing token', want: 'missing_signature' },
    {
      name: 'IP rejected',
      headers: { 'x-webhook-token': 'pn-new' },
      ip: '198.51.100.1',
      src: makeSource('postnl', ['pn-new'], { allowedIps: ['203.0.113.10'] }),
      want: 'ip_not_allowed',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(
        makeRequest({ url: c.url, headers: c.headers, body: BODY, remoteAddress: c.ip }),
        c.src ?? src,
      );
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
});

describe('postnl normalize (generic mapping)', () => {
  test('constructed example with defaults + mapped time', () => {
    const n = provider.normalize(makeRecord('postnl', BODY), src);
    assert.deepEqual(n, {
      dedupeKey: '3SDEVC201611210|delivered|2024-12-16T15:57:04Z',
      eventType: 'shipment.status',
      resourceType: 'shipment',
      resourceId: '3SDEVC201611210',
      occurredAt: Date.parse('2024-12-16T15:57:04Z'),
      ordering: { kind: 'NONE', value: null, statusRank: null },
      payload: BODY.toString().trim(),
    });
  });
  test('no time mapped → receivedAt, and the key carries it', () => {
    const n = provider.normalize(
      makeRecord('postnl', '{"type":"x","id":"1"}', { receivedAt: FIXED_NOW }),
      makeSource('postnl', ['t']),
    );
    assert.equal(n.occurredAt, FIXED_NOW.getTime());
    assert.equal(n.dedupeKey, `x|1|${FIXED_NOW.getTime()}`);
  });
  test('strip fields and version ordering', () => {
    const s = makeSource('postnl', ['t'], { mapping: { stripFields: ['token'], version: 'updated' } });
    const n = provider.normalize(
      makeRecord('postnl', '{"type":"x","id":"1","token":"sekrit","updated":"2024-12-16T15:57:04Z"}'),
      s,
    );
    assert.ok(!n.payload.includes('sekrit'));
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: Date.parse('2024-12-16T15:57:04Z'), statusRank: null });
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions(src.options), []);
    assert.equal(validateOptions({ mapping: { dedupe: 'x' } }).length, 1);
  });
  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: '{', reason: 'unparseable' },
    { name: 'no id/barcode', body: '{"type":"x"}', reason: 'missing_field' },
    { name: 'bad time', body: '{"type":"x","id":"1","timestamp":"later"}', reason: 'invalid_field' },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(() => provider.normalize(makeRecord('postnl', c.body), src), normalizeError(c.reason)));
  }
});
