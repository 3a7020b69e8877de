/**
 * Reads one partition of a compacted changelog topic from the beginning up to its end,
 * read_committed, as Kafka Streams restores a state store. Used by the sequencer (its state
 * changelog) and by watermark.ts (the processors' replay watermarks).
 *
 * Fence first: the stage's transactional id for this input partition is initialised (which aborts
 * a transaction a killed or zombie predecessor left open, and bumps the epoch so it can no longer
 * commit), and only then is the changelog read. Without this, an open transaction of a SIGKILLed
 * process keeps the last stable offset below the high watermark until the transaction times out,
 * and a live zombie could commit after we read. The stage's own producer initialises the same id
 * again right after (a higher epoch), so nothing else is fenced.
 *
 * kafkajs has no manual assignment: a throwaway group subscribes, pauses every other partition,
 * and reading stops when a batch (data or control-only) reaches the end offset taken after fencing.
 */
import { randomBytes } from 'node:crypto';
import { TransientError } from '../errors.ts';
import type { KafkaAdmin } from './admin.ts';
import { toInMessage, type KafkaClient } from './client.ts';
import { transactionalProducer } from './transactional.ts';
import type { InMessage } from './types.ts';

export interface RestoreOptions {
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
  readonly topic: string;
  readonly partition: number;
  /** Transactional id to fence before reading (the stage's id for the input partition). */
  readonly fenceTransactionalId?: string;
  readonly groupPrefix: string;
  readonly timeoutMs?: number;
  readonly onRecord: (m: InMessage) => void;
}

export async function fence(kafka: KafkaClient, transactionalId: string): Promise<void> {
  const p = transactionalProducer(kafka, { transactionalId });
  await p.connect(); // InitProducerId: aborts an open transaction of this id, bumps the epoch.
  await p.disconnect();
}

/** Returns the number of records read. */
export async function restorePartition(o: RestoreOptions): Promise<number> {
  if (o.fenceTransactionalId) await fence(o.kafka, o.fenceTransactionalId);
  const offsets = await o.admin.fetchTopicOffsets(o.topic);
  const mine = offsets.find((x) => x.partition === o.partition);
  if (!mine) throw new TransientError(`changelog ${o.topic} has no partition ${o.partition}`, 'changelog_missing');
  const end = BigInt(mine.high);
  if (end === BigInt(mine.low)) return 0;

  const groupId = `${o.groupPrefix}.restore.${o.partition}.${randomBytes(4).toString('hex')}`;
  const consumer = o.kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let count = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const reached = (last: string) => BigInt(last) + 1n >= end;
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    if (e.payload.partition === o.partition && reached(e.payload.lastOffset)) done();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== o.partition) {
          consumer.pause([{ topic: o.topic, partitions: [batch.partition] }]);
          return;
        }
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break;
          o.onRecord(toInMessage(o.topic, batch.partition, m));
          count++;
        }
        if (reached(batch.lastOffset())) done();
        await Promise.resolve();
      },
    });
    const timeoutMs = o.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const r = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout')
      throw new TransientError(
        `restoring ${o.topic}/${o.partition} did not reach offset ${end} within ${timeoutMs} ms`,
        'restore_timeout',
      );
    return count;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await o.admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
