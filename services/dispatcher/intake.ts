/**
 * Reads outbound.events (on the runtime's at-least-once consumer, commit: 'manual') and hands every (message, endpoint) job to its partition's lanes without
 * waiting for deliveries, so one partition carries any number of concurrent lanes. Offsets are
 * committed by us (autoCommit off), per partition, up to the first message not yet done (see
 * offsets.ts). A partition with too many messages in memory stops reading until it drains.
 *
 * Assignment: when the group hands us a partition, its parked lanes are loaded from Redis before
 * its first message is routed (so a new message never overtakes a parked one), and its due timer
 * starts even if no new message ever arrives. A revoked partition stops its lanes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetriable, messageOf } from '../common/errors.ts';
import type { KafkaClient } from '../common/kafka/client.ts';
import { runConsumer, type ChunkControl, type OffsetToCommit, type RunningConsumer } from '../common/kafka/consumer.ts';
import type { InMessage } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import { backoffDelay } from '../common/retry.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { PartitionLanes } from './partition-lanes.ts';
import { OffsetTracker } from './offsets.ts';
import type { EndpointRegistry } from './registry.ts';
import { addressedTrigger, type OutboundEvent } from '../common/contracts/index.ts';
import type { Job } from './types.ts';

export interface IntakeOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly topic: string;
  readonly avro: AvroCodec;
  readonly registry: EndpointRegistry;
  readonly logger: Logger;
  readonly lanes: (partition: number) => PartitionLanes;
  /** Writes an undecodable record to outbound.dlq. */
  readonly deadLetter: (m: InMessage, err: unknown) => Promise<void>;
  readonly maxPendingPerPartition: number;
  readonly commitIntervalMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly sessionTimeoutMs?: number;
}

interface PartitionState {
  readonly partition: number;
  readonly lanes: PartitionLanes;
  readonly ready: Promise<void>;
  readonly tracker: OffsetTracker;
  /** Highest offset already handed to the lanes (a rejoin re-fetches from the committed offset). */
  highest: number;
  committed: number | undefined;
}

export interface Intake {
  stop(): Promise<void>;
}

export async function startIntake(o: IntakeOptions): Promise<Intake> {
  const log = o.logger.child({ component: 'intake', group: o.groupId });
  const parts = new Map<number, PartitionState>();
  let stopping = false;
  // Set once the consumer runs; the commit timer may fire before.
  const consumer: { running?: RunningConsumer } = {};

  const stateOf = (partition: number): PartitionState => {
    let s = parts.get(partition);
    if (!s) {
      const lanes = o.lanes(partition);
      const ready = (async () => {
        for (let i = 0; ; i++) {
          try {
            return await lanes.start();
          } catch (err) {
            log.warn({ partition, err: messageOf(err) }, 'loading parked lanes failed, will retry');
            await sleep(backoffDelay(i, { initialMs: 200, maxMs: 5000 }));
          }
        }
      })();
      s = { partition, lanes, ready, tracker: new OffsetTracker(), highest: -1, committed: undefined };
      parts.set(partition, s);
    }
    return s;
  };

  const commit = async () => {
    const offsets: OffsetToCommit[] = [];
    for (const s of parts.values()) {
      const c = s.tracker.committable();
      if (c !== undefined && c !== s.committed)
        offsets.push({ topic: o.topic, partition: s.partition, offset: String(c) });
    }
    if (offsets.length === 0 || !consumer.running) return;
    try {
      await consumer.running.commitOffsets(offsets);
      for (const x of offsets) {
        const s = parts.get(x.partition);
        if (s) s.committed = Number(x.offset);
      }
    } catch (err) {
      log.warn({ err: messageOf(err) }, 'offset commit failed (rebalance?); will retry');
    }
  };

  const onAssign = (assignment: Readonly<Record<string, readonly number[]>>) => {
    const assigned = new Set(assignment[o.topic] ?? []);
    for (const [p, s] of parts) {
      if (assigned.has(p)) continue;
      parts.delete(p);
      s.tracker.release();
      void s.lanes.stop();
      log.info({ partition: p }, 'partition revoked');
    }
    for (const p of assigned) stateOf(p);
  };

  async function decode(m: InMessage): Promise<OutboundEvent | undefined> {
    for (let i = 0; ; i++) {
      try {
        return await o.avro.decode<OutboundEvent>(m.value ?? Buffer.alloc(0));
      } catch (err) {
        if (!isRetriable(err)) {
          await o.deadLetter(m, err);
          return undefined;
        }
        log.warn({ err: messageOf(err) }, 'decode failed (registry?), will retry');
        await sleep(backoffDelay(i, { initialMs: 200, maxMs: 10_000 }));
      }
    }
  }

  async function route(s: PartitionState, m: InMessage): Promise<void> {
    const event = await decode(m);
    if (!event) {
      s.tracker.add(Number(m.offset), 0);
      return;
    }
    const { endpointId, ...msg } = event;
    const targets =
      endpointId !== null
        ? [endpointId]
        : o.registry.subscribers(event.eventType, o.registry.tenantOfMessage(event)).map((e) => e.id);
    const ticket = s.tracker.add(Number(m.offset), targets.length);
    const trace: Record<string, string> = {};
    if (m.headers.traceparent) trace.traceparent = m.headers.traceparent;
    if (m.headers.tracestate) trace.tracestate = m.headers.tracestate;
    for (const id of targets) {
      const job: Job = {
        msg,
        endpointId: id,
        attempt: 0,
        trace,
        trigger: endpointId !== null ? addressedTrigger(event.eventType) : 'event',
        ticket,
      };
      s.lanes.submit(job);
    }
  }

  async function handle(messages: readonly InMessage[], b: ChunkControl): Promise<void> {
    const s = stateOf(b.partition);
    await s.ready;
    for (const m of messages) {
      if (stopping || !b.isActive() || parts.get(b.partition) !== s) return;
      const offset = Number(m.offset);
      if (offset <= s.highest) continue;
      await route(s, m);
      s.highest = offset;
      if (s.tracker.pending >= o.maxPendingPerPartition) {
        while (!stopping && s.tracker.pending >= o.maxPendingPerPartition / 2 && parts.get(b.partition) === s) {
          await Promise.race([s.tracker.waitBelow(o.maxPendingPerPartition / 2), sleep(1000)]);
          await b.heartbeat().catch(() => undefined);
        }
      }
    }
  }

  const commitTimer = setInterval(() => void commit(), o.commitIntervalMs);
  const running = (consumer.running = await runConsumer({
    kafka: o.kafka,
    groupId: o.groupId,
    topics: [o.topic],
    logger: o.logger,
    handle,
    commit: 'manual',
    onAssign,
    // Fetching stopped and in-flight batches returned: stop the lanes, then commit what they finished.
    onStopped: async () => {
      await Promise.all([...parts.values()].map((s) => s.lanes.stop()));
      clearInterval(commitTimer);
      await commit();
    },
    chunkSize: Number.MAX_SAFE_INTEGER,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
    sessionTimeoutMs: o.sessionTimeoutMs,
    maxWaitTimeInMs: 100,
  }));

  return {
    async stop() {
      stopping = true;
      for (const s of parts.values()) s.tracker.release();
      await running.stop();
    },
  };
}
