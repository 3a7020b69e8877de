/**
 * Wires the admin: endpoint store, catalogue, writable source store, the delivery-log consumer
 * (outbound.attempts → Redis, at-least-once, idempotent writes) and the producer for retries.
 */
import type { BaseConfig } from '../common/config.ts';
import { createEndpointStore } from '../common/endpoints.ts';
import { messageOf } from '../common/errors.ts';
import { runConsumer } from '../common/kafka/consumer.ts';
import { createProducer } from '../common/kafka/producer.ts';
import type { ServiceDeps, Started } from '../common/service.ts';
import { importSources, openRedisSourceStore } from '../common/source-store-redis.ts';
import { fileSourceStore } from '../common/sources.ts';
import { TOPICS } from '../common/topics.ts';
import { DEFAULT_TENANT, tenantOf } from '../common/contracts/tenant.ts';
import { redisRateLimiter } from '../common/rate-limit.ts';
import { TOPIC, type DeliveryAttempt, type OutboundEvent } from '../common/contracts/index.ts';
import { getProvider } from '../providers/index.ts';
import { createAdminApp } from './app.ts';
import { breakerReader } from './breakers.ts';
import { createCatalogue } from './catalogue.ts';
import type { AdminConfig } from './config.ts';
import { startLagMonitor } from './lag.ts';
import { createDeliveryLog, type LogOwner } from './log-store.ts';
import { payloadSchemas } from './payload-schema.ts';
import { portalTokens } from './portal-token.ts';
import { createPublisher } from './publisher.ts';
import { startRequestsReader } from './requests-reader.ts';
import { sourceTenantOf } from './routes/sources.ts';
import { createTenantStore } from './tenant-store.ts';
import { createTenantKeys } from './tenant-keys.ts';
import { listUndelivered } from './undelivered.ts';
import { createOutboundIndex, startUndeliveredGauge } from './outbound-index.ts';
import { adminMetrics } from './metrics.ts';
import { sessionStore } from './console/session.ts';
import { QUANTITIES } from './overview/overview.ts';
import { prometheusReader } from './overview/reader.ts';
import { startSampler } from './overview/sampler.ts';

/**
 * The admin's Redis connection auto-pipelines (common/redis.ts): the publish path issues ~4 commands
 * per request, and concurrent requests' commands then share socket writes. Safe here because every
 * admin Redis call is awaited before any call that depends on it (no fire-and-forget before a MULTI).
 */
export const ADMIN_REDIS_AUTO_PIPELINING = true;

/**
 * The delivery-log and undelivered-index consumers read in chunks of up to 64 KB or 250 ms, not
 * record by record: at 1,000 published messages/s (2,000 attempts) a fetch that returns at once
 * costs a Kafka round trip and a Redis MULTI per few records, on the same core as the publish path.
 * Their readers tolerate a quarter-second delay (the log and the "not yet delivered" list).
 */
const BACKGROUND_FETCH = { minBytes: 64 * 1024, maxWaitTimeInMs: 250 } as const;

export async function startAdmin(deps: ServiceDeps<AdminConfig & BaseConfig>): Promise<Started> {
  const { config: c, redis, logger } = deps;
  const prefix = c.REDIS_KEY_PREFIX;
  const metrics = adminMetrics(deps.telemetry.meter);
  const store = createEndpointStore(redis, prefix);
  const subscriber = redis.duplicate();
  await subscriber.connect();
  const sources = await openRedisSourceStore({
    redis,
    subscriber,
    prefix,
    lookup: getProvider,
    onError: (err) => logger.warn({ err: messageOf(err) }, 'source store'),
  });
  if (c.SOURCES_FILE) {
    const seeded = await importSources(redis, prefix, fileSourceStore(c.SOURCES_FILE, getProvider).list());
    if (seeded > 0) await sources.reload();
  }
  const tenants = createTenantStore(redis, prefix, store, {
    limits: {
      maxEndpoints: c.ADMIN_TENANT_MAX_ENDPOINTS,
      publishPerSecond: c.ADMIN_TENANT_PUBLISH_PER_SECOND === 0 ? null : c.ADMIN_TENANT_PUBLISH_PER_SECOND,
      maxPayloadBytes: c.ADMIN_TENANT_MAX_PAYLOAD_BYTES,
    },
    retentionMs: c.ADMIN_TENANT_RETENTION_MS,
  });
  const migrated = await tenants.migrate(sources.list().map((s) => ({ id: s.id, tenant: sourceTenantOf(s) })));
  if (migrated.endpoints > 0)
    logger.info({ endpoints: migrated.endpoints, tenant: DEFAULT_TENANT }, 'endpoints without a tenant moved');
  const owners = logOwners(store, tenants);
  const log = createDeliveryLog(redis, prefix, {
    retentionMs: c.ADMIN_LOG_RETENTION_MS,
    maxPerEndpoint: c.ADMIN_LOG_MAX_PER_ENDPOINT,
  });
  const attemptsTopic = deps.topic(TOPIC.outboundAttempts);
  const eventsTopic = deps.topic(TOPIC.outboundEvents);
  const index = createOutboundIndex({ redis, prefix, store, log, retentionMs: c.ADMIN_TENANT_RETENTION_MS });
  const consumer = await runConsumer({
    kafka: deps.kafka,
    groupId: deps.group('log'),
    topics: [attemptsTopic],
    logger,
    chunkSize: 500,
    partitionsConsumedConcurrently: 6,
    ...BACKGROUND_FETCH,
    handle: async (messages) => {
      const attempts: DeliveryAttempt[] = [];
      for (const m of messages) {
        if (!m.value) continue;
        try {
          attempts.push(await deps.avro.decode<DeliveryAttempt>(m.value));
        } catch (err) {
          if ((err as { retriable?: boolean }).retriable) throw err;
          logger.warn(
            { offset: m.offset, partition: m.partition, err: messageOf(err) },
            'undecodable attempt record skipped',
          );
        }
      }
      await log.write(attempts, await owners(attempts.map((a) => a.endpointId)));
      await index.settle(attempts);
      metrics.logged(attempts.length);
    },
  });
  // Every outbound message (published or inbound-derived) into the undelivered indexes.
  const indexer = await runConsumer({
    kafka: deps.kafka,
    groupId: deps.group('index'),
    topics: [eventsTopic],
    logger,
    chunkSize: 500,
    partitionsConsumedConcurrently: 6,
    ...BACKGROUND_FETCH,
    handle: async (messages) => {
      const events: OutboundEvent[] = [];
      for (const m of messages) {
        if (!m.value) continue;
        try {
          events.push(await deps.avro.decode<OutboundEvent>(m.value));
        } catch (err) {
          if ((err as { retriable?: boolean }).retriable) throw err;
          logger.warn({ offset: m.offset, partition: m.partition, err: messageOf(err) }, 'undecodable outbound record');
        }
      }
      await index.add(events);
    },
  });
  const gauge = startUndeliveredGauge({
    index,
    meter: deps.telemetry.meter,
    intervalMs: c.ADMIN_UNDELIVERED_INTERVAL_MS,
    topEndpoints: c.ADMIN_UNDELIVERED_TOP_ENDPOINTS,
    logger,
  });
  const producer = createProducer(deps.kafka);
  await producer.connect();
  const catalogue = createCatalogue(redis, prefix);
  const schemas = payloadSchemas();
  const publisher = createPublisher({
    redis,
    prefix,
    producer,
    avro: deps.avro,
    topic: eventsTopic,
    deadlineMs: c.ADMIN_PUBLISH_DEADLINE_MS,
    indexRetentionMs: c.ADMIN_TENANT_RETENTION_MS,
  });
  const checks = { catalogue, schemas, openCatalogue: c.ADMIN_PUBLISH_OPEN_CATALOGUE };
  const reader = c.ADMIN_PUBLISH_TOPIC_READER
    ? await startRequestsReader({
        ...checks,
        kafka: deps.kafka,
        groupId: deps.group('publish'),
        topic: deps.topic(TOPIC.outboundRequests),
        dlqTopic: deps.topic(TOPIC.outboundDlq),
        avro: deps.avro,
        producer,
        publisher,
        tenants,
        logger,
        onPublished: metrics.published,
      })
    : undefined;
  const lag = startLagMonitor({
    admin: deps.admin,
    meter: deps.telemetry.meter,
    groupPrefix: `${c.GROUP_PREFIX}.${c.TOPIC_PREFIX}`,
    dlqTopics: TOPICS.filter((t) => t.name.endsWith('.dlq')).map((t) => deps.topic(t.name)),
    intervalMs: c.ADMIN_LAG_INTERVAL_MS,
    logger,
  });

  // Overview figures: Prometheus when configured, else the admin samples the services' /metrics.
  const sampler =
    c.ADMIN_PROMETHEUS_URL === undefined && c.ADMIN_METRICS_TARGETS.size > 0
      ? startSampler({
          targets: c.ADMIN_METRICS_TARGETS,
          quantities: QUANTITIES,
          extra: () => [
            ...(lag.current()?.lag ?? []).map((l) => ({
              name: 'hookline_consumer_lag',
              labels: { group: l.group, topic: l.topic },
              value: l.records,
            })),
            ...(lag.current()?.dlq ?? []).map((d) => ({
              name: 'hookline_dlq_records',
              labels: { topic: d.topic },
              value: d.records,
            })),
          ],
          intervalMs: c.ADMIN_METRICS_INTERVAL_MS,
          windowMs: c.ADMIN_METRICS_WINDOW_MINUTES * 60_000,
          logger,
        })
      : undefined;
  const metricsReader = c.ADMIN_PROMETHEUS_URL === undefined ? sampler : prometheusReader(c.ADMIN_PROMETHEUS_URL);

  /** Addressed OutboundEvents (retries, test messages) to outbound.events, keyed by resource. */
  const send = async (events: readonly OutboundEvent[]) => {
    const records = [];
    for (const e of events)
      records.push({ topic: eventsTopic, key: e.resourceKey, value: await deps.avro.encode(eventsTopic, e) });
    await producer.send(records);
  };
  const app = createAdminApp({
    keys: c.ADMIN_API_KEYS,
    store,
    catalogue,
    sources,
    tenants,
    undelivered: (q) => listUndelivered({ redis, prefix, store, log }, q),
    publisher,
    schemas,
    openCatalogue: c.ADMIN_PUBLISH_OPEN_CATALOGUE,
    limiter: redisRateLimiter({
      redis,
      keyPrefix: `${prefix}publish-rate:`,
      timeoutMs: 200,
      onFallback: (err) => logger.warn({ err: messageOf(err) }, 'publish rate limit: redis unavailable, per-instance'),
    }),
    retryAfterSeconds: 2,
    portal: c.ADMIN_PORTAL_SECRET === undefined ? undefined : portalTokens(c.ADMIN_PORTAL_SECRET),
    log,
    retry: async (msgs, endpointId) => {
      const now = Date.now();
      await send(
        msgs.map((m) => ({
          messageId: m.messageId,
          eventType: m.eventType,
          resourceKey: m.resourceKey,
          sourceEventId: m.sourceEventId,
          occurredAt: m.occurredAt,
          createdAt: now,
          payload: m.payload,
          endpointId,
        })),
      );
      metrics.retried(msgs.length);
    },
    send,
    breakers: breakerReader(redis, prefix),
    allowHttp: c.ADMIN_ALLOW_HTTP,
    graceMs: c.ADMIN_SECRET_GRACE_MS,
    maxRecover: c.ADMIN_MAX_RECOVER,
    logger,
    onRequest: metrics.request,
    console: {
      sessions: sessionStore(redis, prefix),
      frameAncestors: c.ADMIN_CONSOLE_FRAME_ANCESTORS,
      sessionTtlMs: c.ADMIN_CONSOLE_SESSION_TTL_S * 1000,
      publicUrl: c.ADMIN_PUBLIC_URL ?? `http://127.0.0.1${c.HTTP_PORT ? `:${c.HTTP_PORT}` : ''}`,
      ingressUrl: c.ADMIN_INGRESS_PUBLIC_URL ?? 'http://127.0.0.1:8080',
      traceUrl: c.ADMIN_TRACE_URL_TEMPLATE,
    },
    tenantKeys: createTenantKeys(redis, prefix),
    operationalWebhooks: { redis, prefix },
    operations: {
      kafka: deps.kafka,
      admin: deps.admin,
      avro: deps.avro,
      topic: deps.topic,
      topicPrefix: c.TOPIC_PREFIX,
      groupPrefix: `${c.GROUP_PREFIX}.${c.TOPIC_PREFIX}`,
      lag: () => lag.refresh(),
      traceUrl:
        c.ADMIN_TRACE_URL_TEMPLATE === undefined
          ? undefined
          : (id) => c.ADMIN_TRACE_URL_TEMPLATE!.replaceAll('{traceId}', encodeURIComponent(id)),
      metrics: metricsReader,
    },
  });

  return {
    routes: app,
    checks: {
      producer: () => (producer.connected ? Promise.resolve() : Promise.reject(new Error('producer not connected'))),
      'delivery-log': () =>
        consumer.joined
          ? Promise.resolve()
          : Promise.reject(new Error('delivery-log consumer has not joined its group yet')),
    },
    async stop() {
      sampler?.stop();
      await lag.stop();
      await gauge.stop();
      await reader?.stop();
      await indexer.stop();
      await consumer.stop();
      await producer.disconnect();
      await sources.close();
      subscriber.disconnect();
    },
  };
}

/** Tenant and retention of each endpoint's log entries (an endpoint never changes tenant; retention cached 1 min). */
function logOwners(
  store: ReturnType<typeof createEndpointStore>,
  tenants: ReturnType<typeof createTenantStore>,
): (endpointIds: readonly string[]) => Promise<Map<string, LogOwner>> {
  const tenantOfEndpoint = new Map<string, string>();
  const retention = new Map<string, { ms: number; at: number }>();
  return async (ids) => {
    const out = new Map<string, LogOwner>();
    for (const id of new Set(ids)) {
      let t = tenantOfEndpoint.get(id);
      if (t === undefined) {
        const ep = await store.get(id);
        if (!ep) continue;
        t = tenantOf(ep);
        if (tenantOfEndpoint.size > 100_000) tenantOfEndpoint.clear();
        tenantOfEndpoint.set(id, t);
      }
      let r = retention.get(t);
      if (!r || Date.now() - r.at > 60_000) {
        const tenant = await tenants.get(t);
        r = { ms: tenant?.retentionMs ?? 30 * 86_400_000, at: Date.now() };
        retention.set(t, r);
      }
      out.set(id, { tenantId: t, retentionMs: r.ms });
    }
    return out;
  };
}
