/**
 * At-least-once consumer for stages whose effect is outside Kafka (HTTP deliveries, Redis
 * projections): the handler runs per partition chunk in offset order; offsets are committed
 * only after it returned. Retriable errors retry the chunk in place with backoff (order kept).
 */
import type { Consumer, Kafka } from 'kafkajs';
import { messageOf, reasonOf } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { backoffDelay } from '../retry.ts';
import { toInMessage, waitInBatch } from './client.ts';
import type { InMessage } from './types.ts';

export interface ConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly logger: Logger;
  readonly handle: (
    messages: readonly InMessage[],
    ctx: { topic: string; partition: number; heartbeat: () => Promise<void> },
  ) => Promise<void>;
  readonly chunkSize?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly fromBeginning?: boolean;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly sessionTimeoutMs?: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
  readonly joined: boolean;
  readonly consumer: Consumer;
}

export async function runConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const log = o.logger.child({ component: 'consumer', group: o.groupId });
  const chunkSize = o.chunkSize ?? 500;
  const retryOpts = o.retry ?? { initialMs: 200, maxMs: 30_000 };
  let joined = false;
  const consumer = o.kafka.consumer({
    groupId: o.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1000,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const { topic, partition } = batch;
      const messages = batch.messages.map((msg) => toInMessage(topic, partition, msg));
      for (let i = 0; i < messages.length; i += chunkSize) {
        const chunk = messages.slice(i, i + chunkSize);
        for (let attempt = 0; ; attempt++) {
          if (!isRunning() || isStale()) return;
          try {
            await o.handle(chunk, { topic, partition, heartbeat });
            resolveOffset(chunk[chunk.length - 1]!.offset);
            await commitOffsetsIfNecessary();
            await heartbeat();
            break;
          } catch (err) {
            const delay = backoffDelay(attempt, { ...retryOpts, jitter: 0.5 });
            log.warn(
              { topic, partition, attempt, delayMs: delay, reason: reasonOf(err), err: messageOf(err) },
              'chunk failed, will retry',
            );
            await waitInBatch(delay, { heartbeat, isRunning, isStale });
          }
        }
      }
    },
  });
  return {
    consumer,
    get joined() {
      return joined;
    },
    async stop() {
      await consumer.disconnect();
    },
  };
}
