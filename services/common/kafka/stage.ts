/**
 * Consume → transform → produce, effectively once: each chunk of one partition is transformed,
 * its output and its input offsets are written in ONE Kafka transaction, consumers downstream
 * read committed only. A crash at any point either commits both or neither.
 *
 * Zombie fencing (EOS v1, because kafkajs's sendOffsets carries no group generation): one
 * transactional producer per input partition, transactional.id = `<group>.<topic>.<partition>`.
 * A new owner of the partition initialises the same id and fences the old one.
 *
 * The handler owns per-message decisions (e.g. DLQ records for bad input, produced in the same
 * transaction). It throws only when the whole chunk must be retried (Redis or registry down):
 * the transaction is aborted, the handler's in-memory state for the partition is released and
 * prepared again, and the chunk is retried with backoff: order is kept, nothing is skipped.
 *
 * Handover after a rebalance (KIP-447's "unstable offset" problem): kafkajs reads a partition's committed
 * offset right after joining, with an OffsetFetch that cannot ask for stable offsets, and a transaction that
 * committed just before (its EndTxn answered, its markers still being written, e.g. while a broker's
 * partitions elect new leaders) is not in that offset yet. The new owner would process that chunk a second
 * time: duplicates on the output. So before the first chunk of a partition after every (re)assignment the
 * stage SETTLES it: it initialises the partition's transactional id anew (InitProducerId fences older
 * holders and answers only once their open transaction has completed), then reads the group's committed
 * offset again and skips the records below it (committed by the previous transaction). The same after a
 * failed attempt: a commit whose answer was lost may have landed, so the retry settles first too.
 *
 * Records not yet due (option dueAt, e.g. the processors' retry topics, one delay per topic, so
 * due-time order per partition): when the first unhandled record of a partition is not due, that
 * partition alone is PAUSED and a timer resumes it at the due time; the batch returns without
 * resolving the rest, so they are fetched again after the resume. Sleeping inside eachBatch instead
 * would stall every partition of the consumer (kafkajs's fetcher waits for all batches of a fetch).
 */
import type { Consumer, Producer } from 'kafkajs';
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { messageOf, reasonOf } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { backoffDelay } from '../retry.ts';
import { createAdmin } from './admin.ts';
import { toInMessage, waitInBatch, type KafkaClient } from './client.ts';
import { toKafkaMessages } from './producer.ts';
import { splitBySize } from './split.ts';
import { MAX_SEND_BYTES, transactionalProducer } from './transactional.ts';
import type { InMessage, OutRecord } from './types.ts';

export interface ChunkContext {
  readonly topic: string;
  readonly partition: number;
  /** Attempt number of this chunk (0 first). */
  readonly attempt: number;
}

export interface StageHandler {
  /** Before the first chunk of a partition after assignment, and after an aborted chunk: (re)load state. */
  prepare?(topic: string, partition: number): Promise<void>;
  /** The partition was revoked, or a chunk aborted: drop in-memory state for it. */
  release?(topic: string, partition: number): void;
  /** Records to produce atomically with this chunk's offsets. */
  handle(messages: readonly InMessage[], ctx: ChunkContext): Promise<readonly OutRecord[]>;
}

export interface StageOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handler: StageHandler;
  readonly logger: Logger;
  readonly meter?: Meter;
  /** Messages per transaction. */
  readonly chunkSize?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly transactionTimeoutMs?: number;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
  /** Max bytes per produce request inside a transaction (below the topics' max.message.bytes). Default 900 000. */
  readonly maxSendBytes?: number;
  /** Epoch ms from which a record may be handled; a partition whose next record is not due pauses until it is. */
  readonly dueAt?: (m: InMessage) => number;
  readonly now?: () => number;
}

export interface RunningStage {
  /** Stop fetching, finish the in-flight chunk, close producers. */
  stop(): Promise<void>;
  /** True once the consumer has joined its group. */
  readonly joined: boolean;
}

const FENCED = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

interface BatchControl {
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

function isFenced(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && FENCED.has(type);
}

interface StageMetrics {
  records: Counter;
  transactions: Counter;
  aborts: Counter;
  chunkMs: Histogram;
}

function stageMetrics(meter: Meter | undefined): StageMetrics | undefined {
  if (!meter) return undefined;
  return {
    records: meter.createCounter('hookline_stage_records_total', {
      description: 'Input records committed by a transactional stage',
    }),
    transactions: meter.createCounter('hookline_stage_transactions_total', { description: 'Committed transactions' }),
    aborts: meter.createCounter('hookline_stage_aborts_total', { description: 'Aborted chunks (retried)' }),
    chunkMs: meter.createHistogram('hookline_stage_chunk_ms', {
      description: 'Transform + transaction time per chunk',
      unit: 'ms',
    }),
  };
}

export async function runStage(o: StageOptions): Promise<RunningStage> {
  const log = o.logger.child({ component: 'stage', group: o.groupId });
  const chunkSize = o.chunkSize ?? 500;
  const retryOpts = o.retry ?? { initialMs: 200, maxMs: 30_000 };
  const m = stageMetrics(o.meter);
  const now = o.now ?? Date.now;
  const producers = new Map<string, Promise<Producer>>();
  const prepared = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  /** Partitions settled (see the header) since the last (re)assignment. */
  const settled = new Set<string>();
  const admin = createAdmin(o.kafka);
  let joined = false;
  let stopped = false;

  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
  });

  function producerFor(topic: string, partition: number): Promise<Producer> {
    const key = `${topic}:${partition}`;
    let p = producers.get(key);
    if (!p) {
      const producer = transactionalProducer(o.kafka, {
        transactionalId: `${o.groupId}.${topic}.${partition}`,
        transactionTimeoutMs: o.transactionTimeoutMs ?? 60_000,
      });
      p = producer.connect().then(() => producer);
      producers.set(key, p);
      p.catch(() => producers.delete(key));
    }
    return p;
  }

  async function dropProducer(topic: string, partition: number): Promise<void> {
    const key = `${topic}:${partition}`;
    const p = producers.get(key);
    producers.delete(key);
    if (p) await p.then((x) => x.disconnect()).catch(() => undefined);
  }

  function release(topic: string, partition: number): void {
    prepared.delete(`${topic}:${partition}`);
    o.handler.release?.(topic, partition);
  }

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    settled.clear();
    const assigned = e.payload.memberAssignment;
    const keep = new Set(Object.entries(assigned).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    for (const key of [...prepared, ...producers.keys()]) {
      if (keep.has(key)) continue;
      const idx = key.lastIndexOf(':');
      const topic = key.slice(0, idx);
      const partition = Number(key.slice(idx + 1));
      release(topic, partition);
      void dropProducer(topic, partition);
    }
  });

  async function commitChunk(
    topic: string,
    partition: number,
    chunk: readonly InMessage[],
    attempt: number,
  ): Promise<void> {
    const key = `${topic}:${partition}`;
    if (!prepared.has(key)) {
      await o.handler.prepare?.(topic, partition);
      prepared.add(key);
    }
    const out = await o.handler.handle(chunk, { topic, partition, attempt });
    const last = chunk[chunk.length - 1]!;
    const producer = await producerFor(topic, partition);
    const txn = await producer.transaction();
    try {
      // Several sends inside the one transaction when the output is big (see split.ts).
      for (const part of splitBySize(out, o.maxSendBytes ?? MAX_SEND_BYTES))
        await txn.sendBatch({ topicMessages: toKafkaMessages(part), acks: -1 });
      await txn.sendOffsets({
        consumerGroupId: o.groupId,
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Fences older holders of the partition's transactional id, waits for their open transaction to
   * complete, then reads the group's committed offset: the first offset still to process.
   */
  async function settledStart(topic: string, partition: number): Promise<bigint | undefined> {
    await dropProducer(topic, partition);
    const producer = await producerFor(topic, partition);
    // kafkajs sends InitProducerId for the transactional id on the first transaction() (retrying
    // CONCURRENT_TRANSACTIONS until the previous one completed); an empty one ends without a request.
    await (await producer.transaction()).abort();
    const [offsets] = await admin.fetchOffsets({ groupId: o.groupId, topics: [topic] });
    const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset;
    return committed !== undefined && BigInt(committed) >= 0n ? BigInt(committed) : undefined;
  }

  /** The batch's records from the settled start on; undefined when the batch must be left (stopped, stale). */
  async function settle(topic: string, partition: number, messages: InMessage[], b: BatchControl) {
    const key = `${topic}:${partition}`;
    for (let attempt = 0; !settled.has(key); attempt++) {
      if (!b.isRunning() || b.isStale()) return undefined;
      try {
        const start = await settledStart(topic, partition);
        settled.add(key);
        const first = messages[0];
        if (start === undefined || first === undefined || BigInt(first.offset) >= start) return messages;
        const rest = messages.filter((msg) => BigInt(msg.offset) >= start);
        log.warn(
          { topic, partition, from: first.offset, committed: start.toString(), skipped: messages.length - rest.length },
          'records below the committed offset skipped: a transaction committed them just before this assignment',
        );
        b.resolveOffset((start - 1n).toString());
        return rest;
      } catch (err) {
        await dropProducer(topic, partition);
        const delay = backoffDelay(attempt, { ...retryOpts, jitter: 0.5 });
        log.warn({ topic, partition, attempt, delayMs: delay, err: messageOf(err) }, 'settling partition, will retry');
        await waitInBatch(delay, b);
      }
    }
    return messages;
  }

  function pauseUntil(topic: string, partition: number, due: number, pause: () => () => void): void {
    const key = `${topic}:${partition}`;
    pause();
    clearTimeout(timers.get(key));
    const resume = () => {
      timers.delete(key);
      if (!stopped) consumer.resume([{ topic, partitions: [partition] }]);
    };
    timers.set(key, setTimeout(resume, Math.max(0, due - now())));
  }

  /** Commits one chunk, retrying it in place; false when the batch must be left (stopped, stale, fenced). */
  async function runChunk(topic: string, partition: number, chunk: readonly InMessage[], b: BatchControl) {
    const last = chunk[chunk.length - 1]!.offset;
    let todo = chunk;
    for (let attempt = 0; ; attempt++) {
      if (!b.isRunning() || b.isStale()) return false;
      const started = performance.now();
      try {
        if (attempt > 0) {
          // The failed attempt's commit may have landed all the same (EndTxn taken by the coordinator,
          // its answer lost or late): settle again and redo only what is still uncommitted.
          const start = await settledStart(topic, partition);
          if (start !== undefined && BigInt(todo[0]!.offset) < start) {
            const rest = todo.filter((msg) => BigInt(msg.offset) >= start);
            log.warn(
              { topic, partition, committed: start.toString(), skipped: todo.length - rest.length },
              'the failed attempt had committed: its records are not processed again',
            );
            todo = rest;
          }
        }
        if (todo.length > 0) await commitChunk(topic, partition, todo, attempt);
        b.resolveOffset(last);
        m?.records.add(todo.length, { group: o.groupId });
        m?.transactions.add(1, { group: o.groupId });
        m?.chunkMs.record(performance.now() - started, { group: o.groupId });
      } catch (err) {
        m?.aborts.add(1, { group: o.groupId, reason: reasonOf(err) });
        release(topic, partition);
        await dropProducer(topic, partition);
        if (isFenced(err)) {
          log.warn({ topic, partition }, 'producer fenced: another instance owns this partition now');
          return false;
        }
        const delay = backoffDelay(attempt, { ...retryOpts, jitter: 0.5 });
        log.warn(
          { topic, partition, attempt, delayMs: delay, reason: reasonOf(err), err: messageOf(err) },
          'chunk aborted, will retry',
        );
        // Keep the group membership alive while a dependency is down.
        await waitInBatch(delay, b);
        continue;
      }
      // After the commit, not inside the retried block: a failed heartbeat (session expired,
      // coordinator moved) must reach kafkajs so it re-joins, and the committed chunk must not run again.
      await b.heartbeat();
      return true;
    }
  }

  /** End (exclusive) of the next chunk from i, or undefined when the record at i is not due yet. */
  function chunkEnd(messages: readonly InMessage[], i: number): number | undefined {
    const limit = Math.min(messages.length, i + chunkSize);
    if (!o.dueAt) return limit;
    const t = now();
    let j = i;
    while (j < limit && o.dueAt(messages[j]!) <= t) j++;
    return j > i ? j : undefined;
  }

  await admin.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
    eachBatch: async (b) => {
      const { topic, partition } = b.batch;
      const messages = await settle(
        topic,
        partition,
        b.batch.messages.map((msg) => toInMessage(topic, partition, msg)),
        b,
      );
      if (messages === undefined) return;
      for (let i = 0; i < messages.length;) {
        if (!b.isRunning() || b.isStale()) return;
        const j = chunkEnd(messages, i);
        if (j === undefined) {
          pauseUntil(topic, partition, o.dueAt!(messages[i]!), b.pause);
          return;
        }
        if (!(await runChunk(topic, partition, messages.slice(i, j), b))) return;
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
      await admin.disconnect();
      await Promise.all(
        [...producers.keys()].map((k) => {
          const idx = k.lastIndexOf(':');
          return dropProducer(k.slice(0, idx), Number(k.slice(idx + 1)));
        }),
      );
    },
  };
}
