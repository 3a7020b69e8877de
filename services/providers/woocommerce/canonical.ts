/**
 * WooCommerce order webhooks (order.created / order.updated / …) → Order. The body is the REST API v3
 * order object (woocommerce.github.io/woocommerce-rest-api-docs, "Order properties"): amounts are
 * decimal text in `currency`; statuses pending, processing, on-hold, completed, cancelled, refunded,
 * failed, checkout-draft (→ pending). Payment state: `date_paid_gmt` set → paid (WooCommerce records
 * the payment time, not a payment status); fulfilment is not modelled by WooCommerce core → null.
 */
import { canonical, type Canonical } from '../../common/canonical.ts';
import { at, pairsOf, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';
import { isRecord } from '../core/parse.ts';
import { decimalText, moneyFromDecimal } from '../money.ts';

const STATUS = {
  pending: 'pending',
  'checkout-draft': 'pending',
  processing: 'processing',
  'on-hold': 'on_hold',
  completed: 'completed',
  cancelled: 'canceled',
  refunded: 'refunded',
  failed: 'failed',
} as const;

const utc = (v: unknown) => (typeof v === 'string' && !/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? `${v}Z` : v);

function map(o: unknown): Canonical | null {
  if (!isRecord(o) || text(o.id) === null || o.line_items === undefined) return null;
  const money = (v: unknown) => (v === undefined || v === null || v === '' ? null : moneyFromDecimal(v, o.currency));
  const providerStatus = text(o.status);
  const customer = text(o.customer_id);
  return canonical('order', {
    id: text(o.id) ?? '',
    number: text(o.number),
    status: statusFrom(STATUS, providerStatus),
    providerStatus,
    total: money(o.total),
    tax: money(o.total_tax),
    shipping: money(o.shipping_total),
    lines: Array.isArray(o.line_items)
      ? o.line_items.map((l) => ({
          sku: text(at(l, 'sku')),
          name: text(at(l, 'name')),
          quantity: at(l, 'quantity') === undefined ? null : decimalText(at(l, 'quantity')),
          unitPrice: at(l, 'price') === undefined ? null : money(at(l, 'price')),
          total: money(at(l, 'total')),
        }))
      : [],
    customerRef: customer === '0' ? null : customer, // 0 = guest checkout
    paymentStatus: text(o.date_paid_gmt) !== null ? 'paid' : null,
    createdAt: time(utc(o.date_created_gmt)),
    updatedAt: time(utc(o.date_modified_gmt)),
    metadata: pairsOf(o.meta_data, 'key', 'value'),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    order: [
      'number',
      'providerStatus',
      'total',
      'tax',
      'shipping',
      'lines',
      'customerRef',
      'paymentStatus',
      'createdAt',
      'updatedAt',
      'metadata',
    ],
  },
  map: ({ payload, fields }) => (fields.eventType.startsWith('order.') ? map(payload) : null),
};
