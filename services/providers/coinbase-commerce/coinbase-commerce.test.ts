import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider } from './index.ts';

const SECRET = 'test-shared-secret-generated-for-hookline';
const body = fixtureText('coinbase-commerce', 'charge-confirmed.json');
const sign = (b: Buffer | string, secret = SECRET) => createHmac('sha256', secret).update(b).digest('hex');
const src = makeSource('coinbase-commerce', ['old-secret', SECRET]);
const verify = (headers: Record<string, string>, b: Buffer | string = body) =>
  provider.verify(makeRequest({ headers, body: b }), src);

describe('coinbase-commerce verify: X-CC-Webhook-Signature = hex HMAC-SHA256(raw body)', () => {
  it('accepts the exact bytes signed with any configured secret', () => {
    assert.deepEqual(verify({ 'x-cc-webhook-signature': sign(body) }), { ok: true });
    assert.deepEqual(verify({ 'x-cc-webhook-signature': sign(body).toUpperCase() }), { ok: true });
  });
  it('refuses a missing, malformed or wrong signature, and one over re-serialized JSON', () => {
    assert.deepEqual(verify({}), { ok: false, reason: 'missing_signature' });
    assert.deepEqual(verify({ 'x-cc-webhook-signature': 'zz' }), { ok: false, reason: 'malformed_signature' });
    assert.deepEqual(verify({ 'x-cc-webhook-signature': sign(body, 'nope') }), { ok: false, reason: 'bad_signature' });
    const reserialized = JSON.stringify(JSON.parse(body.toString()), null, 1);
    assert.deepEqual(verify({ 'x-cc-webhook-signature': sign(body) }, reserialized), {
      ok: false,
      reason: 'bad_signature',
    });
  });
});

describe('coinbase-commerce interpret and normalize', () => {
  it('dedupe by event.id, resource = the charge, STATUS ordering by the charge lifecycle', () => {
    const item = provider.interpret(makeRequest({ body }), src).items[0];
    assert.deepEqual(item?.extracted, {
      deliveryId: '24934862-d980-46cb-9402-43c81b0cdba6',
      eventType: 'charge:confirmed',
      resourceType: 'charge',
      resourceId: 'f765421f-7c1a-4b0e-9d8d-7d2f3f6a2b11',
    });
    const n = provider.normalize(makeRecord('coinbase-commerce', body), src);
    assert.equal(n.dedupeKey, '24934862-d980-46cb-9402-43c81b0cdba6');
    assert.equal(n.occurredAt, Date.parse('2024-12-16T15:57:04Z'));
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: n.occurredAt, statusRank: 4 });
    assert.equal(n.payload, body.toString());
  });
  it('a body without event.id is refused (DLQ), not dropped', () => {
    assert.throws(() => provider.normalize(makeRecord('coinbase-commerce', '{"event":{}}'), src), /event\.id/);
  });
});

describe('coinbase-commerce canonical records', () => {
  it('charge-confirmed fixture → Payment, field by field', () => {
    assert.deepEqual(entity(canonicalFor(provider, body), 'payment'), {
      id: 'f765421f-7c1a-4b0e-9d8d-7d2f3f6a2b11',
      status: 'succeeded',
      providerStatus: 'charge:confirmed',
      amount: { amountMinor: 10000, currency: 'USD' },
      amountRefunded: null,
      method: 'bitcoin',
      customerRef: 'cus_42',
      orderRef: 'ord_1001',
      description: 'Mastering the Transition to the Information Age',
      createdAt: Date.parse('2024-12-16T15:40:02Z'),
      metadata: { customer_id: 'cus_42', order_id: 'ord_1001' },
    });
  });
  it('statuses by event type; delayed/resolved are unknown with the type kept', () => {
    const as = (type: string) => {
      const b = JSON.parse(body.toString()) as { event: Record<string, unknown> };
      return entity(canonicalFor(provider, JSON.stringify({ ...b, event: { ...b.event, type } })), 'payment');
    };
    assert.equal(as('charge:pending').status, 'pending');
    assert.equal(as('charge:failed').status, 'failed');
    assert.deepEqual([as('charge:delayed').status, as('charge:delayed').providerStatus], ['unknown', 'charge:delayed']);
  });
});
