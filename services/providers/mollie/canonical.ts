/**
 * Mollie objects → canonical records, shared by the classic webhook (after enrichment has fetched the
 * object: the payload then carries it) and next-gen events (`_embedded.entity`, the "snapshot"). An
 * event without the object (a classic `id=tr_…` not yet enriched, a "simple" next-gen payload) has no
 * canonical record: nothing is guessed from an id.
 *
 * Object shapes and statuses from the Mollie API reference (docs.mollie.com/reference):
 * - payment (tr_): status open | pending | authorized | paid | canceled | expired | failed;
 *   `amount`/`amountRefunded` are {currency, value:"10.00"} (decimal text at the currency's exponent).
 * - refund (re_): queued | pending | processing | refunded | failed | canceled.
 * - chargeback (chb_): no status field; `reversedAt` set = reversed (won), else open (needs response
 *   is Mollie's merchant flow, not a state it reports) → providerStatus null, status unknown unless reversed.
 * - order (ord_): created | paid | authorized | canceled | shipping | completed | expired | pending.
 * - settlement (stl_): open | pending | paidout | failed → Payout.
 * - payment-link (pl_): no status; the next-gen event type `payment-link.paid` says it was paid.
 */
import { canonical, type Canonical, type Money, type OrderLine } from '../../common/canonical.ts';
import { at, metadataOf, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';
import { isRecord } from '../core/parse.ts';
import { decimalText, moneyFromDecimal } from '../money.ts';

export function mollieMoney(v: unknown): Money | null {
  if (!isRecord(v) || v.value === undefined || v.value === null) return null;
  return moneyFromDecimal(v.value, v.currency);
}

const PAYMENT = {
  open: 'pending',
  pending: 'pending',
  authorized: 'authorized',
  paid: 'succeeded',
  canceled: 'canceled',
  expired: 'expired',
  failed: 'failed',
} as const;
const REFUND = {
  queued: 'pending',
  pending: 'pending',
  processing: 'pending',
  refunded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
} as const;
const ORDER = {
  created: 'open',
  pending: 'pending',
  authorized: 'processing',
  paid: 'processing',
  shipping: 'processing',
  completed: 'completed',
  canceled: 'canceled',
  expired: 'canceled',
} as const;
const ORDER_PAYMENT = { created: 'pending', pending: 'pending', authorized: 'authorized', paid: 'paid' } as const;
const SETTLEMENT = { open: 'pending', pending: 'in_transit', paidout: 'paid', failed: 'failed' } as const;

function paymentStatus(obj: Record<string, unknown>, raw: string | null) {
  const refunded = mollieMoney(obj.amountRefunded);
  const amount = mollieMoney(obj.amount);
  if (raw === 'paid' && refunded && amount && refunded.amountMinor > 0) {
    return refunded.amountMinor >= amount.amountMinor ? ('refunded' as const) : ('partially_refunded' as const);
  }
  return statusFrom(PAYMENT, raw);
}

function lineOf(l: unknown): OrderLine {
  return {
    sku: text(at(l, 'sku')),
    name: text(at(l, 'name')),
    quantity: at(l, 'quantity') === undefined ? null : decimalText(at(l, 'quantity')),
    unitPrice: mollieMoney(at(l, 'unitPrice')),
    total: mollieMoney(at(l, 'totalAmount')),
  };
}

/** One Mollie API object → its canonical record; null for objects without one (customer, mandate, …). */
export function mollieObjectToCanonical(obj: unknown, eventType?: string): Canonical | null {
  if (!isRecord(obj)) return null;
  const id = text(obj.id);
  if (id === null) return null;
  const providerStatus = text(obj.status);
  const base = { id, providerStatus, createdAt: time(obj.createdAt), metadata: metadataOf(obj.metadata) };
  switch (obj.resource) {
    case 'payment':
      return canonical('payment', {
        ...base,
        status: paymentStatus(obj, providerStatus),
        amount: mollieMoney(obj.amount),
        amountRefunded: mollieMoney(obj.amountRefunded),
        method: text(obj.method),
        customerRef: text(obj.customerId),
        orderRef: text(obj.orderId),
        description: text(obj.description),
      });
    case 'payment-link': {
      const paid = eventType === 'payment-link.paid' || text(obj.paidAt) !== null;
      return canonical('payment', {
        ...base,
        status: paid ? 'succeeded' : 'unknown',
        providerStatus: paid ? 'paid' : null,
        amount: mollieMoney(obj.amount),
        method: text(at(obj, 'allowedMethods.0')),
        customerRef: text(obj.customerId),
        description: text(obj.description),
      });
    }
    case 'refund':
      return canonical('refund', {
        ...base,
        status: statusFrom(REFUND, providerStatus),
        amount: mollieMoney(obj.amount),
        paymentRef: text(obj.paymentId),
        reason: text(obj.description),
      });
    case 'chargeback':
      return canonical('dispute', {
        ...base,
        status: text(obj.reversedAt) !== null ? 'won' : 'unknown',
        providerStatus: text(obj.reversedAt) !== null ? 'reversed' : null,
        amount: mollieMoney(obj.amount),
        paymentRef: text(obj.paymentId),
        reason: text(at(obj, 'reason.code')) ?? text(at(obj, 'reason.description')),
      });
    case 'settlement':
      return canonical('payout', {
        ...base,
        status: statusFrom(SETTLEMENT, providerStatus),
        amount: mollieMoney(obj.amount),
      });
    case 'order':
      return canonical('order', {
        ...base,
        number: text(obj.orderNumber),
        status: statusFrom(ORDER, providerStatus),
        total: mollieMoney(obj.amount),
        lines: Array.isArray(obj.lines) ? obj.lines.map(lineOf) : [],
        customerRef: text(obj.customerId),
        paymentStatus:
          providerStatus !== null && Object.hasOwn(ORDER_PAYMENT, providerStatus)
            ? statusFrom(ORDER_PAYMENT, providerStatus)
            : null,
        providerPaymentStatus: providerStatus,
      });
    default:
      return null;
  }
}

const MONEY = ['id', 'status', 'providerStatus', 'amount', 'createdAt', 'metadata'];
export const MOLLIE_FILLS: CanonicalMapping['fills'] = {
  payment: [...MONEY, 'amountRefunded', 'method', 'customerRef', 'orderRef', 'description'],
  refund: [...MONEY, 'paymentRef', 'reason'],
  dispute: [...MONEY, 'paymentRef', 'reason'],
  payout: MONEY,
  order: [
    'id',
    'number',
    'status',
    'providerStatus',
    'total',
    'lines',
    'customerRef',
    'paymentStatus',
    'providerPaymentStatus',
    'createdAt',
    'metadata',
  ],
};

/**
 * Classic webhooks: the payload is `{id}` until the enrichment step has fetched the object; then the
 * object is under `_embedded.entity` (the same place next-gen events carry it).
 */
export const canonicalMapping: CanonicalMapping = {
  fills: MOLLIE_FILLS,
  map: ({ payload }) => mollieObjectToCanonical(at(payload, '_embedded.entity')),
};
