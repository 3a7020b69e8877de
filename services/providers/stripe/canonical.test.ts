import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { NormalizeError } from '../types.ts';
import { provider } from './index.ts';

const event = (object: Record<string, unknown>, type = 'x.updated') =>
  JSON.stringify({ id: 'evt_1', object: 'event', created: 1700000000, type, data: { object } });

describe('stripe canonical records', () => {
  it('payment_intent.succeeded fixture → Payment, field by field', () => {
    const p = entity(canonicalFor(provider, fixtureText('stripe', 'payment_intent.succeeded.json')), 'payment');
    assert.deepEqual(p, {
      id: 'pi_3N4QNsEuwdm0l6U90BvTQ3iC',
      status: 'succeeded',
      providerStatus: 'succeeded',
      amount: { amountMinor: 2000, currency: 'USD' },
      amountRefunded: null,
      method: 'card',
      customerRef: null,
      orderRef: null,
      description: null,
      createdAt: 1683299844000,
      metadata: {},
    });
  });
  it('setup_intent.created fixture has no canonical record (not money moving)', () => {
    assert.equal(canonicalFor(provider, fixtureText('stripe', 'setup_intent.created.json')), null);
  });
  it('statuses map by table; an unknown status is unknown with the raw value kept', () => {
    const pi = (status: string) =>
      entity(
        canonicalFor(provider, event({ id: 'pi_1', object: 'payment_intent', status, amount: 5, currency: 'eur' })),
        'payment',
      );
    assert.equal(pi('requires_capture').status, 'authorized');
    assert.equal(pi('processing').status, 'pending');
    assert.equal(pi('canceled').status, 'canceled');
    const odd = pi('requires_teleport');
    assert.equal(odd.status, 'unknown');
    assert.equal(odd.providerStatus, 'requires_teleport');
  });
  it('charge refund and dispute flags, customer, order and metadata', () => {
    const c = entity(
      canonicalFor(
        provider,
        event({
          id: 'ch_1',
          object: 'charge',
          status: 'succeeded',
          amount: 1000,
          amount_refunded: 400,
          currency: 'eur',
          customer: { id: 'cus_9', object: 'customer' },
          metadata: { order_id: 'ord-7', n: 3 },
          payment_method_details: { type: 'ideal' },
          created: 1700000001,
        }),
      ),
      'payment',
    );
    assert.equal(c.status, 'partially_refunded');
    assert.deepEqual(c.amountRefunded, { amountMinor: 400, currency: 'EUR' });
    assert.equal(c.customerRef, 'cus_9');
    assert.equal(c.orderRef, 'ord-7');
    assert.equal(c.method, 'ideal');
    assert.deepEqual(c.metadata, { order_id: 'ord-7', n: '3' });
  });
  it('currency exponents: JPY 0, KWD 3, MGA rescaled from Stripe 0 to ISO 2', () => {
    const amount = (a: number, currency: string) =>
      entity(
        canonicalFor(
          provider,
          event({ id: 'pi_1', object: 'payment_intent', status: 'succeeded', amount: a, currency }),
        ),
        'payment',
      ).amount;
    assert.deepEqual(amount(500, 'jpy'), { amountMinor: 500, currency: 'JPY' });
    assert.deepEqual(amount(1230, 'kwd'), { amountMinor: 1230, currency: 'KWD' });
    assert.deepEqual(amount(500, 'mga'), { amountMinor: 50000, currency: 'MGA' });
  });
  it('refund, dispute and payout', () => {
    const r = entity(
      canonicalFor(
        provider,
        event({
          id: 're_1',
          object: 'refund',
          status: 'succeeded',
          amount: 100,
          currency: 'usd',
          payment_intent: 'pi_1',
          reason: 'duplicate',
        }),
      ),
      'refund',
    );
    assert.deepEqual(
      [r.status, r.paymentRef, r.reason, r.amount?.amountMinor],
      ['succeeded', 'pi_1', 'duplicate', 100],
    );
    const d = entity(
      canonicalFor(
        provider,
        event({
          id: 'dp_1',
          object: 'dispute',
          status: 'warning_needs_response',
          amount: 100,
          currency: 'usd',
          charge: 'ch_1',
          reason: 'fraudulent',
        }),
      ),
      'dispute',
    );
    assert.deepEqual([d.status, d.paymentRef, d.reason], ['needs_response', 'ch_1', 'fraudulent']);
    const po = entity(
      canonicalFor(
        provider,
        event({
          id: 'po_1',
          object: 'payout',
          status: 'in_transit',
          amount: 9900,
          currency: 'eur',
          arrival_date: 1700086400,
          method: 'standard',
        }),
      ),
      'payout',
    );
    assert.deepEqual(
      [po.status, po.arrivalAt, po.method, po.amount?.amountMinor],
      ['in_transit', 1700086400000, 'standard', 9900],
    );
  });
  it('a malformed amount is a NormalizeError (the event goes to the DLQ whole), never a guessed amount', () => {
    assert.throws(
      () =>
        canonicalFor(
          provider,
          event({ id: 'pi_1', object: 'payment_intent', status: 'succeeded', amount: 1.5, currency: 'usd' }),
        ),
      (e: unknown) => e instanceof NormalizeError && e.reason === 'invalid_field',
    );
    assert.throws(
      () =>
        canonicalFor(
          provider,
          event({ id: 'pi_1', object: 'payment_intent', status: 'succeeded', amount: 1, currency: 'zzz' }),
        ),
      NormalizeError,
    );
  });
});
