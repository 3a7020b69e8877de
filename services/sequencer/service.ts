/** Wires the sequencer: handler + ticker into a transactional stage on webhooks.normalized. Reads no environment. */
import { int, type ConfigOf } from '../common/config.ts';
import { createProducer } from '../common/kafka/producer.ts';
import { runStage } from '../common/kafka/stage.ts';
import { TOPIC, domainTopic } from '../common/contracts/index.ts';
import type { Started, ServiceDeps } from '../common/service.ts';
import { createSequencer } from './sequencer.ts';

export const sequencerSpec = {
  /** How long an event ahead of a missing predecessor waits before it is released with a gap marker. */
  SEQUENCER_HOLD_BACK_MS: int(60_000, 100, 86_400_000),
  /** The sequence number a resource starts at (an event at or below it, with no state, applies at once). */
  SEQUENCER_FIRST_SEQUENCE: int(1, 0),
  /** Applied event ids remembered per resource (exact re-deliveries of these are dropped). */
  SEQUENCER_RECENT_IDS: int(32, 1, 10_000),
  /** Bounds on held events; on a hit the lowest held event (resource) / the longest-held resource (partition) is released with a gap marker. */
  SEQUENCER_MAX_HELD_PER_RESOURCE: int(1000, 1),
  /** Below the broker's max.message.bytes: all held events of a resource are one changelog record. */
  SEQUENCER_MAX_HELD_BYTES_PER_RESOURCE: int(262_144, 1024, 900_000),
  SEQUENCER_MAX_HELD_PER_PARTITION: int(100_000, 1),
  SEQUENCER_MAX_HELD_BYTES_PER_PARTITION: int(64 * 1024 * 1024, 1024),
  /** How often quiet partitions are checked for due hold-back deadlines. */
  SEQUENCER_TICK_INTERVAL_MS: int(1000, 50, 60_000),
  SEQUENCER_RESTORE_TIMEOUT_MS: int(120_000, 1000),
  /** A resource's ordering state is dropped this long after its last change (nothing held); default 30 days. */
  SEQUENCER_STATE_TTL_MS: int(30 * 86_400_000, 1000),
  SEQUENCER_CHUNK_SIZE: int(500, 1, 10_000),
  SEQUENCER_PARTITIONS_CONCURRENTLY: int(3, 1, 64),
  SEQUENCER_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  SEQUENCER_TRANSACTION_TIMEOUT_MS: int(60_000, 1_000, 900_000),
};

export type SequencerConfig = ConfigOf<typeof sequencerSpec>;

export async function startSequencer(deps: ServiceDeps<SequencerConfig>): Promise<Started> {
  const c = deps.config;
  const groupId = deps.group();
  const tickProducer = createProducer(deps.kafka);
  await tickProducer.connect();
  const seq = createSequencer({
    kafka: deps.kafka,
    admin: deps.admin,
    avro: deps.avro,
    logger: deps.logger,
    meter: deps.telemetry.meter,
    groupId,
    tickProducer,
    topics: {
      input: deps.topic(TOPIC.normalized),
      changelog: deps.topic(TOPIC.sequencerChangelog),
      stale: deps.topic(TOPIC.stale),
      dlq: deps.topic(TOPIC.rawDlq),
      domain: (d) => deps.topic(domainTopic(d)),
    },
    options: {
      holdBackMs: c.SEQUENCER_HOLD_BACK_MS,
      firstSequence: c.SEQUENCER_FIRST_SEQUENCE,
      recentIds: c.SEQUENCER_RECENT_IDS,
      maxHeldPerResource: c.SEQUENCER_MAX_HELD_PER_RESOURCE,
      maxHeldBytesPerResource: c.SEQUENCER_MAX_HELD_BYTES_PER_RESOURCE,
      maxHeldPerPartition: c.SEQUENCER_MAX_HELD_PER_PARTITION,
      maxHeldBytesPerPartition: c.SEQUENCER_MAX_HELD_BYTES_PER_PARTITION,
      tickIntervalMs: c.SEQUENCER_TICK_INTERVAL_MS,
      restoreTimeoutMs: c.SEQUENCER_RESTORE_TIMEOUT_MS,
      stateTtlMs: c.SEQUENCER_STATE_TTL_MS,
    },
  });
  const stage = await runStage({
    kafka: deps.kafka,
    groupId,
    topics: [deps.topic(TOPIC.normalized)],
    handler: seq.handler,
    logger: deps.logger,
    meter: deps.telemetry.meter,
    chunkSize: c.SEQUENCER_CHUNK_SIZE,
    partitionsConsumedConcurrently: c.SEQUENCER_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: c.SEQUENCER_SESSION_TIMEOUT_MS,
    transactionTimeoutMs: c.SEQUENCER_TRANSACTION_TIMEOUT_MS,
  });
  seq.start();
  return {
    checks: {
      stage: () =>
        stage.joined ? Promise.resolve() : Promise.reject(new Error('consumer has not joined its group yet')),
    },
    async stop() {
      seq.stop();
      await stage.stop();
      await tickProducer.disconnect();
    },
  };
}
