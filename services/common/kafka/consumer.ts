/**
 * At-least-once consumer for stages whose effect is outside Kafka (HTTP deliveries, Redis
 * projections): the handler runs per partition chunk in offset order. Retriable errors retry the
 * chunk in place with backoff (order kept).
 *
 * Offsets: by default committed (every second) only after the handler returned for a chunk. With
 * `commit: 'manual'` the owner commits itself through commitOffsets() (the dispatcher's intake hands
 * jobs on without waiting for them and commits up to the first one not yet done); stop() then calls
 * `onStopped` after fetching stopped and before leaving the group, for a last commit.
 */
import type { Consumer } from 'kafkajs';
import { messageOf, reasonOf } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { backoffDelay } from '../retry.ts';
import { isMembershipError, toInMessage, waitInBatch, withHeartbeats, type KafkaClient } from './client.ts';
import type { InMessage } from './types.ts';

export interface ChunkControl {
  readonly topic: string;
  readonly partition: number;
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the batch went stale (rebalance): return early. */
  isActive(): boolean;
}

export interface ConsumerOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly logger: Logger;
  readonly handle: (messages: readonly InMessage[], ctx: ChunkControl) => Promise<void>;
  readonly chunkSize?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly fromBeginning?: boolean;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly sessionTimeoutMs?: number;
  readonly maxWaitTimeInMs?: number;
  /**
   * The broker answers a fetch once it has this many bytes (or after maxWaitTimeInMs). Default 1:
   * at once. A consumer whose latency does not matter (an index, a log) sets more, so it reads a few
   * large chunks per second instead of one small fetch-and-handle round per record or two.
   */
  readonly minBytes?: number;
  /** 'after-handle' (default): commit what the handler returned for; 'manual': the owner calls commitOffsets. */
  readonly commit?: 'after-handle' | 'manual';
  /** Called on every (re)join with this member's partitions per topic. */
  readonly onAssign?: (assigned: Readonly<Record<string, readonly number[]>>) => void;
  /** stop(): after fetching stopped and the in-flight chunks finished, before leaving the group. */
  readonly onStopped?: () => Promise<void>;
}

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: string;
}

export interface RunningConsumer {
  stop(): Promise<void>;
  readonly joined: boolean;
  /** Commits offsets now (commit: 'manual'); throws on a rebalance in progress. */
  commitOffsets(offsets: readonly OffsetToCommit[]): Promise<void>;
}

export async function runConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const log = o.logger.child({ component: 'consumer', group: o.groupId });
  const chunkSize = o.chunkSize ?? 500;
  const retryOpts = o.retry ?? { initialMs: 200, maxMs: 30_000 };
  const autoCommit = (o.commit ?? 'after-handle') === 'after-handle';
  let joined = false;
  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
    ...(o.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: o.maxWaitTimeInMs } : {}),
    ...(o.minBytes !== undefined ? { minBytes: o.minBytes } : {}),
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    o.onAssign?.(e.payload.memberAssignment);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
  await consumer.run({
    autoCommit,
    ...(autoCommit ? { autoCommitInterval: 1000 } : {}),
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const { topic, partition } = batch;
      const isActive = () => isRunning() && !isStale();
      const ctx: ChunkControl = { topic, partition, heartbeat, isActive };
      const messages = batch.messages.map((msg) => toInMessage(topic, partition, msg));
      for (let i = 0; i < messages.length; i += chunkSize) {
        const chunk = messages.slice(i, i + chunkSize);
        for (let attempt = 0; ; attempt++) {
          if (!isActive()) return;
          try {
            await withHeartbeats(o.handle(chunk, ctx), heartbeat);
          } catch (err) {
            // Out of the group: leave the batch so kafkajs re-joins (a retry here never would).
            if (isMembershipError(err)) throw err;
            const delay = backoffDelay(attempt, { ...retryOpts, jitter: 0.5 });
            log.warn(
              { topic, partition, attempt, delayMs: delay, reason: reasonOf(err), err: messageOf(err) },
              'chunk failed, will retry',
            );
            await waitInBatch(delay, { heartbeat, isRunning, isStale });
            continue;
          }
          resolveOffset(chunk[chunk.length - 1]!.offset);
          // Errors here (membership lost, rebalance) are kafkajs's to handle: it re-joins.
          if (autoCommit) await commitOffsetsIfNecessary();
          await heartbeat();
          break;
        }
      }
    },
  });
  return {
    get joined() {
      return joined;
    },
    async commitOffsets(offsets) {
      await consumer.commitOffsets(offsets.map((x) => ({ ...x })));
    },
    async stop() {
      await consumer.stop();
      await o.onStopped?.();
      await consumer.disconnect();
    },
  };
}
