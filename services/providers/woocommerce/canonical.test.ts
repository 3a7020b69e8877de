import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const headers = {
  'x-wc-webhook-topic': 'order.updated',
  'x-wc-webhook-resource': 'order',
  'x-wc-webhook-event': 'updated',
  'x-wc-webhook-id': '12',
};
const body = JSON.parse(fixtureText('woocommerce', 'order-updated.json').toString()) as Record<string, unknown>;

describe('woocommerce canonical records', () => {
  it('order.updated fixture → Order, field by field', () => {
    const o = entity(canonicalFor(provider, fixtureText('woocommerce', 'order-updated.json'), { headers }), 'order');
    assert.equal(o.id, '727');
    assert.equal(o.number, '727');
    assert.deepEqual([o.status, o.providerStatus], ['processing', 'processing']);
    assert.deepEqual(o.total, { amountMinor: 2935, currency: 'USD' });
    assert.deepEqual(o.tax, { amountMinor: 135, currency: 'USD' });
    assert.deepEqual(o.shipping, { amountMinor: 1000, currency: 'USD' });
    assert.equal(o.subtotal, null);
    assert.equal(o.customerRef, null, 'customer_id 0 is a guest');
    assert.equal(o.paymentStatus, 'paid');
    assert.equal(o.fulfillmentStatus, null);
    assert.equal(o.createdAt, Date.parse('2017-03-22T19:28:02Z'));
    assert.equal(o.updatedAt, Date.parse('2017-03-22T19:28:08Z'));
    assert.deepEqual(o.lines[0], {
      sku: null,
      name: 'Woo Single #1',
      quantity: '2',
      unitPrice: { amountMinor: 300, currency: 'USD' },
      total: { amountMinor: 600, currency: 'USD' },
    });
    assert.equal(o.lines.length, (body.line_items as unknown[]).length);
  });
  it('status table; unknown kept verbatim', () => {
    const st = (status: string) =>
      entity(canonicalFor(provider, JSON.stringify({ ...body, status }), { headers }), 'order').status;
    assert.equal(st('on-hold'), 'on_hold');
    assert.equal(st('cancelled'), 'canceled');
    assert.equal(st('wc-custom-shipped'), 'unknown');
  });
});
