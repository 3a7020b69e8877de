/**
 * TypeScript shape of schemas/canonical.avsc (keep the two in step): the provider-neutral record of
 * one event, carried as `canonical` on webhooks.normalized and events.<domain>. Exactly one entity
 * field is set, named by `entity`. Rules every mapping follows (services/providers/<name>/canonical.ts):
 * - what the provider does not send stays null; nothing is guessed;
 * - a provider status the mapping does not know is `unknown`, with `providerStatus` kept verbatim;
 * - money is integer minor units of an ISO 4217 currency (services/providers/money.ts); decimals
 *   (quantities, prices) are decimal text, never a float.
 * The builders below fill every optional field with null/{}/[], so a mapping only names what it knows.
 */

export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

type Nullable<T> = { readonly [K in keyof T]: T[K] | null };
type Meta = Readonly<Record<string, string>>;

export const PAYMENT_STATUSES = [
  'unknown',
  'pending',
  'authorized',
  'succeeded',
  'failed',
  'canceled',
  'expired',
  'refunded',
  'partially_refunded',
  'disputed',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type RefundStatus = 'unknown' | 'pending' | 'succeeded' | 'failed' | 'canceled';
export type DisputeStatus = 'unknown' | 'needs_response' | 'under_review' | 'won' | 'lost' | 'warning' | 'closed';
export type PayoutStatus = 'unknown' | 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';
export type OrderStatus =
  'unknown' | 'pending' | 'open' | 'processing' | 'on_hold' | 'completed' | 'canceled' | 'refunded' | 'failed';
export type FulfillmentStatus = 'unknown' | 'unfulfilled' | 'partial' | 'fulfilled' | 'returned';
export type OrderPaymentStatus =
  | 'unknown'
  | 'pending'
  | 'authorized'
  | 'paid'
  | 'partially_paid'
  | 'refunded'
  | 'partially_refunded'
  | 'voided'
  | 'failed';
export type ShipmentStatus =
  | 'unknown'
  | 'label_created'
  | 'announced'
  | 'picked_up'
  | 'in_transit'
  | 'out_for_delivery'
  | 'delivered'
  | 'exception'
  | 'returned'
  | 'canceled';
export type MessageStatus =
  'unknown' | 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';
export type Direction = 'unknown' | 'inbound' | 'outbound';
export type Side = 'unknown' | 'buy' | 'sell';
export type TradeStatus = 'unknown' | 'new' | 'partially_filled' | 'filled' | 'canceled' | 'rejected' | 'expired';
export type ChangeStatus = 'unknown' | 'pushed' | 'opened' | 'updated' | 'merged' | 'closed' | 'reopened';
export type PipelineStatus = 'unknown' | 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'skipped';
export type DeploymentStatus = 'unknown' | 'pending' | 'in_progress' | 'succeeded' | 'failed' | 'canceled';
export type CrmChange = 'unknown' | 'created' | 'updated' | 'deleted' | 'merged' | 'restored';

export interface Payment extends Nullable<{
  providerStatus: string;
  amount: Money;
  amountRefunded: Money;
  method: string;
  customerRef: string;
  orderRef: string;
  description: string;
  createdAt: number;
}> {
  readonly id: string;
  readonly status: PaymentStatus;
  readonly metadata: Meta;
}
export interface Refund extends Nullable<{
  providerStatus: string;
  amount: Money;
  paymentRef: string;
  reason: string;
  createdAt: number;
}> {
  readonly id: string;
  readonly status: RefundStatus;
  readonly metadata: Meta;
}
export interface Dispute extends Nullable<{
  providerStatus: string;
  amount: Money;
  paymentRef: string;
  reason: string;
  createdAt: number;
}> {
  readonly id: string;
  readonly status: DisputeStatus;
  readonly metadata: Meta;
}
export interface Payout extends Nullable<{
  providerStatus: string;
  amount: Money;
  arrivalAt: number;
  method: string;
  createdAt: number;
}> {
  readonly id: string;
  readonly status: PayoutStatus;
  readonly metadata: Meta;
}
export type OrderLine = Nullable<{ sku: string; name: string; quantity: string; unitPrice: Money; total: Money }>;
export interface Order extends Nullable<{
  number: string;
  providerStatus: string;
  total: Money;
  subtotal: Money;
  tax: Money;
  shipping: Money;
  customerRef: string;
  fulfillmentStatus: FulfillmentStatus;
  providerFulfillmentStatus: string;
  paymentStatus: OrderPaymentStatus;
  providerPaymentStatus: string;
  createdAt: number;
  updatedAt: number;
}> {
  readonly id: string;
  readonly status: OrderStatus;
  readonly lines: readonly OrderLine[];
  readonly metadata: Meta;
}
export interface Shipment extends Nullable<{
  carrier: string;
  trackingNumber: string;
  providerStatus: string;
  statusAt: number;
  orderRef: string;
}> {
  readonly id: string;
  readonly status: ShipmentStatus;
}
export interface Message extends Nullable<{
  channel: string;
  from: string;
  to: string;
  providerStatus: string;
  text: string;
}> {
  readonly id: string;
  readonly direction: Direction;
  readonly status: MessageStatus;
}
export interface Signal extends Nullable<{
  id: string;
  symbol: string;
  quantity: string;
  price: string;
  venue: string;
  strategy: string;
  text: string;
}> {
  readonly side: Side;
}
export interface Trade extends Nullable<{
  symbol: string;
  quantity: string;
  price: string;
  venue: string;
  orderId: string;
  fillId: string;
  providerStatus: string;
}> {
  readonly id: string;
  readonly side: Side;
  readonly status: TradeStatus;
}
interface CodeFields {
  repository: string;
  ref: string;
  kind: string;
  providerStatus: string;
  actor: string;
  commit: string;
}
export interface Change extends Nullable<CodeFields & { title: string }> {
  readonly id: string;
  readonly status: ChangeStatus;
}
export interface Pipeline extends Nullable<CodeFields> {
  readonly id: string;
  readonly status: PipelineStatus;
}
export interface Deployment extends Nullable<CodeFields & { environment: string }> {
  readonly id: string;
  readonly status: DeploymentStatus;
}
interface CrmFields {
  readonly id: string;
  readonly change: CrmChange;
  readonly providerChange: string | null;
  readonly name: string | null;
  readonly changedProperties: Readonly<Record<string, string | null>>;
}
export interface Contact extends CrmFields {
  readonly email: string | null;
}
export type Company = CrmFields;
export interface Deal extends CrmFields {
  readonly stage: string | null;
  readonly amount: Money | null;
}

export interface Entities {
  payment: Payment;
  refund: Refund;
  dispute: Dispute;
  payout: Payout;
  order: Order;
  shipment: Shipment;
  message: Message;
  signal: Signal;
  trade: Trade;
  change: Change;
  pipeline: Pipeline;
  deployment: Deployment;
  contact: Contact;
  company: Company;
  deal: Deal;
}
export type Entity = keyof Entities;
export const ENTITIES: readonly Entity[] = [
  'payment',
  'refund',
  'dispute',
  'payout',
  'order',
  'shipment',
  'message',
  'signal',
  'trade',
  'change',
  'pipeline',
  'deployment',
  'contact',
  'company',
  'deal',
];

export type Canonical = { readonly entity: Entity | 'unknown' } & { readonly [K in Entity]: Entities[K] | null };

/** Which fields each entity has besides the always-filled ones, with their empty value (null, {} or []). */
const EMPTY: { readonly [K in Entity]: Readonly<Record<string, unknown>> } = (() => {
  const n = (...names: string[]) => Object.fromEntries(names.map((k) => [k, null]));
  const money = n('providerStatus', 'amount', 'createdAt');
  const code = n('repository', 'ref', 'kind', 'providerStatus', 'actor', 'commit');
  const crm = { providerChange: null, name: null, changedProperties: {} };
  return {
    payment: {
      ...money,
      ...n('amountRefunded', 'method', 'customerRef', 'orderRef', 'description'),
      metadata: {},
    },
    refund: { ...money, ...n('paymentRef', 'reason'), metadata: {} },
    dispute: { ...money, ...n('paymentRef', 'reason'), metadata: {} },
    payout: { ...money, ...n('arrivalAt', 'method'), metadata: {} },
    order: {
      ...n('number', 'providerStatus', 'total', 'subtotal', 'tax', 'shipping', 'customerRef', 'createdAt', 'updatedAt'),
      ...n('fulfillmentStatus', 'providerFulfillmentStatus', 'paymentStatus', 'providerPaymentStatus'),
      lines: [],
      metadata: {},
    },
    shipment: n('carrier', 'trackingNumber', 'providerStatus', 'statusAt', 'orderRef'),
    message: { ...n('channel', 'from', 'to', 'providerStatus', 'text'), direction: 'unknown' },
    signal: { ...n('id', 'symbol', 'quantity', 'price', 'venue', 'strategy', 'text'), side: 'unknown' },
    trade: { ...n('symbol', 'quantity', 'price', 'venue', 'orderId', 'fillId', 'providerStatus'), side: 'unknown' },
    change: { ...code, title: null },
    pipeline: code,
    deployment: { ...code, environment: null },
    contact: { ...crm, email: null },
    company: crm,
    deal: { ...crm, stage: null, amount: null },
  };
})();

/** Fields a mapping must always give per entity (the rest default to null/{}/[]). */
type Required<K extends Entity> = K extends 'signal'
  ? Partial<Entities[K]>
  : K extends 'contact' | 'company' | 'deal'
    ? Pick<Entities[K], 'id' | 'change'> & Partial<Entities[K]>
    : Pick<Entities[K], 'id' | ('status' & keyof Entities[K])> & Partial<Entities[K]>;

/** The full canonical record of one entity; fields not given are null (or {} / []). */
export function canonical<K extends Entity>(entity: K, fields: Required<K>): Canonical {
  const out: Record<string, unknown> = { entity };
  for (const e of ENTITIES) out[e] = null;
  out[entity] = { ...EMPTY[entity], ...dropUndefined(fields) };
  return out as Canonical;
}

function dropUndefined(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) r[k] = v;
  return r;
}

/** The entity record of a canonical value (the one field `entity` names), or null. */
export function entityOf(c: Canonical | null | undefined): Entities[Entity] | null {
  if (!c || c.entity === 'unknown') return null;
  return c[c.entity];
}
