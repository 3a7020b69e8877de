import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider } from './index.ts';

const BODY = fixture('afas', 'constructed-record.json');
const src = makeSource('afas', ['af-new', 'af-old'], { mapping: { occurredAt: 'modified', version: 'modified' } });

describe('afas verify (shared token + IP)', () => {
  const cases: { name: string; url?: string; ip?: string; src?: typeof src; want: string }[] = [
    { name: 'valid', url: 'https://h.example/webhooks/src-1?token=af-new', want: 'ok' },
    { name: 'rotated', url: 'https://h.example/webhooks/src-1?token=af-old', want: 'ok' },
    { name: 'wrong', url: 'https://h.example/webhooks/src-1?token=zz', want: 'bad_token' },
    { name: 'missing', want: 'missing_signature' },
    {
      name: 'path token',
      url: 'https://h.example/webhooks/src-1/af-new',
      src: makeSource('afas', ['af-new'], { tokenInPath: true }),
      want: 'ok',
    },
    {
      name: 'IP rejected',
      url: 'https://h.example/webhooks/src-1?token=af-new',
      ip: '198.51.100.1',
      src: makeSource('afas', ['af-new'], { allowedIps: ['203.0.113.10'] }),
      want: 'ip_not_allowed',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(makeRequest({ url: c.url, body: BODY, remoteAddress: c.ip }), c.src ?? src);
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
});

describe('afas normalize', () => {
  test('constructed record', () => {
    const n = provider.normalize(makeRecord('afas', BODY), src);
    const at = Date.parse('2024-12-16T15:57:04Z');
    assert.equal(n.eventType, 'debtor.updated');
    assert.equal(n.resourceType, 'Profit_Debtor');
    assert.equal(n.resourceId, '10001');
    assert.equal(n.dedupeKey, 'debtor.updated|10001|2024-12-16T15:57:04Z');
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: at, statusRank: null });
  });
  test('constant resource type when no connector field', () => {
    assert.equal(provider.normalize(makeRecord('afas', '{"type":"x","id":"7"}'), src).resourceType, 'afas-record');
  });
  test('broken payload: no key', () =>
    assert.throws(() => provider.normalize(makeRecord('afas', '{"type":"x"}'), src), normalizeError('missing_field')));
  test('broken payload: not JSON', () =>
    assert.throws(() => provider.normalize(makeRecord('afas', 'x'), src), normalizeError('unparseable')));
});
