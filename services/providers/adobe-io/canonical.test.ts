import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const options = { recipientClientId: '606d4074c7ea4962aaf3bc2a5ac3b7f9' };
const map = (body: Buffer | string) => canonicalFor(provider, body, { options });
// An order event in the envelope of the commerce-product-save fixture, data.value with fields of the
// Commerce events reference (observer.sales_order_save_commit_after).
const product = JSON.parse(fixtureText('adobe-io', 'commerce-product-save.json').toString()) as Record<string, unknown>;
const order = (value: Record<string, unknown>) =>
  JSON.stringify({ ...product, type: 'com.adobe.commerce.observer.sales_order_save_commit_after', data: { value } });
const value = {
  entity_id: '12',
  increment_id: '000000012',
  state: 'processing',
  status: 'processing',
  grand_total: '123.450000',
  subtotal: '100.000000',
  tax_amount: '18.450000',
  shipping_amount: '5.000000',
  order_currency_code: 'EUR',
  customer_id: '7',
  created_at: '2022-09-06 20:37:25',
  updated_at: '2022-09-06 20:40:00',
  items: [
    { sku: 'MH01', name: 'Hoodie', qty_ordered: '2.0000', price: '50.000000', row_total: '100.000000' },
    {
      sku: 'MH01-XS',
      name: 'Hoodie XS',
      qty_ordered: '2.0000',
      price: '0.000000',
      row_total: '0.000000',
      parent_item_id: '1',
    },
  ],
};

describe('adobe-io canonical records', () => {
  it('aem-content-fragment-modified and commerce-product-save fixtures are not orders: no record', () => {
    assert.equal(map(fixtureText('adobe-io', 'aem-content-fragment-modified.json')), null);
    assert.equal(map(fixtureText('adobe-io', 'commerce-product-save.json')), null);
  });
  it('a Commerce order event → Order, field by field (decimals exact, times UTC, child items folded)', () => {
    const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
    assert.deepEqual(entity(map(order(value)), 'order'), {
      id: '12',
      number: '000000012',
      status: 'processing',
      providerStatus: 'processing',
      total: eur(12345),
      subtotal: eur(10000),
      tax: eur(1845),
      shipping: eur(500),
      customerRef: '7',
      fulfillmentStatus: null,
      providerFulfillmentStatus: null,
      paymentStatus: null,
      providerPaymentStatus: null,
      lines: [{ sku: 'MH01', name: 'Hoodie', quantity: '2', unitPrice: eur(5000), total: eur(10000) }],
      createdAt: Date.parse('2022-09-06T20:37:25Z'),
      updatedAt: Date.parse('2022-09-06T20:40:00Z'),
      metadata: {},
    });
  });
  it('states by table; an unknown state is unknown with the raw value kept; fields left out stay null', () => {
    const st = (state: string) => entity(map(order({ entity_id: '1', state })), 'order');
    assert.equal(st('complete').status, 'completed');
    assert.equal(st('holded').status, 'on_hold');
    const odd = st('fraud_check');
    assert.deepEqual([odd.status, odd.providerStatus, odd.total, odd.lines], ['unknown', 'fraud_check', null, []]);
  });
});
