/**
 * Wires the ingress from its configuration: sources, producer with group commit, durable writer,
 * Redis rate limiter, the webhook app, and the Kafka producer's readiness. main.ts calls this with
 * process.env; integration tests call it with their own environment.
 */
import { ConfigError } from '../common/errors.ts';
import { createProducer } from '../common/kafka/producer.ts';
import type { startService } from '../common/service.ts';
import { fileSourceStore } from '../common/sources.ts';
import { getProvider } from '../providers/index.ts';
import type { SourceConfig } from '../providers/types.ts';
import { createIngressApp } from './app.ts';
import { ingressSpec } from './config.ts';
import { otelIngressMetrics } from './metrics.ts';
import { redisRateLimiter } from './rate-limit.ts';
import { createDurableWriter } from './writer.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The generic options the ingress itself reads; provider-specific ones are the module's validateOptions. */
export function ingressOptionProblems(s: SourceConfig): string[] {
  const o = s.options;
  const problems: string[] = [];
  const positiveInt = (k: string) => o[k] === undefined || (typeof o[k] === 'number' && Number.isInteger(o[k]) && o[k] > 0);
  const positive = (k: string) => o[k] === undefined || (typeof o[k] === 'number' && Number.isFinite(o[k]) && o[k] > 0);
  if (!positiveInt('bodyLimitBytes')) problems.push(`source ${s.id}: bodyLimitBytes must be a positive integer`);
  if (!positive('rateLimitPerSecond')) problems.push(`source ${s.id}: rateLimitPerSecond must be a positive number`);
  if (!positive('rateLimitBurst') || (typeof o.rateLimitBurst === 'number' && o.rateLimitBurst < 1)) {
    problems.push(`source ${s.id}: rateLimitBurst must be a number ≥ 1`);
  }
  if (o.publicUrl !== undefined && (typeof o.publicUrl !== 'string' || !URL.canParse(o.publicUrl))) {
    problems.push(`source ${s.id}: publicUrl must be an absolute URL`);
  }
  return problems;
}

export function ingressService(env: Env): Parameters<typeof startService<typeof ingressSpec>>[0] {
  return {
    name: 'ingress',
    spec: ingressSpec,
    env,
    start(deps) {
      const { config, logger, telemetry } = deps;
      const sources = fileSourceStore(config.SOURCES_FILE, getProvider, env);
      const problems = sources.list().flatMap(ingressOptionProblems);
      if (problems.length > 0) throw new ConfigError(`invalid sources: ${problems.join('; ')}`);

      const producer = createProducer(deps.kafka, { timeoutMs: config.INGRESS_PRODUCE_TIMEOUT_MS });
      const writer = createDurableWriter({
        producer,
        deadlineMs: config.INGRESS_PRODUCE_TIMEOUT_MS,
        maxPending: config.INGRESS_MAX_PENDING,
        logger,
      });
      writer.start();
      const metrics = otelIngressMetrics(telemetry.meter);
      let lastFallbackLog = 0;
      const rateLimiter = redisRateLimiter({
        redis: deps.redis,
        keyPrefix: `hookline:${config.TOPIC_PREFIX}ingress:ratelimit:`,
        timeoutMs: config.INGRESS_RATE_LIMIT_TIMEOUT_MS,
        onFallback: (err) => {
          if (Date.now() - lastFallbackLog < 10_000) return;
          lastFallbackLog = Date.now();
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis rate limiter unavailable: limiting per instance in memory');
        },
      });
      const routes = createIngressApp({
        sources,
        provider: getProvider,
        writer,
        rateLimiter,
        topic: deps.topic,
        logger,
        tracer: telemetry.tracer,
        metrics,
        retryAfterSeconds: config.INGRESS_RETRY_AFTER_SECONDS,
        trustProxyHops: config.TRUST_PROXY,
      });
      logger.info({ sources: sources.list().map((s) => `${s.id}(${s.provider})`) }, 'ingress sources loaded');
      return Promise.resolve({
        routes,
        checks: { producer: () => writer.ready() },
        stop: () => writer.stop(),
      });
    },
  };
}
