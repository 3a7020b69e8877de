/**
 * Wires the validator: sources, provider registry, Redis claims, Avro and metrics into the
 * handler, and the handler into a transactional stage on webhooks.raw. Called by main.ts with the
 * service deps; reads no environment itself.
 */
import { TOPIC } from '../common/contracts/index.ts';
import type { Started, ServiceDeps } from '../common/service.ts';
import { runStage } from '../common/kafka/stage.ts';
import { openSources } from '../common/source-store-redis.ts';
import { getProvider } from '../providers/index.ts';
import type { ValidatorConfig } from './config.ts';
import { redisDedupeStore } from './dedupe.ts';
import { createValidatorHandler } from './handler.ts';
import { otelValidatorMetrics } from './metrics.ts';

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
    topics: {
      normalized: deps.topic(TOPIC.normalized),
      enrich: deps.topic(TOPIC.enrich),
      dlq: deps.topic(TOPIC.rawDlq),
    },
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
