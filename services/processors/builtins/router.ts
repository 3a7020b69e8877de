/**
 * Outbound router: a domain event → an outbound event for the dispatcher (outbound.events, Avro
 * schemas/outbound.event.avsc, keyed by resourceKey so one resource stays in order). Which outbound
 * type a domain event becomes is DATA (OUTBOUND_RULES, first match wins; `null` = not published).
 * messageId = msg_<uuid of (domain eventId, outbound type)>: stable across retries and replays, so
 * the Standard Webhooks `webhook-id` lets customers drop a re-delivery.
 */
import { deterministicUuid } from '../../common/ids.ts';
import type { OutRecord } from '../../common/kafka/types.ts';
import type { AvroCodec } from '../../common/schemas.ts';
import { canonicalStateOf, viewOf } from './projector.ts';
import type { DomainEvent } from '../../common/contracts/index.ts';
import { globMatcher, type HandlerFactory } from '../types.ts';

export interface OutboundRule {
  /** Glob over `<provider>/<eventType>`. */
  readonly match: string;
  /** Outbound type; `{resourceType}` and `{last}` (last segment of the event type) are substituted. null = drop. */
  readonly type: string | null;
}

export const OUTBOUND_RULES: readonly OutboundRule[] = [
  { match: 'stripe/payment_intent.succeeded', type: 'payment.succeeded' },
  { match: 'stripe/payment_intent.payment_failed', type: 'payment.failed' },
  { match: 'stripe/payment_intent.*', type: 'payment.updated' },
  { match: 'stripe/charge.refunded', type: 'payment.refunded' },
  { match: 'mollie*/*', type: 'payment.updated' },
  { match: 'shopify/orders/create', type: 'order.created' },
  { match: 'shopify/orders/*', type: 'order.updated' },
  { match: 'woocommerce/order.*', type: 'order.{last}' },
  { match: 'bol/*', type: 'order.updated' },
  { match: 'sendcloud/*', type: 'shipment.updated' },
  { match: 'myparcel/*', type: 'shipment.updated' },
  { match: 'postnl/*', type: 'shipment.updated' },
  { match: 'github/ping', type: null },
  { match: 'gitlab/*', type: '{resourceType}.updated' },
  { match: '*', type: '{resourceType}.updated' },
];

export interface RouterDeps {
  readonly avro: AvroCodec;
  readonly topic: string;
  readonly rules?: readonly OutboundRule[];
  readonly now?: () => number;
}

export function outboundTypeOf(rules: readonly OutboundRule[]): (e: DomainEvent) => string | null {
  const compiled = rules.map((r) => ({ m: globMatcher([r.match]), type: r.type }));
  return (e) => {
    const rule = compiled.find((r) => r.m(`${e.provider}/${e.eventType}`));
    if (!rule || rule.type === null) return null;
    const last = e.eventType.split(/[./]/).pop() ?? e.eventType;
    return rule.type.replaceAll('{resourceType}', e.resourceType).replaceAll('{last}', last);
  };
}

export const messageIdOf = (eventId: string, outboundType: string): string =>
  `msg_${deterministicUuid('outbound', eventId, outboundType).replaceAll('-', '')}`;

export const outboundRouter: HandlerFactory<RouterDeps> = (deps) => {
  const typeOf = outboundTypeOf(deps.rules ?? OUTBOUND_RULES);
  const now = deps.now ?? Date.now;
  return {
    name: 'outbound-router',
    events: ['*'],
    async handle(event): Promise<readonly OutRecord[]> {
      const type = typeOf(event);
      if (type === null) return [];
      const messageId = messageIdOf(event.eventId, type);
      const createdAt = now();
      // data: the canonical state when the provider has a mapping (the same shape for Stripe and Mollie),
      // else the projected view with the provider's payload.
      const data = canonicalStateOf(event) ?? viewOf(event);
      const body = { id: messageId, type, timestamp: new Date(event.occurredAt).toISOString(), data };
      const value = {
        messageId,
        eventType: type,
        resourceKey: event.resourceKey,
        sourceEventId: event.eventId,
        occurredAt: event.occurredAt,
        createdAt,
        payload: JSON.stringify(body),
        endpointId: null,
      };
      return [
        {
          topic: deps.topic,
          key: event.resourceKey,
          value: await deps.avro.encode(deps.topic, value),
          headers: { 'hookline-event-id': event.eventId, 'hookline-message-id': messageId },
        },
      ];
    },
  };
};
