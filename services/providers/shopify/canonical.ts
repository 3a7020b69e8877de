/**
 * Shopify order webhooks (orders/create, orders/updated, orders/paid, orders/cancelled, …) → Order.
 * The body is the full Order resource (Admin REST API "Order" object, shopify.dev/docs/api/admin-rest/
 * latest/resources/order). Prices are decimal text ("403.00") in `currency` (the shop currency).
 * Shopify has no single order status: an order is open, closed (`closed_at`) or cancelled
 * (`cancelled_at`), the API's own `status` filter; providerStatus records which of the three it was.
 * financial_status and fulfillment_status map to the payment and fulfilment states (docs' value lists;
 * fulfillment_status null means "unfulfilled" per the docs; anything else → unknown, raw value kept).
 */
import { canonical, type Canonical, type OrderLine } from '../../common/canonical.ts';
import { at, pairsOf, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';
import { isRecord } from '../core/parse.ts';
import { decimalText, moneyFromDecimal } from '../money.ts';

const FINANCIAL = {
  pending: 'pending',
  authorized: 'authorized',
  partially_paid: 'partially_paid',
  paid: 'paid',
  partially_refunded: 'partially_refunded',
  refunded: 'refunded',
  voided: 'voided',
} as const;
const FULFILLMENT = { fulfilled: 'fulfilled', partial: 'partial', restocked: 'returned' } as const;

function map(o: unknown): Canonical | null {
  if (!isRecord(o) || text(o.id) === null || (o.line_items === undefined && o.financial_status === undefined)) {
    return null;
  }
  const currency = o.currency;
  const money = (v: unknown) => (v === undefined || v === null ? null : moneyFromDecimal(v, currency));
  const providerStatus = text(o.cancelled_at) !== null ? 'cancelled' : text(o.closed_at) !== null ? 'closed' : 'open';
  const fulfillment =
    o.fulfillment_status === null ? 'unfulfilled' : statusFrom(FULFILLMENT, text(o.fulfillment_status));
  const lines: OrderLine[] = Array.isArray(o.line_items)
    ? o.line_items.map((l) => ({
        sku: text(at(l, 'sku')),
        name: text(at(l, 'title')) ?? text(at(l, 'name')),
        quantity: at(l, 'quantity') === undefined ? null : decimalText(at(l, 'quantity')),
        unitPrice: money(at(l, 'price')),
        total: null,
      }))
    : [];
  return canonical('order', {
    id: text(o.id) ?? '',
    number: text(o.name) ?? text(o.order_number),
    status: ({ cancelled: 'canceled', closed: 'completed', open: 'open' } as const)[providerStatus],
    providerStatus,
    total: money(o.total_price),
    subtotal: money(o.subtotal_price),
    tax: money(o.total_tax),
    shipping: money(at(o, 'total_shipping_price_set.shop_money.amount')),
    lines,
    customerRef: text(at(o, 'customer.id')),
    fulfillmentStatus: o.fulfillment_status === undefined ? null : fulfillment,
    providerFulfillmentStatus: text(o.fulfillment_status),
    paymentStatus: o.financial_status === undefined ? null : statusFrom(FINANCIAL, text(o.financial_status)),
    providerPaymentStatus: text(o.financial_status),
    createdAt: time(o.created_at),
    updatedAt: time(o.updated_at),
    metadata: pairsOf(o.note_attributes, 'name', 'value'),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    order: [
      'number',
      'providerStatus',
      'total',
      'subtotal',
      'tax',
      'shipping',
      'lines',
      'customerRef',
      'fulfillmentStatus',
      'providerFulfillmentStatus',
      'paymentStatus',
      'providerPaymentStatus',
      'createdAt',
      'updatedAt',
      'metadata',
    ],
  },
  map: ({ payload, fields }) =>
    fields.resourceType === 'order' || fields.eventType.startsWith('orders/') ? map(payload) : null,
};
