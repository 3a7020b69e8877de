/**
 * Stripe → canonical records. The event's `data.object` is the full object (Stripe sends snapshots),
 * so no fetch is needed. Objects: payment_intent and charge → Payment, refund → Refund, dispute →
 * Dispute, payout → Payout; other objects (setup_intent, customer, invoice, …) have no canonical record.
 *
 * Amounts: Stripe's integer `amount` is in Stripe's smallest unit, which is the ISO 4217 minor unit
 * except for its zero-decimal list where ISO has decimals (MGA) and its two-decimal special cases where
 * ISO has none (ISK; HUF and TWD are two-decimal in both). https://docs.stripe.com/currencies
 * ("Zero-decimal currencies", "Special cases"). Statuses: PaymentIntent, Charge, Refund, Dispute and
 * Payout object docs (https://docs.stripe.com/api).
 */
import { canonical, type Canonical, type Money } from '../../common/canonical.ts';
import { at, metadataOf, seconds, statusFrom, text, type CanonicalMapping } from '../canonical.ts';
import { isRecord } from '../core/parse.ts';
import { moneyFromMinor } from '../money.ts';

/** Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal), lower case as Stripe sends them. */
const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function stripeMoney(amount: unknown, currency: unknown): Money | null {
  if (amount === undefined || amount === null || currency === undefined || currency === null) return null;
  const c = typeof currency === 'string' ? currency.toLowerCase() : currency;
  const exp = typeof c === 'string' && ZERO_DECIMAL.has(c) ? 0 : typeof c === 'string' && THREE_DECIMAL.has(c) ? 3 : 2;
  return moneyFromMinor(amount, c, exp);
}

const PAYMENT_INTENT = {
  requires_payment_method: 'pending',
  requires_confirmation: 'pending',
  requires_action: 'pending',
  processing: 'pending',
  requires_capture: 'authorized',
  succeeded: 'succeeded',
  canceled: 'canceled',
} as const;
const CHARGE = { pending: 'pending', succeeded: 'succeeded', failed: 'failed' } as const;
const REFUND = {
  pending: 'pending',
  requires_action: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
} as const;
const DISPUTE = {
  warning_needs_response: 'needs_response',
  needs_response: 'needs_response',
  warning_under_review: 'under_review',
  under_review: 'under_review',
  warning_closed: 'closed',
  won: 'won',
  lost: 'lost',
  prevented: 'closed',
} as const;
const PAYOUT = {
  pending: 'pending',
  in_transit: 'in_transit',
  paid: 'paid',
  failed: 'failed',
  canceled: 'canceled',
} as const;

/** An id field that may be expanded into an object. */
const ref = (v: unknown): string | null => (isRecord(v) ? text(v.id) : text(v));

function paymentStatus(obj: Record<string, unknown>, raw: string | null) {
  if (obj.object === 'charge') {
    // A charge stays "succeeded" after refunds and disputes; its flags say what happened since.
    if (obj.disputed === true) return 'disputed' as const;
    if (obj.refunded === true) return 'refunded' as const;
    if (typeof obj.amount_refunded === 'number' && obj.amount_refunded > 0) return 'partially_refunded' as const;
    return statusFrom(CHARGE, raw);
  }
  return statusFrom(PAYMENT_INTENT, raw);
}

function map(payload: unknown): Canonical | null {
  const obj = at(payload, 'data.object');
  if (!isRecord(obj)) return null;
  const id = text(obj.id);
  if (id === null) return null;
  const providerStatus = text(obj.status);
  const amount = stripeMoney(obj.amount, obj.currency);
  const common = { id, providerStatus, amount, createdAt: seconds(obj.created), metadata: metadataOf(obj.metadata) };
  switch (obj.object) {
    case 'payment_intent':
    case 'charge':
      return canonical('payment', {
        ...common,
        status: paymentStatus(obj, providerStatus),
        amountRefunded: obj.object === 'charge' ? stripeMoney(obj.amount_refunded, obj.currency) : null,
        method: text(at(obj, 'payment_method_types.0')) ?? text(at(obj, 'payment_method_details.type')),
        customerRef: ref(obj.customer),
        orderRef: text(at(obj, 'metadata.order_id')),
        description: text(obj.description),
      });
    case 'refund':
      return canonical('refund', {
        ...common,
        status: statusFrom(REFUND, providerStatus),
        paymentRef: ref(obj.payment_intent) ?? ref(obj.charge),
        reason: text(obj.reason),
      });
    case 'dispute':
      return canonical('dispute', {
        ...common,
        status: statusFrom(DISPUTE, providerStatus),
        paymentRef: ref(obj.payment_intent) ?? ref(obj.charge),
        reason: text(obj.reason),
      });
    case 'payout':
      return canonical('payout', {
        ...common,
        status: statusFrom(PAYOUT, providerStatus),
        arrivalAt: seconds(obj.arrival_date),
        method: text(obj.method),
      });
    default:
      return null;
  }
}

const MONEY_FIELDS = ['id', 'status', 'providerStatus', 'amount', 'createdAt', 'metadata'];
export const canonicalMapping: CanonicalMapping = {
  fills: {
    payment: [...MONEY_FIELDS, 'amountRefunded', 'method', 'customerRef', 'orderRef', 'description'],
    refund: [...MONEY_FIELDS, 'paymentRef', 'reason'],
    dispute: [...MONEY_FIELDS, 'paymentRef', 'reason'],
    payout: [...MONEY_FIELDS, 'arrivalAt', 'method'],
  },
  map: ({ payload }) => map(payload),
};
