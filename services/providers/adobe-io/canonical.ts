/**
 * Adobe I/O Events → Order for Adobe Commerce (Magento) order events
 * (`com.adobe.commerce.observer.sales_order_save_after` / `…_save_commit_after`, also `plugin.` and the
 * `observer.` names without the prefix). The event's `data.value` carries the order fields the
 * subscription selected (https://developer.adobe.com/commerce/extensibility/events/events-reference/):
 * entity_id, increment_id, state, status, grand_total, subtotal, tax_amount, shipping_amount,
 * order_currency_code, customer_id, created_at, updated_at, items[] (sku, name, qty_ordered, price,
 * row_total, parent_item_id). A field the subscription left out stays null.
 * Status: Magento's order `state` (fixed set; `status` labels are merchant-defined):
 * new|pending_payment → pending, payment_review|holded → on_hold, processing, complete → completed,
 * closed → refunded (closed = fully credited), canceled; else unknown, raw state kept.
 * Commerce times are "YYYY-MM-DD HH:MM:SS" in UTC (Magento stores UTC). Child items of configurable
 * products (parent_item_id set) are not separate lines. AEM and other Adobe events: no record.
 */
import { canonical, type Canonical, type Money, type OrderLine, type OrderStatus } from '../../common/canonical.ts';
import { at, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';
import { decimalText, moneyFromDecimal } from '../money.ts';

const STATE: Readonly<Record<string, OrderStatus>> = {
  new: 'pending',
  pending_payment: 'pending',
  payment_review: 'on_hold',
  holded: 'on_hold',
  processing: 'processing',
  complete: 'completed',
  closed: 'refunded',
  canceled: 'canceled',
};
const ORDER_EVENT = /(^|\.)(observer|plugin)\.sales_order_(save_after|save_commit_after|place_after)$/;

function commerceTime(v: unknown): number | null {
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(v)) return time(`${v.replace(' ', 'T')}Z`);
  return time(v);
}

function lineOf(item: unknown, currency: string | null): OrderLine | null {
  if (text(at(item, 'parent_item_id')) !== null) return null;
  const money = (v: unknown): Money | null =>
    v === undefined || v === null || currency === null ? null : moneyFromDecimal(v, currency);
  const qty = at(item, 'qty_ordered');
  return {
    sku: text(at(item, 'sku')),
    name: text(at(item, 'name')),
    quantity: qty === undefined || qty === null ? null : decimalText(qty),
    unitPrice: money(at(item, 'price')),
    total: money(at(item, 'row_total')),
  };
}

function map(body: unknown, eventType: string): Canonical | null {
  if (!ORDER_EVENT.test(eventType)) return null;
  const o = at(body, 'data.value');
  const id = text(at(o, 'entity_id')) ?? text(at(o, 'id'));
  if (id === null) return null;
  const currency = text(at(o, 'order_currency_code'));
  const money = (path: string): Money | null => {
    const v = at(o, path);
    return v === undefined || v === null || currency === null ? null : moneyFromDecimal(v, currency);
  };
  const state = text(at(o, 'state'));
  const items = at(o, 'items');
  return canonical('order', {
    id,
    number: text(at(o, 'increment_id')),
    status: statusFrom(STATE, state),
    providerStatus: state,
    total: money('grand_total'),
    subtotal: money('subtotal'),
    tax: money('tax_amount'),
    shipping: money('shipping_amount'),
    customerRef: text(at(o, 'customer_id')),
    lines: Array.isArray(items) ? items.map((i) => lineOf(i, currency)).filter((l) => l !== null) : [],
    createdAt: commerceTime(at(o, 'created_at')),
    updatedAt: commerceTime(at(o, 'updated_at')),
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
      'customerRef',
      'lines',
      'createdAt',
      'updatedAt',
    ],
  },
  map: ({ payload, fields }) => map(payload, fields.eventType),
};
