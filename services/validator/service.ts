/**
 * Wires the validator: sources, provider registry, Redis claims, Avro and metrics into the
 * handler, and the handler into a transactional stage on webhooks.raw. Called by main.ts with the
 * service deps; reads no environment itself.
 */
import { int, type ConfigOf } from '../common/config.ts';
import { TOPIC } from '../common/contracts/index.ts';
import type { Started, ServiceDeps } from '../common/service.ts';
import { runStage } from '../common/kafka/stage.ts';
import { openSources, sourcesSpec } from '../common/source-store-redis.ts';
import { getProvider } from '../providers/index.ts';
import { redisDedupeStore } from './dedupe.ts';
import { createValidatorHandler } from './handler.ts';
import { otelValidatorMetrics } from './metrics.ts';

export const validatorSpec = {
  /** SOURCES_STORE (file | redis), SOURCES_FILE, REDIS_KEY_PREFIX: see services/common/source-store-redis.ts. */
  ...sourcesSpec,
  /**
   * Raw records per transaction: 1000, measured with `npm run bench:validator` (33k records, mixed
   * providers, 1 MiB fetch per partition, shared 2-core box), as % of the plain consume→produce
   * baseline: chunk 100 → 34% (20 ms per transaction: the fixed AddOffsetsToTxn / TxnOffsetCommit /
   * EndTxn + markers dominate), 250 → 45%, 500 → 43–53% (a ~600-record fetch is cut into 500 + ~100,
   * 320 records per transaction), 1000 → 50–54% (one transaction per fetched batch, ~615 records,
   * ~100 ms), 2000 with a 2 MiB fetch → 52%. Beyond one fetched batch it is flat, while the commit
   * latency and the work redone after an abort keep growing. A chunk is also bounded by one fetch
   * (VALIDATOR_FETCH_BYTES per partition).
   */
  VALIDATOR_CHUNK_SIZE: int(1000, 1, 10_000),
  /** Partitions of webhooks.raw processed concurrently by one instance. */
  VALIDATOR_PARTITIONS_CONCURRENTLY: int(3, 1, 64),
  /** Max bytes fetched per partition per request (bounds a chunk's size in bytes). */
  VALIDATOR_FETCH_BYTES: int(1_048_576, 65_536, 52_428_800),
  /** Largest normalized record (bytes); bigger → DLQ record_too_large. Below the broker's max.message.bytes (1 MB default). */
  VALIDATOR_MAX_RECORD_BYTES: int(1_000_000, 1024, 104_857_600),
  /** Consumer session timeout: how long a dead instance keeps its partitions. */
  VALIDATOR_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  /** Kafka transaction timeout: an open transaction of a dead instance is aborted after this at the latest. */
  VALIDATOR_TRANSACTION_TIMEOUT_MS: int(60_000, 1_000, 900_000),
};

export type ValidatorConfig = ConfigOf<typeof validatorSpec>;

export async function startValidator(
  deps: ServiceDeps<ValidatorConfig & { TOPIC_PREFIX: string }>,
  o: { env: Readonly<Record<string, string | undefined>> },
): Promise<Started> {
  const { config } = deps;
  // Secrets written as env:NAME are resolved (and must exist) even though the validator never uses them:
  // one sources file, validated the same way everywhere.
  const opened = await openSources(config, deps, getProvider, o.env);
  const sources = opened.store;
  const raw = deps.topic(TOPIC.raw);
  const handler = createValidatorHandler({
    sources,
    provider: getProvider,
    avro: deps.avro,
    dedupe: redisDedupeStore(deps.redis, `hookline:${config.TOPIC_PREFIX}validator:dedupe:`),
    topics: { normalized: deps.topic(TOPIC.normalized), dlq: deps.topic(TOPIC.rawDlq) },
    metrics: otelValidatorMetrics(deps.telemetry.meter),
    tracer: deps.telemetry.tracer,
    logger: deps.logger,
    maxRecordBytes: config.VALIDATOR_MAX_RECORD_BYTES,
  });
  const stage = await runStage({
    kafka: deps.kafka,
    groupId: deps.group(),
    topics: [raw],
    handler,
    logger: deps.logger,
    meter: deps.telemetry.meter,
    chunkSize: config.VALIDATOR_CHUNK_SIZE,
    partitionsConsumedConcurrently: config.VALIDATOR_PARTITIONS_CONCURRENTLY,
    maxBytesPerPartition: config.VALIDATOR_FETCH_BYTES,
    sessionTimeoutMs: config.VALIDATOR_SESSION_TIMEOUT_MS,
    transactionTimeoutMs: config.VALIDATOR_TRANSACTION_TIMEOUT_MS,
  });
  deps.logger.info(
    { topic: raw, sources: sources.list().length, chunkSize: config.VALIDATOR_CHUNK_SIZE },
    'validator consuming',
  );
  return {
    checks: {
      stage: () =>
        stage.joined ? Promise.resolve() : Promise.reject(new Error('consumer has not joined its group yet')),
    },
    async stop() {
      await stage.stop();
      await opened.close();
    },
  };
}
