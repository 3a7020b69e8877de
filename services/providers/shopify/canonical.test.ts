import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const headers = { 'x-shopify-webhook-id': 'b54557e4', 'x-shopify-topic': 'orders/updated' };
const body = JSON.parse(fixtureText('shopify', 'orders-updated.json').toString()) as Record<string, unknown>;
const order = (over: Record<string, unknown>) =>
  entity(canonicalFor(provider, JSON.stringify({ ...body, ...over }), { headers }), 'order');

describe('shopify canonical records', () => {
  it('orders/updated fixture → Order, field by field (ids beyond 2^53 kept exact)', () => {
    const o = entity(canonicalFor(provider, fixtureText('shopify', 'orders-updated.json'), { headers }), 'order');
    assert.deepEqual(o, {
      id: '820982911946154508',
      number: '#9999',
      status: 'canceled',
      providerStatus: 'cancelled',
      total: { amountMinor: 40300, currency: 'USD' },
      subtotal: { amountMinor: 38800, currency: 'USD' },
      tax: null,
      shipping: null,
      lines: (body.line_items as unknown[]).map((l) => {
        const x = l as { sku: string; title: string; quantity: number; price: string };
        return {
          sku: x.sku,
          name: x.title,
          quantity: String(x.quantity),
          unitPrice: { amountMinor: Math.round(Number(x.price) * 100), currency: 'USD' },
          total: null,
        };
      }),
      customerRef: null,
      fulfillmentStatus: 'unknown',
      providerFulfillmentStatus: 'pending',
      paymentStatus: 'voided',
      providerPaymentStatus: 'voided',
      createdAt: Date.parse('2021-12-31T19:00:00-05:00'),
      updatedAt: Date.parse('2021-12-31T19:00:00-05:00'),
      metadata: {},
    });
    assert.equal(o.lines[0]?.sku, 'SKU2006-001');
    assert.deepEqual(o.lines[0]?.unitPrice, { amountMinor: 8999, currency: 'USD' });
  });
  it('open / closed, fulfilment null = unfulfilled, an unknown financial status stays unknown', () => {
    const open = order({ cancelled_at: null, closed_at: null, fulfillment_status: null, financial_status: 'paid' });
    assert.deepEqual([open.status, open.fulfillmentStatus, open.paymentStatus], ['open', 'unfulfilled', 'paid']);
    const closed = order({ cancelled_at: null, closed_at: '2022-01-01T00:00:00Z', fulfillment_status: 'fulfilled' });
    assert.deepEqual([closed.status, closed.fulfillmentStatus], ['completed', 'fulfilled']);
    const odd = order({ financial_status: 'expired' });
    assert.deepEqual([odd.paymentStatus, odd.providerPaymentStatus], ['unknown', 'expired']);
  });
  it('JPY totals at exponent 0', () => {
    assert.deepEqual(order({ currency: 'JPY', total_price: '4030', subtotal_price: '4030', line_items: [] }).total, {
      amountMinor: 4030,
      currency: 'JPY',
    });
  });
});
