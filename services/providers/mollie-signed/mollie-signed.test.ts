import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { fixture, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider } from './index.ts';

const BODY = fixture('mollie-signed', 'event-payment-link-paid.json');
const sig = (secret: string, body: Buffer | string): string => createHmac('sha256', secret).update(body).digest('hex');
const src = makeSource('mollie-signed', ['secret-new', 'secret-old']);

describe('mollie-signed verify', () => {
  const cases: { name: string; headers: Record<string, string>; body?: Buffer | string; want: string }[] = [
    {
      name: 'valid sha256= prefix',
      headers: { 'x-mollie-signature': `sha256=${sig('secret-new', BODY)}` },
      want: 'ok',
    },
    { name: 'valid bare hex', headers: { 'x-mollie-signature': sig('secret-new', BODY) }, want: 'ok' },
    {
      name: 'rotated secret accepted',
      headers: { 'x-mollie-signature': `sha256=${sig('secret-old', BODY)}` },
      want: 'ok',
    },
    {
      name: 'tampered body',
      headers: { 'x-mollie-signature': `sha256=${sig('secret-new', BODY)}` },
      body: Buffer.concat([BODY, Buffer.from(' ')]),
      want: 'bad_signature',
    },
    { name: 'wrong secret', headers: { 'x-mollie-signature': `sha256=${sig('other', BODY)}` }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'malformed header', headers: { 'x-mollie-signature': 'sha256=not-hex' }, want: 'malformed_signature' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(
        makeRequest({ headers: { 'content-type': 'application/json', ...c.headers }, body: c.body ?? BODY }),
        src,
      );
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
});

describe('mollie-signed interpret and normalize', () => {
  test('interpret', () => {
    const { items } = provider.interpret(makeRequest({ body: BODY }), src);
    assert.deepEqual(items[0]?.extracted, {
      deliveryId: 'event_GvJ8WHrp5isUdRub9CJyH',
      eventType: 'payment-link.paid',
      resourceType: 'payment-link',
      resourceId: 'pl_qng5gbbv8NAZ5gpM5ZYgx',
    });
  });

  test('normalize the documented event', () => {
    const n = provider.normalize(makeRecord('mollie-signed', BODY), src);
    assert.equal(n.dedupeKey, 'event_GvJ8WHrp5isUdRub9CJyH');
    assert.equal(n.eventType, 'payment-link.paid');
    assert.equal(n.resourceType, 'payment-link');
    assert.equal(n.resourceId, 'pl_qng5gbbv8NAZ5gpM5ZYgx');
    assert.equal(n.occurredAt, Date.parse('2024-12-16T15:57:04+00:00'));
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
    assert.deepEqual(JSON.parse(n.payload), JSON.parse(BODY.toString()));
  });

  test('unknown event type passes with its type', () => {
    const n = provider.normalize(
      makeRecord(
        'mollie-signed',
        '{"id":"event_1","type":"balance-transaction.created","entityId":"baltr_1","createdAt":"2024-12-16T15:57:04Z"}',
      ),
      src,
    );
    assert.equal(n.eventType, 'balance-transaction.created');
    assert.equal(n.resourceType, 'balance-transaction');
  });

  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: '{"id":', reason: 'unparseable' },
    { name: 'array', body: '[]', reason: 'unexpected_payload' },
    {
      name: 'no id',
      body: '{"type":"payment-link.paid","entityId":"pl_1","createdAt":"2024-12-16T15:57:04Z"}',
      reason: 'missing_field',
    },
    {
      name: 'no entityId',
      body: '{"id":"event_1","type":"payment-link.paid","createdAt":"2024-12-16T15:57:04Z"}',
      reason: 'missing_field',
    },
    {
      name: 'bad createdAt',
      body: '{"id":"event_1","type":"x","entityId":"pl_1","createdAt":"yesterday"}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () => {
      assert.throws(() => provider.normalize(makeRecord('mollie-signed', c.body), src), normalizeError(c.reason));
    });
  }
});
