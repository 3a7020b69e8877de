/** Normalized envelopes built directly (what the validator would produce), for sequencer and processor tests. */
import { eventIdOf, resourceKeyOf } from '../../services/common/ids.ts';
import type { NormalizedEnvelope } from '../../services/common/contracts/index.ts';
import type { OrderingKind } from '../../services/providers/types.ts';
import { rng } from '../helpers/rng.ts';
export { rng };

export interface Spec {
  readonly provider: string;
  readonly sourceId: string;
  readonly resourceType: string;
  readonly kind: OrderingKind;
  readonly eventType: (i: number) => string;
}

export const SPECS: readonly Spec[] = [
  {
    provider: 'stripe',
    sourceId: 'stripe-eu',
    resourceType: 'payment_intent',
    kind: 'STATUS',
    eventType: (i) =>
      i < 3 ? 'payment_intent.created' : i < 8 ? 'payment_intent.processing' : 'payment_intent.succeeded',
  },
  {
    provider: 'shopify',
    sourceId: 'shop-nl',
    resourceType: 'order',
    kind: 'VERSION',
    eventType: () => 'orders/updated',
  },
  {
    provider: 'standard-webhooks',
    sourceId: 'exchange-1',
    resourceType: 'order',
    kind: 'SEQUENCE',
    eventType: () => 'trade.executed',
  },
  { provider: 'github', sourceId: 'gh-org', resourceType: 'issue', kind: 'VERSION', eventType: () => 'issues' },
  { provider: 'teams', sourceId: 'teams-1', resourceType: 'conversation', kind: 'NONE', eventType: () => 'message' },
];

export const T0 = 1_750_000_000_000;

/** Event i (0-based) of resource r of a spec: ordering values increase with i. */
export function envelope(
  spec: Spec,
  r: number,
  i: number,
  overrides: Partial<NormalizedEnvelope> = {},
): NormalizedEnvelope {
  const resourceId = `${spec.resourceType}-${r}`;
  const dedupeKey = `${spec.sourceId}-${r}-${i}`;
  const occurredAt = T0 + r * 1000 + i * 10;
  const ordering =
    spec.kind === 'SEQUENCE'
      ? { kind: spec.kind, value: i + 1, statusRank: null }
      : spec.kind === 'VERSION'
        ? { kind: spec.kind, value: occurredAt, statusRank: null }
        : spec.kind === 'STATUS'
          ? { kind: spec.kind, value: occurredAt, statusRank: i < 3 ? 1 : i < 8 ? 2 : 3 }
          : { kind: spec.kind, value: null, statusRank: null };
  return {
    eventId: eventIdOf(spec.sourceId, dedupeKey),
    sourceId: spec.sourceId,
    provider: spec.provider,
    eventType: spec.eventType(i),
    resourceType: spec.resourceType,
    resourceId,
    resourceKey: resourceKeyOf(spec.sourceId, spec.resourceType, resourceId),
    dedupeKey,
    occurredAt,
    receivedAt: occurredAt + 5,
    ordering,
    payload: JSON.stringify({ id: dedupeKey, n: i, resource: resourceId, status: `s${i}` }),
    contentType: 'application/json',
    deliveryId: dedupeKey,
    headers: {},
    raw: { topic: 'webhooks.raw', partition: 0, offset: r * 100 + i },
    ...overrides,
  };
}

export function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
