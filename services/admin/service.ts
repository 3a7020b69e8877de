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
import { TOPIC, type DeliveryAttempt, type OutboundEvent } from '../common/contracts/index.ts';
import { getProvider } from '../providers/index.ts';
import { createAdminApp } from './app.ts';
import { createCatalogue } from './catalogue.ts';
import type { AdminConfig } from './config.ts';
import { startLagMonitor } from './lag.ts';
import { createDeliveryLog } from './log-store.ts';
import { adminMetrics } from './metrics.ts';

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
  const log = createDeliveryLog(redis, prefix, {
    retentionMs: c.ADMIN_LOG_RETENTION_MS,
    maxPerEndpoint: c.ADMIN_LOG_MAX_PER_ENDPOINT,
  });
  const attemptsTopic = deps.topic(TOPIC.outboundAttempts);
  const eventsTopic = deps.topic(TOPIC.outboundEvents);
  const consumer = await runConsumer({
    kafka: deps.kafka,
    groupId: deps.group('log'),
    topics: [attemptsTopic],
    logger,
    chunkSize: 500,
    partitionsConsumedConcurrently: 6,
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
      await log.write(attempts);
      metrics.logged(attempts.length);
    },
  });
  const producer = createProducer(deps.kafka);
  await producer.connect();
  const lag = startLagMonitor({
    admin: deps.admin,
    meter: deps.telemetry.meter,
    groupPrefix: `${c.GROUP_PREFIX}.${c.TOPIC_PREFIX}`,
    dlqTopics: TOPICS.filter((t) => t.name.endsWith('.dlq')).map((t) => deps.topic(t.name)),
    intervalMs: c.ADMIN_LAG_INTERVAL_MS,
    logger,
  });

  const app = createAdminApp({
    keys: c.ADMIN_API_KEYS,
    store,
    catalogue: createCatalogue(redis, prefix),
    sources,
    log,
    async retry(msgs, endpointId) {
      const now = Date.now();
      const records = [];
      for (const m of msgs) {
        const event: OutboundEvent = {
          messageId: m.messageId,
          eventType: m.eventType,
          resourceKey: m.resourceKey,
          sourceEventId: m.sourceEventId,
          occurredAt: m.occurredAt,
          createdAt: now,
          payload: m.payload,
          endpointId,
        };
        records.push({ topic: eventsTopic, key: m.resourceKey, value: await deps.avro.encode(eventsTopic, event) });
      }
      await producer.send(records);
      metrics.retried(records.length);
    },
    allowHttp: c.ADMIN_ALLOW_HTTP,
    graceMs: c.ADMIN_SECRET_GRACE_MS,
    maxRecover: c.ADMIN_MAX_RECOVER,
    logger,
    onRequest: metrics.request,
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
      await lag.stop();
      await consumer.stop();
      await producer.disconnect();
      await sources.close();
      subscriber.disconnect();
    },
  };
}
