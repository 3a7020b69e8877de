/**
 * The sequencer stage: webhooks.normalized → events.<domain> | events.stale, with its state in
 * sequencer.changelog, all three written in ONE transaction with the input offsets (runStage).
 *
 * State per input partition: every resource's ResourceState (last applied ordering value,
 * position, recent event ids, held-back events), plus a watermark record = the last input offset
 * folded into the state. The changelog record of a resource is written to the changelog partition
 * equal to the input partition (explicit partition), in the same transaction as the output, so the
 * changelog is co-partitioned and always agrees with the committed output. prepare() fences the
 * partition's transactional id and reads the changelog partition back (common/kafka/restore.ts); release()
 * drops it. An aborted chunk is retried after release()+prepare(), so in-place mutation is safe.
 *
 * Replay: a record at or below the watermark was already folded into the state (an operator reset
 * the group's offsets): it is skipped and counted. A re-published event (new offset, same eventId)
 * is recognised by ordering.ts as a duplicate.
 *
 * Releasing held events when no input arrives: runStage only calls handle() when a partition has
 * records. Deadlines are wall-clock times stored in the state (heldAt), so they survive restarts,
 * and are checked on every chunk. For a quiet partition, a ticker in this process looks at its
 * partitions every tickIntervalMs; when the earliest deadline of a partition has passed it writes a
 * TICK record (null value, key TICK_KEY, header hookline-tick) to that partition of the input topic.
 * The tick comes back through the normal consume → transaction path, so the release, its output,
 * the changelog and the offsets commit atomically like any other record — no second producer ever
 * writes this partition's state. Ticks are harmless if duplicated or stale (they only trigger a
 * deadline check) and are produced only while something is due, so a quiet system writes none.
 * Other consumers of webhooks.normalized must skip records with a null value (tombstone-like).
 *
 * Expiry: a resource's state is kept for stateTtlMs after the last event that changed it, then
 * dropped with a changelog tombstone written in a normal chunk's transaction (a sweep at most
 * every sweepEveryMs per partition, only of resources with nothing held). The trade-off: an event
 * for that resource older than the TTL is afterwards judged with no state, as the first one. The
 * default (30 days) is longer than any provider's retry window (Stripe 3 days, Shopify 48 h).
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Meter } from '@opentelemetry/api';
import { deadLetterOf, deadLetterRecord } from '../common/dlq.ts';
import type { NormalizedEnvelope } from '../common/contracts/index.ts';
import { isRetriable } from '../common/errors.ts';
import type { HooklineProducer } from '../common/kafka/producer.ts';
import { restorePartition } from '../common/kafka/restore.ts';
import type { StageHandler } from '../common/kafka/stage.ts';
import { H, type InMessage, type OutRecord } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import type { AvroCodec } from '../common/schemas.ts';
import { childTraceHeaders, type HeaderMap } from '../common/telemetry.ts';
import type { Domain } from '../common/contracts/index.ts';
import { domainMapper, type DomainOf } from './domains.ts';
import {
  accept,
  deadlineOf,
  emptyState,
  heldBytes,
  releaseDue,
  releaseLowest,
  type Emit,
  type OrderingOptions,
  type ResourceState,
} from './ordering.ts';

export const TICK_KEY = '__hookline.sequencer.tick__';
export const TICK_HEADER = 'hookline-tick';
export const WATERMARK_KEY = '__hookline.sequencer.watermark__';

export interface SequencerOptions extends OrderingOptions {
  /** Bounds per input partition (deterministic whatever the assignment): held events and bytes. */
  readonly maxHeldPerPartition: number;
  readonly maxHeldBytesPerPartition: number;
  readonly tickIntervalMs: number;
  readonly restoreTimeoutMs: number;
  /** A resource's state is dropped this long after the last event that changed it (nothing held). */
  readonly stateTtlMs: number;
}

/** Most tombstones one chunk's transaction carries; the rest wait for the next sweep. */
const MAX_EXPIRED_PER_CHUNK = 5_000;

export interface SequencerTopics {
  readonly input: string;
  readonly changelog: string;
  readonly stale: string;
  readonly dlq: string;
  readonly domain: (d: Domain) => string;
}

export interface SequencerDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly avro: AvroCodec;
  readonly logger: Logger;
  readonly meter?: Meter;
  /** The stage's consumer group: its transactional ids are `<group>.<topic>.<partition>` (stage.ts). */
  readonly groupId: string;
  readonly topics: SequencerTopics;
  readonly options: SequencerOptions;
  /** Writes tick records (non-transactional idempotent producer). */
  readonly tickProducer: HooklineProducer;
  readonly domainOf?: DomainOf;
  readonly now?: () => number;
}

type State = ResourceState<NormalizedEnvelope>;

interface PartitionState {
  readonly resources: Map<string, State>;
  /** Resource keys with held events. */
  readonly withHeld: Set<string>;
  watermark: bigint;
  heldCount: number;
  heldBytes: number;
  tickSentAt: number | undefined;
  /** When each resource's state last changed (wall clock), for expiry. */
  readonly seenAt: Map<string, number>;
  sweptAt: number;
  /** Trace context of events not yet emitted (held back), by eventId; lost on restart (a new trace starts). */
  readonly traces: Map<string, HeaderMap>;
}

/** Changelog value of one resource (JSON: internal, versioned). */
interface StoredState {
  v: 1;
  kind: State['kind'];
  value: number | null;
  rank: number | null;
  position: number;
  recent: string[];
  held: { event: NormalizedEnvelope; seq: number; heldAt: number; bytes: number }[];
  /** When the state last changed; absent in records written before expiry existed. */
  seenAt?: number;
}

export interface Sequencer {
  readonly handler: StageHandler;
  /** Starts the ticker. */
  start(): void;
  stop(): void;
  /** Held events per assigned partition (tests, metrics). */
  held(): { partition: number; events: number; bytes: number }[];
}

function envelopeBytes(e: NormalizedEnvelope): number {
  return e.payload.length + 512;
}

export function createSequencer(deps: SequencerDeps): Sequencer {
  const { avro, topics, options: o } = deps;
  const log = deps.logger.child({ component: 'sequencer' });
  const now = deps.now ?? Date.now;
  const domainOf = deps.domainOf ?? domainMapper();
  const partitions = new Map<number, PartitionState>();
  const meter = deps.meter;
  const events = meter?.createCounter('hookline_sequencer_events_total', {
    description:
      'Input events by outcome: applied, stale, duplicate, held, reread (replayed offset), tick, dead_letter',
  });
  const gaps = meter?.createCounter('hookline_sequencer_gaps_total', {
    description: 'Held events released with a predecessor missing, by cause (deadline, overflow)',
  });
  const overflows = meter?.createCounter('hookline_sequencer_overflow_total', {
    description: 'Hold-back bound hits, by bound (resource, partition)',
  });
  const expired = meter?.createCounter('hookline_sequencer_state_expired_total', {
    description: 'Resource states dropped after SEQUENCER_STATE_TTL_MS without a change',
  });
  const restoreMs = meter?.createHistogram('hookline_sequencer_restore_ms', {
    description: 'Changelog restore time per partition',
    unit: 'ms',
  });
  meter
    ?.createObservableGauge('hookline_sequencer_held_events', {
      description: 'Events held back, all assigned partitions',
    })
    .addCallback((r) => {
      r.observe([...partitions.values()].reduce((n, p) => n + p.heldCount, 0));
    });
  meter
    ?.createObservableGauge('hookline_sequencer_held_bytes', {
      description: 'Bytes held back, all assigned partitions',
    })
    .addCallback((r) => {
      r.observe([...partitions.values()].reduce((n, p) => n + p.heldBytes, 0));
    });

  function fromStored(s: StoredState): State {
    return { kind: s.kind, value: s.value, rank: s.rank, position: s.position, recent: s.recent, held: s.held };
  }
  function toStored(s: State, seenAt: number): StoredState {
    return {
      v: 1,
      kind: s.kind,
      value: s.value,
      rank: s.rank,
      position: s.position,
      recent: s.recent,
      held: s.held.map((h) => ({ ...h })),
      seenAt,
    };
  }
  const sweepEveryMs = Math.min(60_000, Math.max(100, Math.floor(o.stateTtlMs / 10)));

  /** Drops resources idle for the TTL with nothing held: tombstones into this chunk's transaction. */
  function sweep(
    ps: PartitionState,
    partition: number,
    at: number,
    dirty: ReadonlySet<string>,
    out: OutRecord[],
  ): void {
    if (at - ps.sweptAt < sweepEveryMs) return;
    let n = 0;
    for (const [key, seen] of ps.seenAt) {
      if (seen + o.stateTtlMs > at || dirty.has(key) || ps.withHeld.has(key)) continue;
      if (n === MAX_EXPIRED_PER_CHUNK) return; // sweptAt not advanced: the next chunk continues
      ps.resources.delete(key);
      ps.seenAt.delete(key);
      out.push({ topic: topics.changelog, partition, key, value: null });
      n++;
    }
    ps.sweptAt = at;
    if (n > 0) {
      expired?.add(n);
      log.debug({ partition, expired: n }, 'idle resource state expired');
    }
  }

  function account(ps: PartitionState, key: string, s: State, sign: 1 | -1): void {
    ps.heldCount += sign * s.held.length;
    ps.heldBytes += sign * heldBytes(s);
    if (sign === 1) {
      if (s.held.length > 0) ps.withHeld.add(key);
      else ps.withHeld.delete(key);
    }
  }

  function partitionDeadline(ps: PartitionState): number | undefined {
    let min: number | undefined;
    for (const key of ps.withHeld) {
      const d = deadlineOf(ps.resources.get(key)!, o);
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }

  async function prepare(_topic: string, partition: number): Promise<void> {
    const started = performance.now();
    const restoredAt = now();
    const ps: PartitionState = {
      resources: new Map(),
      withHeld: new Set(),
      watermark: -1n,
      heldCount: 0,
      heldBytes: 0,
      tickSentAt: undefined,
      seenAt: new Map(),
      sweptAt: 0,
      traces: new Map(),
    };
    const n = await restorePartition({
      kafka: deps.kafka,
      admin: deps.admin,
      topic: topics.changelog,
      partition,
      fenceTransactionalId: `${deps.groupId}.${topics.input}.${partition}`,
      groupPrefix: deps.groupId,
      timeoutMs: o.restoreTimeoutMs,
      onRecord: (m) => {
        if (m.key === null) return;
        if (m.key === WATERMARK_KEY) {
          if (m.value) ps.watermark = BigInt((JSON.parse(m.value.toString('utf8')) as { offset: string }).offset);
          return;
        }
        if (m.value === null) {
          ps.resources.delete(m.key);
          ps.seenAt.delete(m.key);
        } else {
          const stored = JSON.parse(m.value.toString('utf8')) as StoredState;
          ps.resources.set(m.key, fromStored(stored));
          ps.seenAt.set(m.key, stored.seenAt ?? restoredAt);
        }
      },
    });
    for (const [key, s] of ps.resources) account(ps, key, s, 1);
    partitions.set(partition, ps);
    restoreMs?.record(performance.now() - started);
    log.info(
      {
        partition,
        records: n,
        resources: ps.resources.size,
        held: ps.heldCount,
        watermark: ps.watermark.toString(),
        ms: Math.round(performance.now() - started),
      },
      'sequencer state restored',
    );
  }

  function release(_topic: string, partition: number): void {
    partitions.delete(partition);
  }

  async function emitRecords(
    ps: PartitionState,
    emits: readonly Emit<NormalizedEnvelope>[],
    at: number,
    out: OutRecord[],
  ): Promise<void> {
    for (const e of emits) {
      const env = e.event;
      // One trace per event: continue the validator's trace, even when the event was held back.
      const parent = ps.traces.get(env.eventId);
      ps.traces.delete(env.eventId);
      const trace = parent
        ? childTraceHeaders(`sequencer.${e.type}`, parent, { 'hookline.resource_key': env.resourceKey })
        : {};
      const headers = { [H.eventId]: env.eventId, [H.source]: env.sourceId, [H.provider]: env.provider, ...trace };
      const base = {
        ...env,
        canonical: env.canonical ?? null, // normalized records written before the field existed
        sequencedAt: at,
        staleReason: null,
        releasedBy: null,
        gap: null,
        stale: false,
      };
      switch (e.type) {
        case 'apply': {
          const domain = domainOf(env.provider, env.eventType);
          const value = {
            ...base,
            domain,
            position: e.position,
            gap: e.gap,
            releasedBy: e.cause === 'in_order' ? null : e.cause,
          };
          out.push({
            topic: topics.domain(domain),
            key: env.resourceKey,
            value: await avro.encode(topics.domain(domain), value),
            headers,
          });
          events?.add(1, { outcome: 'applied', kind: env.ordering.kind });
          if (e.gap) gaps?.add(1, { cause: e.cause });
          break;
        }
        case 'stale': {
          const value = {
            ...base,
            domain: domainOf(env.provider, env.eventType),
            position: e.position,
            stale: true,
            staleReason: e.reason,
          };
          out.push({
            topic: topics.stale,
            key: env.resourceKey,
            value: await avro.encode(topics.stale, value),
            headers,
          });
          events?.add(1, { outcome: 'stale', kind: env.ordering.kind, reason: e.reason });
          break;
        }
        case 'duplicate':
          events?.add(1, { outcome: 'duplicate', kind: env.ordering.kind });
          break;
        case 'held':
          events?.add(1, { outcome: 'held', kind: env.ordering.kind });
          break;
      }
    }
  }

  async function handle(messages: readonly InMessage[], ctx: { partition: number }): Promise<readonly OutRecord[]> {
    const ps = partitions.get(ctx.partition);
    if (!ps) throw new Error(`sequencer: partition ${ctx.partition} handled before prepare`);
    ps.tickSentAt = undefined;
    const at = now();
    const out: OutRecord[] = [];
    const dirty = new Set<string>();
    let last = ps.watermark;

    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (offset <= ps.watermark) {
        events?.add(1, { outcome: 'reread' });
        continue;
      }
      last = offset;
      if (m.value === null) {
        events?.add(1, { outcome: 'tick' });
        continue;
      }
      let env: NormalizedEnvelope;
      try {
        env = await avro.decode<NormalizedEnvelope>(m.value);
      } catch (err) {
        if (isRetriable(err)) throw err;
        out.push(
          await deadLetterRecord(avro, topics.dlq, deadLetterOf(m, { stage: 'sequencer', error: err, attempts: 1 })),
        );
        events?.add(1, { outcome: 'dead_letter' });
        continue;
      }
      const traceparent = m.headers[H.traceparent];
      if (traceparent)
        ps.traces.set(env.eventId, {
          ...(m.headers[H.tracestate] ? { [H.tracestate]: m.headers[H.tracestate] } : {}),
          [H.traceparent]: traceparent,
        });
      const key = env.resourceKey;
      const s = ps.resources.get(key) ?? emptyState<NormalizedEnvelope>();
      ps.resources.set(key, s);
      account(ps, key, s, -1);
      const emits = accept(s, env, at, envelopeBytes(env), o);
      account(ps, key, s, 1);
      if (emits.some((e) => e.type === 'apply' && e.cause === 'overflow')) overflows?.add(1, { bound: 'resource' });
      if (emits.some((e) => e.type !== 'duplicate')) dirty.add(key);
      await emitRecords(ps, emits, at, out);
    }

    // Deadlines (wall clock), then the partition bounds: release the resource held longest.
    for (const key of [...ps.withHeld]) {
      const s = ps.resources.get(key)!;
      const d = deadlineOf(s, o);
      if (d === undefined || d > at) continue;
      account(ps, key, s, -1);
      const emits = releaseDue(s, at, o);
      account(ps, key, s, 1);
      dirty.add(key);
      await emitRecords(ps, emits, at, out);
    }
    while (ps.heldCount > o.maxHeldPerPartition || ps.heldBytes > o.maxHeldBytesPerPartition) {
      let oldest: string | undefined;
      let oldestAt = Infinity;
      for (const key of ps.withHeld) {
        const d = deadlineOf(ps.resources.get(key)!, o)!;
        if (d < oldestAt) [oldest, oldestAt] = [key, d];
      }
      if (oldest === undefined) break;
      const s = ps.resources.get(oldest)!;
      account(ps, oldest, s, -1);
      const emits: Emit<NormalizedEnvelope>[] = [];
      releaseLowest(s, o, 'overflow', emits);
      account(ps, oldest, s, 1);
      overflows?.add(1, { bound: 'partition' });
      dirty.add(oldest);
      await emitRecords(ps, emits, at, out);
    }

    for (const key of dirty) {
      ps.seenAt.set(key, at);
      out.push({
        topic: topics.changelog,
        partition: ctx.partition,
        key,
        value: Buffer.from(JSON.stringify(toStored(ps.resources.get(key)!, at))),
      });
    }
    sweep(ps, ctx.partition, at, dirty, out);
    if (last > ps.watermark) {
      ps.watermark = last;
      out.push({
        topic: topics.changelog,
        partition: ctx.partition,
        key: WATERMARK_KEY,
        value: Buffer.from(JSON.stringify({ offset: last.toString() })),
      });
    }
    return out;
  }

  let timer: NodeJS.Timeout | undefined;
  function tick(): void {
    const at = now();
    for (const [partition, ps] of partitions) {
      const due = partitionDeadline(ps);
      if (due === undefined || due > at) continue;
      if (ps.tickSentAt !== undefined && at - ps.tickSentAt < 10 * o.tickIntervalMs) continue;
      ps.tickSentAt = at;
      deps.tickProducer
        .send([{ topic: topics.input, partition, key: TICK_KEY, value: null, headers: { [TICK_HEADER]: String(at) } }])
        .catch((err: unknown) => {
          ps.tickSentAt = undefined;
          log.warn({ partition, err: String(err) }, 'tick not written; will try again');
        });
    }
  }

  return {
    handler: { prepare, release, handle },
    start() {
      timer ??= setInterval(tick, o.tickIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    held() {
      return [...partitions].map(([partition, ps]) => ({ partition, events: ps.heldCount, bytes: ps.heldBytes }));
    },
  };
}
