/**
 * Wires the ingress from its configuration: sources, producer with group commit, durable writer,
 * Redis rate limiter, the webhook app, and the Kafka producer's readiness. main.ts calls this with
 * process.env; integration tests call it with their own environment.
 */
import { createProducer } from '../common/kafka/producer.ts';
import { throttled } from '../common/logger.ts';
import type { startService } from '../common/service.ts';
import { openSources } from '../common/source-store-redis.ts';
import { getProvider } from '../providers/index.ts';
import { createIngressApp } from './app.ts';
import { ingressSpec } from './config.ts';
import { otelIngressMetrics } from './metrics.ts';
import { redisRateLimiter } from '../common/rate-limit.ts';
import { createDurableWriter } from './writer.ts';

type Env = Readonly<Record<string, string | undefined>>;

export function ingressService(env: Env): Parameters<typeof startService<typeof ingressSpec>>[0] {
  return {
    name: 'ingress',
    spec: ingressSpec,
    env,
    async start(deps) {
      const { config, logger, telemetry } = deps;
      const opened = await openSources(config, deps, getProvider, env);
      const sources = opened.store;

      const producer = createProducer(deps.kafka, { timeoutMs: config.INGRESS_PRODUCE_TIMEOUT_MS });
      const writer = createDurableWriter({
        producer,
        deadlineMs: config.INGRESS_PRODUCE_TIMEOUT_MS,
        maxPending: config.INGRESS_MAX_PENDING,
        logger,
      });
      writer.start();
      const metrics = otelIngressMetrics(telemetry.meter);
      const warnFallback = throttled(10_000);
      const rateLimiter = redisRateLimiter({
        redis: deps.redis,
        keyPrefix: `hookline:${config.TOPIC_PREFIX}ingress:ratelimit:`,
        timeoutMs: config.INGRESS_RATE_LIMIT_TIMEOUT_MS,
        onFallback: (err) => {
          if (warnFallback())
            logger.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'redis rate limiter unavailable: limiting per instance in memory',
            );
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
      logger.info(
        { store: config.SOURCES_STORE, sources: sources.list().map((s) => `${s.id}(${s.provider})`) },
        'ingress sources loaded',
      );
      return {
        routes,
        checks: { producer: () => writer.ready() },
        async stop() {
          await writer.stop();
          await opened.close();
        },
      };
    },
  };
}
