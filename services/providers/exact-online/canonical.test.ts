import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const notification = JSON.parse(fixtureText('exact-online', 'salesorders-update.json').toString()) as Record<
  string,
  unknown
>;
const fetched = (JSON.parse(fixtureText('exact-online', 'salesorder-get.json').toString()) as { d: unknown }).d;
const enriched = (entity_: unknown) => JSON.stringify({ ...notification, _embedded: { entity: entity_ } });

describe('exact-online canonical records', () => {
  it('salesorders-update fixture as received (thin, not enriched): no record, nothing guessed from the key', () => {
    assert.equal(canonicalFor(provider, fixtureText('exact-online', 'salesorders-update.json')), null);
  });
  it('the same notification after enrichment with the salesorder-get fixture → Order, field by field', () => {
    assert.deepEqual(entity(canonicalFor(provider, enriched(fetched)), 'order'), {
      id: '19cee073-095e-46d1-8d2d-f3fc97ba5bc1',
      number: '1042',
      status: 'processing',
      providerStatus: '20 Partial',
      total: { amountMinor: 125050, currency: 'EUR' },
      subtotal: null,
      tax: null,
      shipping: null,
      customerRef: '4a1b2c3d-0000-4000-8000-000000000001',
      fulfillmentStatus: 'partial',
      providerFulfillmentStatus: '20 Partial',
      paymentStatus: null,
      providerPaymentStatus: null,
      lines: [
        {
          sku: 'CHAIR-01',
          name: 'Chair',
          quantity: '2',
          unitPrice: { amountMinor: 50025, currency: 'EUR' },
          total: { amountMinor: 100050, currency: 'EUR' },
        },
        {
          sku: 'DESK-01',
          name: 'Desk',
          quantity: '1',
          unitPrice: { amountMinor: 25000, currency: 'EUR' },
          total: { amountMinor: 25000, currency: 'EUR' },
        },
      ],
      createdAt: 1578327968587,
      updatedAt: 1578327968587,
      metadata: {},
    });
  });
  it('an unknown status code is unknown with the code kept; unexpanded lines stay empty', () => {
    const o = {
      ...(fetched as Record<string, unknown>),
      Status: 99,
      StatusDescription: undefined,
      SalesOrderLines: { __deferred: {} },
    };
    const r = entity(canonicalFor(provider, enriched(o)), 'order');
    assert.deepEqual([r.status, r.providerStatus, r.lines], ['unknown', '99', []]);
  });
});
