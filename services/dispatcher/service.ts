/**
 * Wires the dispatcher: endpoint registry (Redis cache), gates, HTTP client with the SSRF guard,
 * attempt → records, lanes per partition with their park store, and the outbound.events intake.
 */
import type { BaseConfig } from '../common/config.ts';
import { TOPIC } from '../common/contracts/index.ts';
import { deadLetterOf, deadLetterRecord } from '../common/dlq.ts';
import { createEndpointStore } from '../common/endpoints.ts';
import { runConsumer, type RunningConsumer } from '../common/kafka/consumer.ts';
import { createProducer } from '../common/kafka/producer.ts';
import { throttled } from '../common/logger.ts';
import { redisRateLimiter } from '../common/rate-limit.ts';
import type { ServiceDeps, Started } from '../common/service.ts';
import { createAttempter } from './attempt.ts';
import { createBreakerBoard } from './breaker-board.ts';
import type { DispatcherConfig } from './config.ts';
import { EndpointGate } from './gate.ts';
import { createHttpClient } from './http-client.ts';
import { startIntake } from './intake.ts';
import { PartitionLanes } from './partition-lanes.ts';
import { dispatcherMetrics } from './metrics.ts';
import { createOperationalNotifier } from './operational.ts';
import { tenantOperationalTargets } from './tenant-operational.ts';
import { createParkStore } from './park-store.ts';
import { createHealth, createRecords } from './records.ts';
import { startRegistry } from './registry.ts';
import { createAddressPolicy } from './ssrf.ts';

export async function startDispatcher(deps: ServiceDeps<DispatcherConfig & BaseConfig>): Promise<Started> {
  const { config: c, logger, redis } = deps;
  const prefix = c.REDIS_KEY_PREFIX;
  const topics = {
    events: deps.topic(TOPIC.outboundEvents),
    attempts: deps.topic(TOPIC.outboundAttempts),
    dlq: deps.topic(TOPIC.outboundDlq),
    ops: deps.topic(TOPIC.opsEvents),
  };
  const metrics = dispatcherMetrics(deps.telemetry.meter);
  const store = createEndpointStore(redis, prefix);
  const subscriber = redis.duplicate();
  await subscriber.connect();
  const registry = await startRegistry({
    store,
    redis,
    prefix,
    subscriber,
    refreshMs: c.DISPATCHER_REGISTRY_REFRESH_MS,
    logger,
  });
  const producer = createProducer(deps.kafka);
  await producer.connect();
  const records = createRecords({ producer, avro: deps.avro, topics });
  const http = createHttpClient({ policy: createAddressPolicy(c.DISPATCHER_ALLOWED_NETWORKS) });

  const gates = new Map<string, EndpointGate>();
  const warnLimiter = throttled(10_000);
  const gateOptions = {
    breaker: {
      failureThreshold: c.DISPATCHER_BREAKER_FAILURES,
      openMs: c.DISPATCHER_BREAKER_OPEN_MS,
      maxOpenMs: c.DISPATCHER_BREAKER_MAX_OPEN_MS,
    },
    concurrency: c.DISPATCHER_ENDPOINT_CONCURRENCY,
    maxQueued: c.DISPATCHER_ENDPOINT_MAX_QUEUED,
    maxRateWaitMs: c.DISPATCHER_MAX_RATE_WAIT_MS,
    busyDeferMs: c.DISPATCHER_BUSY_DEFER_MS,
    limiter: redisRateLimiter({
      redis,
      keyPrefix: `${prefix}dispatcher:ratelimit:`,
      timeoutMs: c.DISPATCHER_RATE_LIMIT_TIMEOUT_MS,
      onFallback: (err) => {
        if (warnLimiter())
          logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'shared endpoint rate limit unavailable (redis): limiting per instance',
          );
      },
    }),
  };
  const gate = (id: string) => {
    let g = gates.get(id);
    if (!g) gates.set(id, (g = new EndpointGate(gateOptions, id)));
    return g;
  };

  // One field per process in each endpoint's breaker hash (several dispatchers may share a host).
  const breakers = createBreakerBoard({ redis, prefix, instance: `${c.INSTANCE_ID}:${process.pid}`, logger });
  const attempt = createAttempter({
    endpoint: (id) => registry.load(id),
    onDisabled: (ep, reason) => registry.put({ ...ep, state: { enabled: false, reason, changedAt: Date.now() } }),
    gate,
    http,
    store,
    records,
    health: createHealth(redis, prefix),
    breakers,
    policy: {
      schedule: c.DISPATCHER_RETRY_SCHEDULE,
      jitter: c.DISPATCHER_RETRY_JITTER,
      retryAfterMinMs: c.DISPATCHER_RETRY_AFTER_MIN_MS,
      retryAfterMaxMs: c.DISPATCHER_RETRY_AFTER_MAX_MS,
    },
    timeoutMs: c.DISPATCHER_TIMEOUT_MS,
    disableAfterMs: c.DISPATCHER_DISABLE_AFTER_MS,
    userAgent: 'hookline-dispatcher/1',
    tracer: deps.telemetry.tracer,
    metrics,
    logger,
  });

  const intake = await startIntake({
    kafka: deps.kafka,
    groupId: deps.group(),
    topic: topics.events,
    avro: deps.avro,
    registry,
    logger,
    lanes: (partition) =>
      new PartitionLanes({
        store: createParkStore(redis, prefix, topics.events, partition),
        attempt,
        logger,
        metrics,
        leaseMs: c.DISPATCHER_TIMEOUT_MS + 5000,
        sweepMs: c.DISPATCHER_SWEEP_MS,
      }),
    deadLetter: async (m, err) => {
      await producer.enqueue(
        await deadLetterRecord(
          deps.avro,
          topics.dlq,
          deadLetterOf(m, { stage: 'dispatcher', error: err, attempts: 0 }),
        ),
      );
    },
    maxPendingPerPartition: c.DISPATCHER_MAX_PENDING_PER_PARTITION,
    commitIntervalMs: c.DISPATCHER_COMMIT_INTERVAL_MS,
    partitionsConsumedConcurrently: c.DISPATCHER_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: c.DISPATCHER_SESSION_TIMEOUT_MS,
  });

  // Operational webhooks: their own group on ops.events, so a dead operational endpoint waits alone.
  // Always on: any tenant may configure its own operational endpoint at any time.
  const tenantTargets = tenantOperationalTargets(redis, prefix, store);
  const operational: RunningConsumer = await runConsumer({
    kafka: deps.kafka,
    groupId: deps.group('operational'),
    topics: [topics.ops],
    logger,
    fromBeginning: false,
    partitionsConsumedConcurrently: 1,
    handle: createOperationalNotifier({
      target: c.DISPATCHER_OPERATIONAL_WEBHOOK_URL,
      tenantTarget: tenantTargets,
      consoleBase: c.ADMIN_PUBLIC_URL,
      http,
      timeoutMs: c.DISPATCHER_TIMEOUT_MS,
      userAgent: 'hookline-dispatcher/1',
      logger,
      onTenantFailed: () => metrics.operationalFailed.add(1),
    }),
  });

  return {
    checks: {
      producer: () => (producer.connected ? Promise.resolve() : Promise.reject(new Error('producer not connected'))),
    },
    async stop() {
      await operational.stop();
      await intake.stop();
      await breakers.stop();
      await producer.disconnect();
      await registry.stop();
      http.close();
    },
  };
}
