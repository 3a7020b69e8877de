/**
 * Replay safety for a stateless transactional stage (runStage): a per-input-partition WATERMARK, the
 * last input offset whose effects were committed, stored in a compacted topic and written IN THE
 * SAME TRANSACTION as the stage's output and input offsets. When an operator resets the stage's
 * consumer group to an earlier offset (operator replay), the records at or below the watermark are
 * skipped: their effects are already committed, so re-reading them produces nothing. Records after
 * it are processed exactly as the first time.
 *
 * Same idea as the sequencer's watermark (which lives in its own state changelog): the watermark can
 * never run ahead of or lag behind the committed output, because both commit or abort together.
 *
 * Layout: the watermark of input `<topic>/<p>` of group G is the record with key `G/<topic>/<p>` in
 * partition `p mod N` of the watermark topic (N = its partition count, explicit partition, so the
 * reader knows where to look). A partition holds the watermarks of every input topic (and group)
 * with that partition number: a handful of keys after compaction. Raising N moves the keys: the
 * watermarks are then not found (-1), i.e. the next replay is at-least-once again, never lossy.
 *
 * read() runs in prepare(): it fences the stage's transactional id of the input partition first
 * (restore.ts), so a predecessor's open transaction is aborted before the watermark is read.
 * Recreating an input topic (offsets restart at 0) needs the group's watermark keys deleted
 * (tombstones), or the new topic's first records would be taken for re-reads.
 */
import type { KafkaAdmin } from './admin.ts';
import type { KafkaClient } from './client.ts';
import { TransientError } from '../errors.ts';
import { restorePartition } from './restore.ts';
import type { ChunkContext, StageHandler } from './stage.ts';
import type { InMessage, OutRecord } from './types.ts';

export interface WatermarkStore {
  /** Fences the input partition's transactional id, then reads its watermark (-1n = none). */
  read(topic: string, partition: number): Promise<bigint>;
  /** The record that sets the watermark of the input partition to `offset` (read() first). */
  record(topic: string, partition: number, offset: bigint): OutRecord;
}

export interface KafkaWatermarkOptions {
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
  /** The compacted watermark topic (physical name). */
  readonly topic: string;
  /** The stage's consumer group: its transactional ids are `<group>.<topic>.<partition>` (stage.ts). */
  readonly groupId: string;
  readonly restoreTimeoutMs?: number;
}

interface StoredWatermark {
  v: 1;
  offset: string;
}

export function kafkaWatermarks(o: KafkaWatermarkOptions): WatermarkStore {
  let partitions: number | undefined;
  const keyOf = (topic: string, partition: number) => `${o.groupId}/${topic}/${partition}`;
  async function count(): Promise<number> {
    if (partitions === undefined) {
      const meta = await o.admin.fetchTopicMetadata({ topics: [o.topic] });
      const n = meta.topics.find((t) => t.name === o.topic)?.partitions.length ?? 0;
      if (n === 0) throw new TransientError(`watermark topic ${o.topic} has no partitions`, 'changelog_missing');
      partitions = n;
    }
    return partitions;
  }
  return {
    async read(topic, partition) {
      const key = keyOf(topic, partition);
      let watermark = -1n;
      await restorePartition({
        kafka: o.kafka,
        admin: o.admin,
        topic: o.topic,
        partition: partition % (await count()),
        fenceTransactionalId: `${o.groupId}.${topic}.${partition}`,
        groupPrefix: `${o.groupId}.watermarks`,
        timeoutMs: o.restoreTimeoutMs,
        onRecord: (m) => {
          if (m.key !== key) return;
          watermark = m.value === null ? -1n : BigInt((JSON.parse(m.value.toString('utf8')) as StoredWatermark).offset);
        },
      });
      return watermark;
    },
    record(topic, partition, offset) {
      if (partitions === undefined) throw new Error(`watermark of ${topic}/${partition} written before it was read`);
      const value: StoredWatermark = { v: 1, offset: offset.toString() };
      return {
        topic: o.topic,
        partition: partition % partitions,
        key: keyOf(topic, partition),
        value: Buffer.from(JSON.stringify(value)),
      };
    },
  };
}

export interface SkipRereadOptions {
  readonly store: WatermarkStore;
  /** Records skipped because they are at or below the watermark (metrics). */
  readonly onReread?: (count: number, ctx: ChunkContext) => void;
}

/**
 * Wraps a stage handler: prepare() reads the partition's watermark, handle() passes only records
 * above it to the inner handler and adds the new watermark to the output. An aborted chunk is
 * retried after release()+prepare() (stage.ts), which reads the committed watermark again, so
 * advancing it in memory before the commit is safe.
 */
export function skipReread(inner: StageHandler, o: SkipRereadOptions): StageHandler {
  const marks = new Map<string, bigint>();
  const k = (topic: string, partition: number) => `${topic}:${partition}`;
  return {
    async prepare(topic, partition) {
      marks.set(k(topic, partition), await o.store.read(topic, partition));
      await inner.prepare?.(topic, partition);
    },
    release(topic, partition) {
      marks.delete(k(topic, partition));
      inner.release?.(topic, partition);
    },
    async handle(messages: readonly InMessage[], ctx): Promise<readonly OutRecord[]> {
      const watermark = marks.get(k(ctx.topic, ctx.partition));
      if (watermark === undefined) throw new Error(`${ctx.topic}/${ctx.partition} handled before prepare`);
      const fresh = messages.filter((m) => BigInt(m.offset) > watermark);
      if (fresh.length < messages.length) o.onReread?.(messages.length - fresh.length, ctx);
      if (fresh.length === 0) return [];
      const out = await inner.handle(fresh, ctx);
      const last = BigInt(fresh[fresh.length - 1]!.offset);
      marks.set(k(ctx.topic, ctx.partition), last);
      return [...out, o.store.record(ctx.topic, ctx.partition, last)];
    },
  };
}
