/**
 * Reads a whole topic (every partition, from the beginning up to the end offsets taken at the
 * start), read_committed, with a throwaway consumer group that is deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaAdmin } from './admin.ts';
import { toInMessage, type KafkaClient } from './client.ts';
import type { InMessage } from './types.ts';

export async function readTopicToEnd(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  topic: string,
  onRecord: (m: InMessage) => Promise<void> | void,
  timeoutMs = 60_000,
): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  if (ends.size === 0) return;
  const groupId = `hookline-ops.read.${randomBytes(5).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  const pending = new Set(ends.keys());
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const reached = (partition: number, last: string) => {
    const end = ends.get(partition);
    if (end !== undefined && BigInt(last) + 1n >= end) pending.delete(partition);
    if (pending.size === 0) done();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => reached(e.payload.partition, e.payload.lastOffset));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        for (const m of batch.messages) {
          if (end === undefined || BigInt(m.offset) >= end) break;
          await onRecord(toInMessage(topic, batch.partition, m));
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      finished.then(() => 'ok' as const),
      new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
