import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { fixture, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider, statusRank } from './index.ts';

const BODY = fixture('sendcloud', 'parcel-status-changed.json');
const sig = (secret: string, body: Buffer | string): string => createHmac('sha256', secret).update(body).digest('hex');
const src = makeSource('sendcloud', ['sc-new', 'sc-old']);

describe('sendcloud verify', () => {
  test('the docs\' test vector: secret \'secretkey\', body {"key": "value"}', () => {
    const r = provider.verify(
      makeRequest({
        headers: { 'sendcloud-signature': '1eed4b3d41f4653ac64fd56f1bf1cbfd349e4482cbc11dff7134bd93e5da4b0a' },
        body: '{"key": "value"}',
      }),
      makeSource('sendcloud', ['secretkey']),
    );
    assert.deepEqual(r, { ok: true });
  });
  const cases: { name: string; headers: Record<string, string>; body?: Buffer | string; want: string }[] = [
    { name: 'valid', headers: { 'sendcloud-signature': sig('sc-new', BODY) }, want: 'ok' },
    { name: 'rotated secret accepted', headers: { 'sendcloud-signature': sig('sc-old', BODY) }, want: 'ok' },
    {
      name: 'tampered body',
      headers: { 'sendcloud-signature': sig('sc-new', BODY) },
      body: BODY.toString().replace('"Ready to send"', '"Delivered"'),
      want: 'bad_signature',
    },
    { name: 'wrong secret', headers: { 'sendcloud-signature': sig('x', BODY) }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(makeRequest({ headers: c.headers, body: c.body ?? BODY }), src);
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
});

describe('sendcloud interpret and normalize', () => {
  test('interpret', () => {
    assert.deepEqual(provider.interpret(makeRequest({ body: BODY }), src).items[0]?.extracted, {
      deliveryId: 'parcel_status_changed|1|1|123',
      eventType: 'parcel_status_changed',
      resourceType: 'parcel',
      resourceId: '1',
    });
  });

  test('normalize the documented example', () => {
    const n = provider.normalize(makeRecord('sendcloud', BODY), src);
    assert.equal(n.dedupeKey, 'parcel_status_changed|1|1|123');
    assert.equal(n.resourceType, 'parcel');
    assert.equal(n.resourceId, '1');
    assert.equal(n.occurredAt, 123_000);
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: 123_000, statusRank: 30 });
  });

  test('status ranks: delivered outranks en route; unknown is 0; overrides win', () => {
    assert.ok(statusRank('11', {}) > statusRank('91', {}));
    assert.ok(statusRank('91', {}) > statusRank('1000', {}));
    assert.equal(statusRank('424242', {}), 0);
    assert.equal(statusRank('424242', { statusRanks: { '424242': 75 } }), 75);
  });

  test('ms timestamps and carrier time', () => {
    const body = JSON.stringify({
      action: 'parcel_status_changed',
      timestamp: 1734364624000,
      carrier_status_change_timestamp: 1734364600000,
      parcel: { id: 9, status: { id: 11, message: 'Delivered' } },
    });
    const n = provider.normalize(makeRecord('sendcloud', body), src);
    assert.equal(n.occurredAt, 1734364600000);
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: 1734364600000, statusRank: 90 });
  });

  test('other actions pass with NONE ordering', () => {
    const n = provider.normalize(
      makeRecord('sendcloud', '{"action":"integration_updated","timestamp":1734364624000,"integration":{"id":77}}'),
      src,
    );
    assert.equal(n.eventType, 'integration_updated');
    assert.equal(n.resourceType, 'integration');
    assert.equal(n.resourceId, '77');
    assert.equal(n.ordering.kind, 'NONE');
  });

  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: 'oops', reason: 'unparseable' },
    { name: 'no action', body: '{"timestamp":1,"parcel":{"id":1,"status":{"id":1}}}', reason: 'missing_field' },
    {
      name: 'no status id',
      body: '{"action":"parcel_status_changed","timestamp":1,"parcel":{"id":1}}',
      reason: 'missing_field',
    },
    {
      name: 'bad timestamp',
      body: '{"action":"parcel_status_changed","timestamp":"later","parcel":{"id":1,"status":{"id":1}}}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(() => provider.normalize(makeRecord('sendcloud', c.body), src), normalizeError(c.reason)));
  }
});
