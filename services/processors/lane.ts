/**
 * The retry lane: consume → transform → produce effectively once (like common/kafka/stage.ts: one
 * transactional producer per input partition, output + offsets in one transaction), but a record is
 * handled only from its due time on (header hookline-due-at).
 *
 * Delays without blocking and without busy polling: every retry topic has ONE delay, so its records
 * are in due-time order per partition. When the first unhandled record of a partition is not due,
 * that partition alone is PAUSED (kafkajs pause) and a timer resumes it at the due time; the batch
 * returns without resolving the rest, so they are fetched again after the resume. Sleeping inside
 * eachBatch instead would stall every partition of the consumer (kafkajs's fetcher waits for all
 * batches of a fetch) and miss heartbeats.
 *
 * The handler is a StageHandler like the main stage's: prepare() before the first chunk of a
 * partition (and after an aborted one), release() when the partition is revoked or a chunk aborted.
 * The runner wraps it in skipReread (common/kafka/watermark.ts), so an operator reset of the lane's
 * group re-runs nothing that was already committed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { messageOf, reasonOf } from '../common/errors.ts';
import { toInMessage } from '../common/kafka/client.ts';
import { toKafkaMessages } from '../common/kafka/producer.ts';
import type { StageHandler } from '../common/kafka/stage.ts';
import type { InMessage, OutRecord } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import { backoffDelay } from '../common/retry.ts';

export interface LaneOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly logger: Logger;
  readonly dueAt: (m: InMessage) => number;
  readonly handler: StageHandler;
  readonly chunkSize?: number;
  readonly sessionTimeoutMs?: number;
  readonly transactionTimeoutMs?: number;
  readonly now?: () => number;
}

export interface RunningLane {
  stop(): Promise<void>;
  readonly joined: boolean;
}

export async function runLane(o: LaneOptions): Promise<RunningLane> {
  const log = o.logger.child({ component: 'retry-lane', group: o.groupId });
  const now = o.now ?? Date.now;
  const chunkSize = o.chunkSize ?? 100;
  const producers = new Map<string, Promise<Producer>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const prepared = new Set<string>();
  let joined = false;
  let stopped = false;

  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3000,
  });
  function release(topic: string, partition: number): void {
    prepared.delete(`${topic}:${partition}`);
    o.handler.release?.(topic, partition);
  }

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    // Revoked partitions: drop their state and producers (prepare() fences the id when one comes back).
    const keep = new Set(Object.entries(e.payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    for (const key of new Set([...prepared, ...producers.keys()])) {
      if (keep.has(key)) continue;
      const idx = key.lastIndexOf(':');
      release(key.slice(0, idx), Number(key.slice(idx + 1)));
      void dropProducer(key);
    }
  });

  function producerFor(topic: string, partition: number): Promise<Producer> {
    const key = `${topic}:${partition}`;
    let p = producers.get(key);
    if (!p) {
      const producer = o.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        transactionalId: `${o.groupId}.${topic}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: o.transactionTimeoutMs ?? 60_000,
        allowAutoTopicCreation: false,
      });
      p = producer.connect().then(() => producer);
      producers.set(key, p);
      p.catch(() => producers.delete(key));
    }
    return p;
  }
  async function dropProducer(key: string): Promise<void> {
    const p = producers.get(key);
    producers.delete(key);
    if (p) await p.then((x) => x.disconnect()).catch(() => undefined);
  }

  function pauseUntil(topic: string, partition: number, due: number, pause: () => () => void): void {
    const key = `${topic}:${partition}`;
    pause();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(
        () => {
          timers.delete(key);
          if (!stopped) consumer.resume([{ topic, partitions: [partition] }]);
        },
        Math.max(0, due - now()),
      ),
    );
  }

  async function commit(topic: string, partition: number, chunk: readonly InMessage[], attempt: number): Promise<void> {
    const key = `${topic}:${partition}`;
    if (!prepared.has(key)) {
      await o.handler.prepare?.(topic, partition);
      prepared.add(key);
    }
    const out: readonly OutRecord[] = await o.handler.handle(chunk, { topic, partition, attempt });
    const producer = await producerFor(topic, partition);
    const txn = await producer.transaction();
    try {
      if (out.length > 0) await txn.sendBatch({ topicMessages: toKafkaMessages(out), acks: -1 });
      await txn.sendOffsets({
        consumerGroupId: o.groupId,
        topics: [
          { topic, partitions: [{ partition, offset: (BigInt(chunk[chunk.length - 1]!.offset) + 1n).toString() }] },
        ],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [...o.topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 8,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }) => {
      const { topic, partition } = batch;
      const messages = batch.messages.map((m) => toInMessage(topic, partition, m));
      let i = 0;
      while (i < messages.length) {
        if (!isRunning() || isStale()) return;
        const due = o.dueAt(messages[i]!);
        if (due > now()) {
          pauseUntil(topic, partition, due, pause);
          return;
        }
        let j = i;
        while (j < messages.length && j - i < chunkSize && o.dueAt(messages[j]!) <= now()) j++;
        const chunk = messages.slice(i, j);
        for (let attempt = 0; ; attempt++) {
          if (!isRunning() || isStale()) return;
          try {
            await commit(topic, partition, chunk, attempt);
            resolveOffset(chunk[chunk.length - 1]!.offset);
            await heartbeat();
            break;
          } catch (err) {
            release(topic, partition);
            await dropProducer(`${topic}:${partition}`);
            const type = (err as { type?: unknown } | null)?.type;
            if (type === 'PRODUCER_FENCED' || type === 'INVALID_PRODUCER_EPOCH') return;
            const delay = backoffDelay(attempt, { initialMs: 200, maxMs: 30_000, jitter: 0.5 });
            log.warn(
              { topic, partition, attempt, delayMs: delay, reason: reasonOf(err), err: messageOf(err) },
              'retry chunk aborted, will retry',
            );
            for (let waited = 0; waited < delay && isRunning() && !isStale(); waited += 1000) {
              await sleep(Math.min(1000, delay - waited));
              await heartbeat().catch(() => undefined);
            }
          }
        }
        i = j;
      }
    },
  });

  return {
    get joined() {
      return joined;
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      await consumer.disconnect();
      await Promise.all([...producers.keys()].map(dropProducer));
    },
  };
}
