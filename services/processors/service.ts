/** Wires the processors service: built-in handlers (state projector, outbound router) into the runner. Reads no environment. */
import { int, list, listOf, type ConfigOf } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import type { Started, ServiceDeps } from '../common/service.ts';
import { DOMAINS, RETRY_TOPICS, TOPIC, domainTopic } from '../common/contracts/index.ts';
import { stateProjector } from './builtins/projector.ts';
import { outboundRouter } from './builtins/router.ts';
import { runProcessors } from './runner.ts';

export const processorsSpec = {
  /** Delays of processors.retry.5s / .1m / .10m, ms (the topic names are fixed; the delays are not). */
  PROCESSORS_RETRY_DELAYS_MS: list(['5000', '60000', '600000']),
  /** Domains consumed (events.<domain>). */
  PROCESSORS_DOMAINS: listOf(DOMAINS),
  PROCESSORS_CHUNK_SIZE: int(200, 1, 10_000),
  PROCESSORS_PARTITIONS_CONCURRENTLY: int(6, 1, 64),
  PROCESSORS_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  /** Max time to read an input partition's replay watermark back when it is assigned. */
  PROCESSORS_RESTORE_TIMEOUT_MS: int(120_000, 1000),
};

export type ProcessorsConfig = ConfigOf<typeof processorsSpec>;

export function parseDelays(raw: readonly string[]): number[] {
  const delays = raw.map(Number);
  if (delays.length !== RETRY_TOPICS.length || delays.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ConfigError(
      `PROCESSORS_RETRY_DELAYS_MS must be ${RETRY_TOPICS.length} non-negative integers (ms), got "${raw.join(',')}"`,
    );
  }
  return delays;
}

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
