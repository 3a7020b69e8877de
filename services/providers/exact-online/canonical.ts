/**
 * Exact Online → Order, after enrichment. Exact's notifications are thin (Topic, Action, Key): the
 * enrichment stage (services/processors/enrich/, before the sequencer) fetches the record from the REST API and puts
 * it under `_embedded.entity` of the payload; without it there is no record (nothing is guessed from a
 * key). Topic SalesOrders → Order from the SalesOrder entity of the REST API
 * (https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=SalesOrderSalesOrders):
 * OrderID, OrderNumber, Status (12 Open, 20 Partial, 21 Complete, 45 Cancelled), StatusDescription,
 * DeliveryStatus (12 Open, 20 Partial, 21 Complete), AmountFC + Currency (the order's currency), OrderedBy
 * (customer account id), Created / Modified as OData "/Date(ms)/". Lines are a deferred link unless
 * expanded: when `SalesOrderLines.results` is present they are mapped (ItemCode, Description, Quantity,
 * UnitPrice, AmountFC), else lines stay empty. A Delete has nothing to fetch: no record. Other topics:
 * no record.
 */
import type { Canonical, FulfillmentStatus, Money, OrderLine, OrderStatus } from '../../common/canonical.ts';
import { canonical } from '../../common/canonical.ts';
import { at, text, time, type CanonicalMapping } from '../canonical.ts';
import { decimalText, moneyFromDecimal } from '../money.ts';

const STATUS: Readonly<Record<number, OrderStatus>> = { 12: 'open', 20: 'processing', 21: 'completed', 45: 'canceled' };
const DELIVERY: Readonly<Record<number, FulfillmentStatus>> = { 12: 'unfulfilled', 20: 'partial', 21: 'fulfilled' };

/** OData v2 "/Date(1578268800000)/" or ISO (UTC when no zone: Exact's API times are UTC). */
function exactTime(v: unknown): number | null {
  const d = typeof v === 'string' ? /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(v) : null;
  if (d?.[1]) return Number(d[1]);
  if (typeof v === 'string' && /T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(v)) return time(`${v}Z`);
  return time(v);
}

function code<T>(table: Readonly<Record<number, T>>, v: unknown): T | 'unknown' {
  return typeof v === 'number' && Object.hasOwn(table, v) ? (table[v] as T) : 'unknown';
}

function map(b: unknown): Canonical | null {
  if (text(at(b, 'Content.Topic')) !== 'SalesOrders') return null;
  const o = at(b, '_embedded.entity');
  const id = text(at(o, 'OrderID'));
  if (id === null) return null;
  const currency = text(at(o, 'Currency'));
  const money = (v: unknown): Money | null =>
    v === undefined || v === null || currency === null ? null : moneyFromDecimal(v, currency);
  const lines = at(o, 'SalesOrderLines.results');
  const status = at(o, 'Status');
  const delivery = at(o, 'DeliveryStatus');
  return canonical('order', {
    id,
    number: text(at(o, 'OrderNumber')),
    status: code(STATUS, status),
    providerStatus: [text(status), text(at(o, 'StatusDescription'))].filter((x) => x !== null).join(' ') || null,
    total: money(at(o, 'AmountFC')),
    customerRef: text(at(o, 'OrderedBy')),
    fulfillmentStatus: delivery === undefined || delivery === null ? null : code(DELIVERY, delivery),
    providerFulfillmentStatus:
      [text(delivery), text(at(o, 'DeliveryStatusDescription'))].filter((x) => x !== null).join(' ') || null,
    lines: Array.isArray(lines)
      ? lines.map((l): OrderLine => ({
          sku: text(at(l, 'ItemCode')),
          name: text(at(l, 'Description')) ?? text(at(l, 'ItemDescription')),
          quantity:
            at(l, 'Quantity') === undefined || at(l, 'Quantity') === null ? null : decimalText(at(l, 'Quantity')),
          unitPrice: money(at(l, 'UnitPrice')),
          total: money(at(l, 'AmountFC')),
        }))
      : [],
    createdAt: exactTime(at(o, 'Created')),
    updatedAt: exactTime(at(o, 'Modified')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    order: [
      'number',
      'providerStatus',
      'total',
      'customerRef',
      'fulfillmentStatus',
      'providerFulfillmentStatus',
      'lines',
      'createdAt',
      'updatedAt',
    ],
  },
  map: ({ payload }) => map(payload),
};
