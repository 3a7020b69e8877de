/**
 * Runs a set of handlers through one Processor (processor.ts) on two transactional stages (runStage,
 * effectively once): the main stage on events.<domain>, and the retry stage on processors.retry.*,
 * which handles a record only from its due time on (dueAt: the partition pauses until then).
 *
 * Replay: the main stage writes a watermark per input partition to processors.watermarks in each
 * transaction (common/kafka/watermark.ts); after an operator resets its group to an earlier offset,
 * the records at or below the watermark are skipped, so a replay re-emits nothing on
 * outbound.events, state.resources, the retry topics or processors.dlq. The retry stage does the
 * same for its own group on processors.retry.* (keys `<group>.retry/<topic>/<p>` in the same
 * topic): without it, a reset of the retry stage's group would run retried handlers again, and write an
 * OLDER state of a resource to state.resources after its newer one.
 */
import type { KafkaAdmin } from '../common/kafka/admin.ts';
import type { KafkaClient } from '../common/kafka/client.ts';
import { runStage } from '../common/kafka/stage.ts';
import { kafkaWatermarks, skipReread } from '../common/kafka/watermark.ts';
import type { Redis } from '../common/redis.ts';
import { redisParking, type Position } from './parking.ts';
import { createProcessor, type ProcessorDeps } from './processor.ts';

/** What the processor itself takes (handlers, retry topics and delays, DLQ, codec, logs, metrics), plus the wiring. */
export interface RunnerOptions extends Pick<
  ProcessorDeps,
  'avro' | 'logger' | 'meter' | 'handlers' | 'retryTopics' | 'delaysMs' | 'dlqTopic'
> {
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
  readonly redis: Redis;
  readonly groupId: string;
  readonly inputTopics: readonly string[];
  /** Compacted topic of the main stage's replay watermarks (processors.watermarks). */
  readonly watermarkTopic: string;
  readonly restoreTimeoutMs?: number;
  /** Prefix of the Redis keys of parked resources. */
  readonly redisPrefix: string;
  readonly chunkSize?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
}

export interface RunningProcessors {
  stop(): Promise<void>;
  readonly joined: boolean;
}

export async function runProcessors(o: RunnerOptions): Promise<RunningProcessors> {
  const retryGroup = `${o.groupId}.retry`;
  async function committed(at: Position): Promise<boolean> {
    const res = await o.admin.fetchOffsets({ groupId: retryGroup, topics: [at.topic] });
    const off = res[0]?.partitions.find((p) => p.partition === at.partition)?.offset ?? '-1';
    return BigInt(off) > BigInt(at.offset);
  }
  const processor = createProcessor({
    avro: o.avro,
    logger: o.logger,
    meter: o.meter,
    parking: redisParking(o.redis, o.redisPrefix),
    handlers: o.handlers,
    retryTopics: o.retryTopics,
    delaysMs: o.delaysMs,
    dlqTopic: o.dlqTopic,
    committed,
  });
  const watermarks = (groupId: string) =>
    kafkaWatermarks({
      kafka: o.kafka,
      admin: o.admin,
      topic: o.watermarkTopic,
      groupId,
      restoreTimeoutMs: o.restoreTimeoutMs,
    });
  const onReread = (n: number) => processor.reread(n);
  const retry = await runStage({
    kafka: o.kafka,
    groupId: retryGroup,
    topics: o.retryTopics,
    logger: o.logger,
    meter: o.meter,
    dueAt: processor.dueAt,
    chunkSize: 100,
    partitionsConsumedConcurrently: 8,
    handler: skipReread({ handle: (msgs) => processor.handleRetry(msgs) }, { store: watermarks(retryGroup), onReread }),
    sessionTimeoutMs: o.sessionTimeoutMs,
  });
  const stage = await runStage({
    kafka: o.kafka,
    groupId: o.groupId,
    topics: o.inputTopics,
    logger: o.logger,
    meter: o.meter,
    chunkSize: o.chunkSize ?? 200,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 6,
    sessionTimeoutMs: o.sessionTimeoutMs,
    handler: skipReread({ handle: (msgs) => processor.handleMain(msgs) }, { store: watermarks(o.groupId), onReread }),
  });
  return {
    get joined() {
      return stage.joined && retry.joined;
    },
    async stop() {
      await stage.stop();
      await retry.stop();
    },
  };
}
