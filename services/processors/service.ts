/** Wires the processors service: built-in handlers (state projector, outbound router) into the runner. Reads no environment. */
import type { Started, ServiceDeps } from '../common/service.ts';
import { RETRY_TOPICS, TOPIC, domainTopic } from '../common/contracts/index.ts';
import { parseDelays, type ProcessorsConfig } from './config.ts';
import { stateProjector } from './builtins/projector.ts';
import { outboundRouter } from './builtins/router.ts';
import { runProcessors } from './runner.ts';

export async function startProcessors(
  deps: ServiceDeps<ProcessorsConfig & { TOPIC_PREFIX: string }>,
): Promise<Started> {
  const c = deps.config;
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
        running.joined ? Promise.resolve() : Promise.reject(new Error('consumers have not joined their groups yet')),
    },
    stop: () => running.stop(),
  };
}
