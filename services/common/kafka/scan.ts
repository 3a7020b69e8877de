/**
 * Bounded reads of offset ranges across several topics at once, read_committed, for searches (the
 * admin's event explorer): one throwaway consumer group subscribes to every topic, pauses the
 * partitions it was not asked for, seeks the others to their start, and stops when each range is
 * read to its end, when `maxRecords` were read, or at the timeout — whichever comes first. One group
 * join for all topics, because a join costs seconds and a search touches ten topics.
 * kafkajs has no manual assignment, hence the throwaway group (deleted afterwards).
 *
 * partitionForKey answers where the producers (DefaultPartitioner, Java-compatible murmur2) put a
 * key, so a search by key reads one partition per topic instead of all.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { KafkaAdmin } from './admin.ts';
import { toInMessage, type KafkaClient } from './client.ts';
import type { InMessage } from './types.ts';

export interface ScanRange {
  readonly topic: string;
  readonly partition: number;
  /** First offset to read (inclusive). */
  readonly from: bigint;
  /** End offset (exclusive), usually the high watermark taken before the scan. */
  readonly to: bigint;
}

export interface ScanResult {
  /** Records handed to onRecord. */
  readonly scanned: number;
  /** Stopped at maxRecords or at the timeout before every range was read. */
  readonly truncated: boolean;
}

const partitioner = Partitioners.DefaultPartitioner();

/** The partition the project's producers write `key` to, for a topic of `count` partitions. */
export function partitionForKey(topic: string, key: string, count: number): number {
  const partitionMetadata = Array.from({ length: count }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic, partitionMetadata, message: { key, value: null } });
}

/**
 * Ranges from a time to the current end of each partition of each topic (offsetsForTimes; a
 * partition with nothing after `since` gets an empty range). `only` limits a topic to one partition.
 */
export async function rangesSince(
  admin: KafkaAdmin,
  topics: readonly string[],
  since: number,
  only?: (topic: string, partitions: number) => number | undefined,
): Promise<ScanRange[]> {
  const out: ScanRange[] = [];
  for (const topic of topics) {
    const [ends, starts] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchTopicOffsetsByTimestamp(topic, since),
    ]);
    const one = only?.(topic, ends.length);
    for (const e of ends) {
      if (one !== undefined && e.partition !== one) continue;
      const high = BigInt(e.high);
      const s = starts.find((x) => x.partition === e.partition)?.offset;
      const from = s === undefined || BigInt(s) < 0n ? high : BigInt(s);
      out.push({ topic, partition: e.partition, from: from < BigInt(e.low) ? BigInt(e.low) : from, to: high });
    }
  }
  return out;
}

export async function scanRanges(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  ranges: readonly ScanRange[],
  onRecord: (m: InMessage) => Promise<void> | void,
  o: { readonly maxRecords: number; readonly timeoutMs: number; readonly groupPrefix: string },
): Promise<ScanResult> {
  const want = new Map(ranges.filter((r) => r.to > r.from).map((r) => [`${r.topic}/${r.partition}`, r]));
  if (want.size === 0) return { scanned: 0, truncated: false };
  const pending = new Set(want.keys());
  const groupId = `${o.groupPrefix}.scan.${randomBytes(5).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  let scanned = 0;
  let full = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const reached = (topic: string, partition: number, last: string) => {
    const key = `${topic}/${partition}`;
    const r = want.get(key);
    if (r && BigInt(last) + 1n >= r.to) pending.delete(key);
    if (pending.size === 0) done();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) =>
    reached(e.payload.topic, e.payload.partition, e.payload.lastOffset),
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const r = want.get(`${batch.topic}/${batch.partition}`);
        if (!r) {
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
          return;
        }
        for (const m of batch.messages) {
          if (full) return;
          const at = BigInt(m.offset);
          if (at < r.from) continue;
          if (at >= r.to) break;
          await onRecord(toInMessage(batch.topic, batch.partition, m));
          if (++scanned >= o.maxRecords) {
            full = true;
            done();
            return;
          }
        }
      },
    });
    for (const r of want.values()) consumer.seek({ topic: r.topic, partition: r.partition, offset: r.from.toString() });
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      finished.then(() => 'ok' as const),
      new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), o.timeoutMs))),
    ]);
    clearTimeout(timer);
    return { scanned, truncated: full || result === 'timeout' };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
