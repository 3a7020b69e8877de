/**
 * The event explorer: "where is this webhook?" by event id, provider delivery id, resource key or
 * trace id, answered with the event's path and timestamps: webhooks.raw → webhooks.normalized →
 * events.<domain> (or events.stale, or a DLQ) → outbound.events → each delivery attempt.
 *
 * How it finds it, and why (no index to keep in step): Kafka is the store, so the explorer reads it,
 * bounded. The window starts at `since` (offsetsForTimes per partition) and ends at the end offsets
 * taken when the search starts; at most `maxScan` records are read (answered as `scanned` and
 * `truncated`). Every pipeline topic is keyed by the resource key, so a resource-key search reads
 * ONE partition per topic (the one the producers' partitioner picks for the key). Event ids,
 * delivery ids and trace ids are not keys: those searches read every partition of the window and
 * match headers (hookline-event-id, hookline-delivery-id, traceparent) and, where the header does not
 * carry it, the decoded record (the normalized envelope's deliveryId; a dead letter's headers). All
 * topics are read in one pass (one consumer group), then the matches are joined into paths: a
 * delivery id leads to the raw record, its normalized record (envelope.raw points back to it) gives
 * the event id, and the event id finds the domain, stale, dead-letter and outbound records; the
 * outbound message ids find the attempts in the delivery log (Redis, log-store.ts).
 */
import type { DeadLetter, NormalizedEnvelope } from '../common/contracts/index.ts';
import { DOMAINS, TOPIC, domainTopic } from '../common/contracts/index.ts';
import { H, type InMessage } from '../common/kafka/types.ts';
import { partitionForKey, rangesSince, scanRanges } from '../common/kafka/scan.ts';
import type { DeliveryLog } from './log-store.ts';
import { logicalTopic, type OperationsDeps } from './operations.ts';

export const KINDS = ['event', 'delivery', 'resource', 'trace'] as const;
export type Kind = (typeof KINDS)[number];

/** A trace id is 32 hex digits; a resource key is `{sourceId}:{resourceType}:{resourceId}`; else an event or delivery id. */
export function detectKind(q: string): Kind | 'id' {
  if (/^[0-9a-f]{32}$/.test(q)) return 'trace';
  if (/^[^:\s]+:[^:\s]+:.+$/.test(q)) return 'resource';
  return 'id';
}

type Stage = 'raw' | 'normalized' | 'domain' | 'stale' | 'dead-letter' | 'outbound';
const RANK: Record<string, number> = {
  raw: 0,
  [TOPIC.rawDlq]: 1.5,
  normalized: 1,
  domain: 2,
  stale: 2,
  [TOPIC.processorsDlq]: 2.5,
  outbound: 3,
  attempt: 4,
  [TOPIC.outboundDlq]: 4.5,
};

interface Seen {
  readonly stage: Stage;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly at: number;
  readonly key: string | null;
  readonly eventId: string | undefined;
  readonly traceId: string | undefined;
  readonly sourceId: string | undefined;
  readonly deliveryId?: string | undefined;
  readonly messageId?: string | undefined;
  readonly eventType?: string | undefined;
  /** normalized: the raw record it came from; webhooks.dlq: the record that failed. */
  readonly from?: { topic: string; partition: number; offset: number };
  readonly reason?: string;
  readonly dlqId?: string;
}

export interface PathStep {
  readonly stage: Stage | 'attempt';
  readonly topic: string | null;
  readonly partition: number | null;
  readonly offset: string | null;
  readonly at: string;
  /** false: known from a later record (the normalized envelope's raw pointer), not read in this search. */
  readonly read: boolean;
  readonly detail: Record<string, unknown>;
}

export interface FoundEvent {
  readonly eventId: string;
  readonly eventType: string | null;
  readonly sourceId: string | null;
  readonly resourceKey: string | null;
  readonly deliveryId: string | null;
  readonly traceId: string | null;
  readonly traceUrl: string | null;
  readonly outcome: string;
  readonly path: PathStep[];
}

export interface SearchResult {
  readonly q: string;
  readonly kind: Kind | 'id';
  readonly since: string;
  readonly until: string;
  readonly scanned: number;
  readonly truncated: boolean;
  readonly events: FoundEvent[];
}

const traceOf = (h: Readonly<Record<string, string>>) => h[H.traceparent]?.split('-')[1];
const pos = (t: string, p: number, o: number | string) => `${t}/${p}/${o}`;

export interface SearchDeps {
  readonly ops: OperationsDeps;
  readonly log: DeliveryLog;
  readonly traceUrl?: ((traceId: string) => string) | undefined;
}

export async function searchEvents(
  d: SearchDeps,
  s: { q: string; kind: Kind | 'id'; since: number; maxScan: number; maxEvents: number; timeoutMs: number },
): Promise<SearchResult> {
  const { ops } = d;
  const until = Date.now();
  const wanted = [
    TOPIC.raw,
    TOPIC.normalized,
    ...DOMAINS.map(domainTopic),
    TOPIC.stale,
    TOPIC.rawDlq,
    TOPIC.processorsDlq,
    TOPIC.outboundEvents,
    TOPIC.outboundDlq,
  ].map((t) => ops.topic(t));
  const exists = new Set(await ops.admin.listTopics());
  const topics = wanted.filter((t) => exists.has(t));
  const ranges = await rangesSince(
    ops.admin,
    topics,
    s.since,
    s.kind === 'resource' ? (topic, n) => partitionForKey(topic, s.q, n) : undefined,
  );
  const seen: Seen[] = [];
  const { scanned, truncated } = await scanRanges(
    ops.kafka,
    ops.admin,
    ranges,
    async (m) => {
      const x = await describe(ops, m);
      if (x) seen.push(x);
    },
    { maxRecords: s.maxScan, timeoutMs: s.timeoutMs, groupPrefix: 'hookline-ops' },
  );
  const events = await join(d, seen, s.q, s.kind, s.maxEvents);
  return {
    q: s.q,
    kind: s.kind,
    since: new Date(s.since).toISOString(),
    until: new Date(until).toISOString(),
    scanned,
    truncated,
    events,
  };
}

/** What the explorer keeps of a record: its place, time and the ids that link it to the others. */
async function describe(ops: OperationsDeps, m: InMessage): Promise<Seen | undefined> {
  const topic = logicalTopic(ops, m.topic);
  const h = m.headers;
  const base = {
    topic,
    partition: m.partition,
    offset: m.offset,
    at: m.timestamp,
    key: m.key,
    eventId: h[H.eventId],
    traceId: traceOf(h),
    sourceId: h[H.source],
  };
  if (topic === TOPIC.raw) return { ...base, stage: 'raw', deliveryId: h[H.deliveryId] };
  if (!m.value) return undefined;
  if (topic === TOPIC.normalized) {
    const e = await ops.avro.decode<NormalizedEnvelope>(m.value);
    return {
      ...base,
      stage: 'normalized',
      eventId: e.eventId,
      key: e.resourceKey,
      sourceId: e.sourceId,
      deliveryId: e.deliveryId,
      eventType: e.eventType,
      from: { topic: logicalTopic(ops, e.raw.topic), partition: e.raw.partition, offset: Number(e.raw.offset) },
    };
  }
  if (topic.endsWith('.dlq')) {
    const dl = await ops.avro.decode<DeadLetter>(m.value);
    return {
      ...base,
      stage: 'dead-letter',
      eventId: dl.headers[H.eventId],
      traceId: dl.traceId ?? traceOf(dl.headers),
      sourceId: dl.sourceId ?? undefined,
      deliveryId: dl.headers[H.deliveryId],
      eventType: dl.eventType ?? undefined,
      reason: dl.reason,
      dlqId: dl.id,
      from: {
        topic: logicalTopic(ops, dl.sourceTopic),
        partition: dl.sourcePartition,
        offset: Number(dl.sourceOffset),
      },
    };
  }
  if (topic === TOPIC.outboundEvents) return { ...base, stage: 'outbound', messageId: h['hookline-message-id'] };
  if (topic === TOPIC.stale) return { ...base, stage: 'stale' };
  return { ...base, stage: 'domain' };
}

function matches(x: Seen, q: string, kind: Kind | 'id'): boolean {
  if (kind === 'trace') return x.traceId === q;
  if (kind === 'resource') return x.key === q;
  const byEvent = x.eventId === q;
  const byDelivery = x.deliveryId === q;
  return kind === 'event' ? byEvent : kind === 'delivery' ? byDelivery : byEvent || byDelivery;
}

/** Joins the matched records (and what they link to) into one path per event. */
async function join(d: SearchDeps, seen: Seen[], q: string, kind: Kind | 'id', maxEvents: number) {
  const normalizedOfRaw = new Map<string, Seen>();
  for (const x of seen)
    if (x.stage === 'normalized' && x.from) normalizedOfRaw.set(pos(x.from.topic, x.from.partition, x.from.offset), x);
  // A provider's retry is a second raw record with the same raw id (deterministic from the delivery
  // id) that the validator dropped as a duplicate: it joins the event its first copy became.
  const eventOfRawId = new Map<string, string>();
  for (const x of seen)
    if (x.stage === 'raw' && x.eventId) {
      const n = normalizedOfRaw.get(pos(x.topic, x.partition, x.offset));
      if (n?.eventId) eventOfRawId.set(x.eventId, n.eventId);
    }
  // The group of a record: its normalized event id where one exists, else its own (raw) id.
  const rawGroup = (at: string, rawId: string | undefined) =>
    normalizedOfRaw.get(at)?.eventId ?? (rawId ? eventOfRawId.get(rawId) : undefined) ?? `raw:${rawId}`;
  const groupOf = (x: Seen): string => {
    if (x.stage === 'raw') return rawGroup(pos(x.topic, x.partition, x.offset), x.eventId);
    if (x.stage === 'dead-letter' && x.from?.topic === TOPIC.raw)
      return rawGroup(pos(x.from.topic, x.from.partition, x.from.offset), x.eventId);
    return x.eventId ?? `${x.topic}/${x.partition}/${x.offset}`;
  };
  const groups = new Set(seen.filter((x) => matches(x, q, kind)).map(groupOf));
  const byGroup = new Map<string, Seen[]>();
  for (const x of seen) {
    const g = groupOf(x);
    if (!groups.has(g)) continue;
    byGroup.set(g, [...(byGroup.get(g) ?? []), x]);
  }
  const chosen = [...byGroup.entries()]
    .map(([g, xs]) => ({ g, xs, first: Math.min(...xs.map((x) => x.at)) }))
    .sort((a, b) => b.first - a.first)
    .slice(0, maxEvents);
  const out: FoundEvent[] = [];
  for (const { g, xs } of chosen) out.push(await pathOf(d, g, xs));
  return out;
}

async function pathOf(d: SearchDeps, group: string, xs: Seen[]): Promise<FoundEvent> {
  const norm = xs.find((x) => x.stage === 'normalized');
  const steps: (PathStep & { rank: number; ms: number })[] = [];
  const step = (x: Seen, detail: Record<string, unknown>) =>
    steps.push({
      stage: x.stage,
      topic: x.topic,
      partition: x.partition,
      offset: x.offset,
      at: new Date(x.at).toISOString(),
      read: true,
      detail,
      rank: x.stage === 'dead-letter' ? (RANK[x.topic] ?? 3) : RANK[x.stage]!,
      ms: x.at,
    });
  for (const x of xs) {
    if (x.stage === 'raw')
      step(x, {
        deliveryId: x.deliveryId ?? null,
        rawEventId: x.eventId ?? null,
        // Only one raw copy becomes the normalized event; the others were provider retries.
        duplicate:
          norm?.from !== undefined &&
          pos(norm.from.topic, norm.from.partition, norm.from.offset) !== pos(x.topic, x.partition, x.offset),
      });
    else if (x.stage === 'normalized') step(x, { eventType: x.eventType ?? null, deliveryId: x.deliveryId ?? null });
    else if (x.stage === 'dead-letter') step(x, { id: x.dlqId, reason: x.reason, from: x.from?.topic ?? null });
    else if (x.stage === 'outbound') step(x, { messageId: x.messageId ?? null });
    else step(x, {});
  }
  if (norm?.from && !xs.some((x) => x.stage === 'raw')) {
    // Resource searches read one partition; the raw record may sit in another (keyed by delivery).
    steps.push({
      stage: 'raw',
      topic: norm.from.topic,
      partition: norm.from.partition,
      offset: String(norm.from.offset),
      at: new Date(norm.at).toISOString(),
      read: false,
      detail: { deliveryId: norm.deliveryId ?? null },
      rank: 0,
      ms: norm.at - 1,
    });
  }
  const firstOutbound = new Map<string, number>();
  for (const x of xs)
    if (x.stage === 'outbound' && x.messageId)
      firstOutbound.set(x.messageId, Math.min(x.at, firstOutbound.get(x.messageId) ?? x.at));
  let delivered = false;
  for (const [messageId, at] of firstOutbound) {
    // The log's time index bounds the look-up: attempts come after the outbound record (1 min slack).
    const { data } = await d.log.query({ messageId, since: at - 60_000, limit: 50 });
    for (const summary of data) {
      if (summary.status === 'SUCCEEDED') delivered = true;
      for (const a of await d.log.attempts(summary.endpointId, messageId))
        steps.push({
          stage: 'attempt',
          topic: null,
          partition: null,
          offset: null,
          at: new Date(a.attemptedAt).toISOString(),
          read: true,
          detail: {
            messageId,
            endpointId: a.endpointId,
            attempt: a.attempt,
            outcome: a.outcome,
            statusCode: a.statusCode,
            durationMs: a.durationMs,
            error: a.error,
          },
          rank: RANK.attempt!,
          ms: a.attemptedAt,
        });
    }
  }
  steps.sort((a, b) => a.rank - b.rank || a.ms - b.ms);
  const traceId = xs.find((x) => x.traceId)?.traceId ?? null;
  const stages = new Set(xs.map((x) => x.stage));
  const outcome = delivered
    ? 'delivered'
    : stages.has('dead-letter')
      ? 'dead-lettered'
      : stages.has('stale')
        ? 'stale'
        : stages.has('outbound')
          ? 'outbound'
          : stages.has('domain')
            ? 'sequenced'
            : stages.has('normalized')
              ? 'normalized'
              : 'received';
  return {
    eventId: norm?.eventId ?? xs.find((x) => x.eventId)?.eventId ?? group,
    eventType: norm?.eventType ?? xs.find((x) => x.eventType)?.eventType ?? null,
    sourceId: norm?.sourceId ?? xs.find((x) => x.sourceId)?.sourceId ?? null,
    resourceKey: norm?.key ?? null,
    deliveryId: norm?.deliveryId ?? xs.find((x) => x.deliveryId)?.deliveryId ?? null,
    traceId,
    traceUrl: traceId && d.traceUrl ? d.traceUrl(traceId) : null,
    outcome,
    path: steps.map(({ rank: _r, ms: _m, ...p }) => p),
  };
}
