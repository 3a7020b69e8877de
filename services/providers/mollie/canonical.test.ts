import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider as mollieSigned } from '../mollie-signed/index.ts';
import { NormalizeError } from '../types.ts';
import { mollieObjectToCanonical } from './canonical.ts';
import { provider as mollie } from './index.ts';

const payment = JSON.parse(fixtureText('mollie', 'get-payment-paid.json').toString()) as Record<string, unknown>;
const withPayment = (over: Record<string, unknown>) => ({ ...payment, ...over });

describe('mollie canonical records', () => {
  it('next-gen payment.paid fixture → Payment, field by field', () => {
    const p = entity(canonicalFor(mollieSigned, fixtureText('mollie-signed', 'event-payment-paid.json')), 'payment');
    assert.deepEqual(p, {
      id: 'tr_WDqYK6vllg',
      status: 'succeeded',
      providerStatus: 'paid',
      amount: { amountMinor: 1000, currency: 'EUR' },
      amountRefunded: { amountMinor: 0, currency: 'EUR' },
      method: 'ideal',
      customerRef: 'cst_8wmqcHMN4U',
      orderRef: null,
      description: 'Order #12345',
      createdAt: Date.parse('2018-03-20T13:13:37+00:00'),
      metadata: { order_id: '12345' },
    });
  });
  it('next-gen payment-link.paid fixture → Payment (status from the event type, the link has none)', () => {
    const p = entity(
      canonicalFor(mollieSigned, fixtureText('mollie-signed', 'event-payment-link-paid.json')),
      'payment',
    );
    assert.deepEqual(p, {
      id: 'pl_4Y0eZitmBnQ6IDoMqZQKh',
      status: 'succeeded',
      providerStatus: 'paid',
      amount: { amountMinor: 2495, currency: 'EUR' },
      amountRefunded: null,
      method: 'ideal',
      customerRef: null,
      orderRef: null,
      description: 'Bicycle tires',
      createdAt: Date.parse('2021-03-20T09:29:56+00:00'),
      metadata: {},
    });
  });
  it('classic webhook (id only, not enriched) has no canonical record: nothing is guessed from an id', () => {
    const c = canonicalFor(mollie, fixtureText('mollie', 'webhook-form.txt'), {
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(c, null);
  });
  it('statuses: table, refunds, unknown kept verbatim', () => {
    const status = (o: Record<string, unknown>) => entity(mollieObjectToCanonical(withPayment(o)), 'payment');
    assert.equal(status({ status: 'open' }).status, 'pending');
    assert.equal(status({ status: 'expired' }).status, 'expired');
    assert.equal(status({ amountRefunded: { value: '4.00', currency: 'EUR' } }).status, 'partially_refunded');
    assert.equal(status({ amountRefunded: { value: '10.00', currency: 'EUR' } }).status, 'refunded');
    const odd = status({ status: 'teleported' });
    assert.deepEqual([odd.status, odd.providerStatus], ['unknown', 'teleported']);
  });
  it('decimal amounts at the currency exponent: JPY "1000" and KWD "1.234"; too many decimals → NormalizeError', () => {
    const amount = (value: string, currency: string) =>
      entity(mollieObjectToCanonical(withPayment({ amount: { value, currency } })), 'payment').amount;
    assert.deepEqual(amount('1000', 'JPY'), { amountMinor: 1000, currency: 'JPY' });
    assert.deepEqual(amount('1.234', 'KWD'), { amountMinor: 1234, currency: 'KWD' });
    assert.throws(() => amount('10.001', 'EUR'), NormalizeError);
  });
  it('refund, chargeback, settlement and order objects', () => {
    const r = entity(
      mollieObjectToCanonical({
        resource: 'refund',
        id: 're_1',
        status: 'refunded',
        amount: { value: '5.00', currency: 'EUR' },
        paymentId: 'tr_1',
        createdAt: '2018-03-20T13:13:37+00:00',
      }),
      'refund',
    );
    assert.deepEqual([r.status, r.paymentRef, r.amount?.amountMinor], ['succeeded', 'tr_1', 500]);
    const d = entity(
      mollieObjectToCanonical({
        resource: 'chargeback',
        id: 'chb_1',
        amount: { value: '5.00', currency: 'EUR' },
        paymentId: 'tr_1',
        reason: { code: 'AC01' },
      }),
      'dispute',
    );
    assert.deepEqual([d.status, d.providerStatus, d.reason], ['unknown', null, 'AC01']);
    const po = entity(
      mollieObjectToCanonical({
        resource: 'settlement',
        id: 'stl_1',
        status: 'paidout',
        amount: { value: '39.75', currency: 'EUR' },
      }),
      'payout',
    );
    assert.deepEqual([po.status, po.amount?.amountMinor], ['paid', 3975]);
    const o = entity(
      mollieObjectToCanonical({
        resource: 'order',
        id: 'ord_1',
        orderNumber: '1337',
        status: 'paid',
        amount: { value: '1027.99', currency: 'EUR' },
        lines: [
          {
            sku: '5702016116977',
            name: 'LEGO 42083',
            quantity: 2,
            unitPrice: { value: '399.00', currency: 'EUR' },
            totalAmount: { value: '698.00', currency: 'EUR' },
          },
        ],
      }),
      'order',
    );
    assert.deepEqual(
      [o.status, o.number, o.paymentStatus, o.total?.amountMinor],
      ['processing', '1337', 'paid', 102799],
    );
    assert.deepEqual(o.lines, [
      {
        sku: '5702016116977',
        name: 'LEGO 42083',
        quantity: '2',
        unitPrice: { amountMinor: 39900, currency: 'EUR' },
        total: { amountMinor: 69800, currency: 'EUR' },
      },
    ]);
  });
});
