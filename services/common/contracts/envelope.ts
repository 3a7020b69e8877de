/** webhooks.normalized (the validator's and the enrichment stage's output, the sequencer's input) and webhooks.enrich. */
import type { OrderingKind } from './ordering.ts';
import type { Canonical } from '../canonical.ts';

/** TypeScript shape of schemas/webhooks.normalized.avsc (keep the two in step). */
export interface NormalizedEnvelope {
  eventId: string;
  sourceId: string;
  provider: string;
  eventType: string;
  resourceType: string;
  resourceId: string;
  resourceKey: string;
  dedupeKey: string;
  /** epoch ms */
  occurredAt: number;
  /** epoch ms */
  receivedAt: number;
  ordering: { kind: OrderingKind; value: number | null; statusRank: number | null };
  payload: string;
  contentType: string;
  deliveryId: string;
  headers: Record<string, string>;
  raw: { topic: string; partition: number; offset: number };
  /** Provider-neutral record (schemas/canonical.avsc); null when none; absent on records written before it existed. */
  canonical?: Canonical | null;
}
