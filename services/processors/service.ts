/** Wires the processors service: built-in handlers (state projector, outbound router) into the runner. Reads no environment. */
import type { Started, ServiceDeps } from '../common/service.ts';
import { RETRY_TOPICS, TOPIC, domainTopic } from '../common/contracts/index.ts';
import { parseDelays, type ProcessorsConfig } from './config.ts';
import { stateProjector } from './builtins/projector.ts';
import { outboundRouter } from './builtins/router.ts';
import type { ProcessorHandler } from './types.ts';
import { runProcessors } from './runner.ts';
import { openSources } from '../common/source-store-redis.ts';
import { getProvider } from '../providers/index.ts';
import { createEnricher, withEnrichment } from './builtins/enrich.ts';

export async function startProcessors(
  deps: ServiceDeps<ProcessorsConfig & { TOPIC_PREFIX: string }>,
  o: { env: Readonly<Record<string, string | undefined>> } = { env: {} },
): Promise<Started> {
  const c = deps.config;
  // Enrichment needs the sources (their API credentials); without a sources store it is off.
  const opened =
    c.SOURCES_STORE === 'file' && !c.SOURCES_FILE ? undefined : await openSources(c, deps, getProvider, o.env);
  if (!opened) deps.logger.info('enrichment off: no SOURCES_FILE (thin webhooks keep canonical null)');
  const enricher = opened
    ? createEnricher({
        sources: opened.store,
        provider: getProvider,
        env: o.env,
        timeoutMs: c.PROCESSORS_ENRICH_TIMEOUT_MS,
        logger: deps.logger,
      })
    : undefined;
  const enriched = (h: ProcessorHandler) => (enricher ? withEnrichment(h, enricher) : h);
  const handlers = [
    enriched(
      stateProjector({
        redis: deps.redis,
        redisKey: `hookline:${c.TOPIC_PREFIX}processors:state`,
        topic: deps.topic(TOPIC.stateResources),
      }),
    ),
    enriched(outboundRouter({ avro: deps.avro, topic: deps.topic(TOPIC.outboundEvents) })),
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
        running.joined ? Promise.resolve() : Promise.reject(new Error('consumers have not joined their groups yet')),
    },
    async stop() {
      await running.stop();
      await opened?.close();
    },
  };
}
