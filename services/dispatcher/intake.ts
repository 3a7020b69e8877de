/**
 * Reads outbound.events and hands every (message, endpoint) job to its partition's lanes without
 * waiting for deliveries, so one partition carries any number of concurrent lanes. Offsets are
 * committed by us (autoCommit off), per partition, up to the first message not yet done (see
 * offsets.ts). A partition with too many messages in memory stops reading until it drains.
 *
 * Assignment: when the group hands us a partition, its parked lanes are loaded from Redis before
 * its first message is routed (so a new message never overtakes a parked one), and its due timer
 * starts even if no new message ever arrives. A revoked partition stops its lanes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka } from 'kafkajs';
import { isRetriable, messageOf } from '../common/errors.ts';
import { toInMessage } from '../common/kafka/client.ts';
import type { InMessage } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import { backoffDelay } from '../common/retry.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { PartitionLanes } from './lanes.ts';
import { OffsetTracker } from './offsets.ts';
import type { EndpointRegistry } from './registry.ts';
import type { OutboundEvent } from '../common/contracts/index.ts';
import type { Job } from './types.ts';

export interface IntakeOptions {
  readonly kafka: Kafka;
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
  readonly consumer: Consumer;
  stop(): Promise<void>;
}

export async function startIntake(o: IntakeOptions): Promise<Intake> {
  const log = o.logger.child({ component: 'intake', group: o.groupId });
  const parts = new Map<number, PartitionState>();
  let stopping = false;
  const consumer = o.kafka.consumer({
    groupId: o.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 100,
  });

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
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const s of parts.values()) {
      const c = s.tracker.committable();
      if (c !== undefined && c !== s.committed)
        offsets.push({ topic: o.topic, partition: s.partition, offset: String(c) });
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
      for (const x of offsets) {
        const s = parts.get(x.partition);
        if (s) s.committed = Number(x.offset);
      }
    } catch (err) {
      log.warn({ err: messageOf(err) }, 'offset commit failed (rebalance?); will retry');
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[o.topic] ?? []);
    for (const [p, s] of parts) {
      if (assigned.has(p)) continue;
      parts.delete(p);
      s.tracker.release();
      void s.lanes.stop();
      log.info({ partition: p }, 'partition revoked');
    }
    for (const p of assigned) stateOf(p);
  });

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
        trigger: endpointId !== null ? 'manual' : 'event',
        ticket,
      };
      s.lanes.submit(job);
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
  const commitTimer = setInterval(() => void commit(), o.commitIntervalMs);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      const s = stateOf(batch.partition);
      await s.ready;
      for (const raw of batch.messages) {
        if (stopping || !isRunning() || isStale() || parts.get(batch.partition) !== s) return;
        const offset = Number(raw.offset);
        if (offset <= s.highest) continue;
        await route(s, toInMessage(batch.topic, batch.partition, raw));
        s.highest = offset;
        if (s.tracker.pending >= o.maxPendingPerPartition) {
          while (!stopping && s.tracker.pending >= o.maxPendingPerPartition / 2 && parts.get(batch.partition) === s) {
            await Promise.race([s.tracker.waitBelow(o.maxPendingPerPartition / 2), sleep(1000)]);
            await heartbeat().catch(() => undefined);
          }
        }
      }
    },
  });

  return {
    consumer,
    async stop() {
      stopping = true;
      for (const s of parts.values()) s.tracker.release();
      await consumer.stop();
      await Promise.all([...parts.values()].map((s) => s.lanes.stop()));
      clearInterval(commitTimer);
      await commit();
      await consumer.disconnect();
    },
  };
}
