/** Wires the sequencer: handler + ticker into a transactional stage on webhooks.normalized. Reads no environment. */
import { createProducer } from '../common/kafka/producer.ts';
import { runStage } from '../common/kafka/stage.ts';
import { TOPIC, domainTopic } from '../common/contracts/index.ts';
import type { Started, ServiceDeps } from '../common/service.ts';
import type { SequencerConfig } from './config.ts';
import { createSequencer } from './sequencer.ts';

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
