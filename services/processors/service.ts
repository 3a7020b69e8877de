/**
 * Wires the processors service: built-in handlers (state projector, outbound router) into the runner,
 * and the enrichment stage of thin webhooks (enrich/: webhooks.enrich → webhooks.normalized, its own
 * consumer group `<group>.enrich`). Reads no environment.
 *
 * Why the enrichment stage lives here and not in its own service: the processors are the service that
 * calls third parties (timeouts, retry topics with due times, a DLQ for what cannot be fetched) and holds
 * the sources' API credentials; the validator and sequencer stay free of third-party I/O, so a slow
 * provider API never holds up ingestion or ordering. Its own consumer group keeps its lag and its
 * transactions apart from the processors' main stage; a deployment that wants to scale it alone can
 * run instances with PROCESSORS_DOMAINS set to a domain nobody publishes to.
 */
import type { Started, ServiceDeps } from '../common/service.ts';
import { ENRICH_RETRY_TOPICS, RETRY_TOPICS, TOPIC, domainTopic } from '../common/contracts/index.ts';
import { runStage, type RunningStage } from '../common/kafka/stage.ts';
import { parseDelays, type ProcessorsConfig } from './config.ts';
import { stateProjector } from './builtins/projector.ts';
import { outboundRouter } from './builtins/router.ts';
import { runProcessors } from './runner.ts';
import { openSources } from '../common/source-store-redis.ts';
import type { SourceStore } from '../common/sources.ts';
import { getProvider } from '../providers/index.ts';
import { createFetcher } from './enrich/fetch.ts';
import { createEnrichStage } from './enrich/stage.ts';

async function startEnrichment(
  deps: ServiceDeps<ProcessorsConfig & { TOPIC_PREFIX: string }>,
  sources: SourceStore,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunningStage> {
  const c = deps.config;
  const retry = ENRICH_RETRY_TOPICS.map((t) => deps.topic(t));
  const stage = createEnrichStage({
    fetcher: createFetcher({
      sources,
      provider: getProvider,
      env,
      timeoutMs: c.PROCESSORS_ENRICH_TIMEOUT_MS,
      logger: deps.logger,
    }),
    avro: deps.avro,
    logger: deps.logger,
    meter: deps.telemetry.meter,
    topics: {
      input: deps.topic(TOPIC.enrich),
      retry,
      normalized: deps.topic(TOPIC.normalized),
      dlq: deps.topic(TOPIC.rawDlq),
    },
    delaysMs: parseDelays(
      c.PROCESSORS_ENRICH_RETRY_DELAYS_MS,
      'PROCESSORS_ENRICH_RETRY_DELAYS_MS',
      ENRICH_RETRY_TOPICS.length,
    ),
    concurrency: c.PROCESSORS_ENRICH_CONCURRENCY,
  });
  return runStage({
    kafka: deps.kafka,
    groupId: deps.group('enrich'),
    topics: [deps.topic(TOPIC.enrich), ...retry],
    handler: stage.handler,
    dueAt: stage.dueAt,
    logger: deps.logger,
    meter: deps.telemetry.meter,
    chunkSize: c.PROCESSORS_ENRICH_CHUNK_SIZE,
    partitionsConsumedConcurrently: c.PROCESSORS_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: c.PROCESSORS_SESSION_TIMEOUT_MS,
  });
}

export async function startProcessors(
  deps: ServiceDeps<ProcessorsConfig & { TOPIC_PREFIX: string }>,
  o: { env: Readonly<Record<string, string | undefined>> } = { env: {} },
): Promise<Started> {
  const c = deps.config;
  // The enrichment stage needs the sources (their API credentials); without a sources store it does not run.
  const opened =
    c.SOURCES_STORE === 'file' && !c.SOURCES_FILE ? undefined : await openSources(c, deps, getProvider, o.env);
  if (!opened)
    deps.logger.warn(
      'enrichment stage off: no SOURCES_FILE, webhooks.enrich is not consumed here (thin webhooks of sources with an API credential wait there)',
    );
  const enrichment = opened ? await startEnrichment(deps, opened.store, o.env) : undefined;
  const handlers = [
    stateProjector({
      redis: deps.redis,
      redisKey: `hookline:${c.TOPIC_PREFIX}processors:state`,
      topic: deps.topic(TOPIC.stateResources),
    }),
    outboundRouter({ avro: deps.avro, topic: deps.topic(TOPIC.outboundEvents) }),
  ];
  const running = await runProcessors({
    kafka: deps.kafka,
    admin: deps.admin,
    redis: deps.redis,
    avro: deps.avro,
    logger: deps.logger,
    meter: deps.telemetry.meter,
    groupId: deps.group(),
    handlers,
    inputTopics: c.PROCESSORS_DOMAINS.map((d) => deps.topic(domainTopic(d))),
    retryTopics: RETRY_TOPICS.map((t) => deps.topic(t)),
    delaysMs: parseDelays(c.PROCESSORS_RETRY_DELAYS_MS),
    dlqTopic: deps.topic(TOPIC.processorsDlq),
    watermarkTopic: deps.topic(TOPIC.processorsWatermarks),
    restoreTimeoutMs: c.PROCESSORS_RESTORE_TIMEOUT_MS,
    redisPrefix: `hookline:${c.TOPIC_PREFIX}processors:parked:`,
    chunkSize: c.PROCESSORS_CHUNK_SIZE,
    partitionsConsumedConcurrently: c.PROCESSORS_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: c.PROCESSORS_SESSION_TIMEOUT_MS,
  });
  return {
    checks: {
      stage: () =>
        running.joined && (enrichment?.joined ?? true)
          ? Promise.resolve()
          : Promise.reject(new Error('consumers have not joined their groups yet')),
    },
    async stop() {
      await enrichment?.stop();
      await running.stop();
      await opened?.close();
    },
  };
}
