/**
 * The runtime against the real broker, registry and Redis: produce/consume with the trace carried
 * across, a transactional stage (consume → produce + sendOffsets in one transaction), Avro that a
 * consumer knowing nothing of hookline decodes, readiness, and topic declarations that fail loudly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { runStage } from '../../services/common/kafka/stage.ts';
import { runConsumer } from '../../services/common/kafka/consumer.ts';
import { extractTrace, startTelemetry } from '../../services/common/telemetry.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { applyTopics, TOPICS, topicName } from '../../services/common/topics.ts';
import { startService } from '../../services/common/service.ts';
import { collect } from '../helpers/collect.ts';
import { eventually, provision, stackConfig, testKafka, testLogger, uniquePrefix } from '../helpers/env.ts';

const spans = new InMemorySpanExporter();
const telemetry = startTelemetry({
  serviceName: 'hookline-test',
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
const prefix = uniquePrefix('runtime');
const kafka = testKafka();
const t = (logical: string) => topicName(prefix, logical);

describe('runtime against the real stack', () => {
  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.normalized', 'webhooks.dlq'].includes(x.name)),
    );
  });

  it('produces and consumes with the W3C trace context carried in headers', async () => {
    const producer = createProducer(kafka);
    await producer.connect();
    const span = telemetry.tracer.startSpan('test.produce');
    const traceId = span.spanContext().traceId;
    await context.with(trace.setSpan(context.active(), span), () =>
      Promise.all(
        [1, 2, 3].map((i) => producer.enqueue({ topic: t('webhooks.raw'), key: `k${i}`, value: Buffer.from(`v${i}`) })),
      ),
    );
    span.end();
    await producer.disconnect();

    const seen: { value: string; traceId: string | undefined }[] = [];
    const c = await runConsumer({
      kafka,
      groupId: `${prefix}trace`,
      topics: [t('webhooks.raw')],
      logger: testLogger,
      handle: async (msgs) => {
        for (const m of msgs) {
          const ctx = extractTrace(m.headers);
          seen.push({ value: m.value!.toString(), traceId: trace.getSpanContext(ctx)?.traceId });
        }
      },
    });
    await eventually(() => (seen.length >= 3 ? true : undefined), 30_000, 'three records');
    await c.stop();
    assert.deepEqual(seen.map((s) => s.value).sort(), ['v1', 'v2', 'v3']);
    for (const s of seen) assert.equal(s.traceId, traceId, 'consumer restored the producer trace id');
  });

  it('group commit keeps requests under the size limit and takes a maximum-size webhook', async () => {
    const producer = createProducer(kafka);
    await producer.connect();
    // 12 × 800 kB on one key (one partition): one request would be a 9.6 MB record batch, over the
    // topics' 8 MiB max.message.bytes; the group commit must split it.
    const big = Array.from({ length: 12 }, (_, i) =>
      producer.enqueue({ topic: t('webhooks.raw'), key: 'one-partition', value: Buffer.alloc(800_000, i) }),
    );
    // A 1 MiB body (the ingress default limit) plus headers exceeds Kafka's default 1 MB.
    const max = producer.enqueue({
      topic: t('webhooks.raw'),
      key: 'max',
      value: Buffer.alloc(1024 * 1024, 7),
      headers: { 'hookline-request-headers': 'x'.repeat(4000) },
    });
    await Promise.all([...big, max]);
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(t('webhooks.raw'));
    await admin.disconnect();
    assert.ok(ends.reduce((n, p) => n + Number(p.high), 0) >= 3 + 13, 'all 13 records stored');
  });

  it('commits output and input offsets in one transaction (sendOffsets), readable committed-only', async () => {
    const producer = createProducer(kafka);
    await producer.connect();
    const n = 50;
    await producer.send(
      Array.from({ length: n }, (_, i) => ({
        topic: t('webhooks.raw'),
        key: `r${i % 5}`,
        value: Buffer.from(`in-${i}`),
      })),
    );
    await producer.disconnect();

    const stage = await runStage({
      kafka,
      groupId: `${prefix}stage`,
      topics: [t('webhooks.raw')],
      logger: testLogger,
      chunkSize: 7,
      handler: {
        handle: async (msgs) =>
          msgs.map((m) => ({ topic: t('webhooks.dlq'), key: m.key, value: Buffer.from(`out:${m.value!.toString()}`) })),
      },
    });
    const out = await collect(kafka, t('webhooks.dlq'));
    // 3 from the first test + 13 from the size test + 50 here.
    await eventually(() => (out.messages.length >= n + 16 ? true : undefined), 60_000, 'transformed records');
    await stage.stop();
    await out.stop();
    const values = out.messages.map((m) => m.value!.toString());
    assert.equal(new Set(values).size, values.length, 'no duplicates');
    for (let i = 0; i < n; i++) assert.ok(values.includes(`out:in-${i}`), `out:in-${i} present`);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: `${prefix}stage`, topics: [t('webhooks.raw')] });
    const ends = await admin.fetchTopicOffsets(t('webhooks.raw'));
    await admin.disconnect();
    for (const end of ends) {
      const committed = offsets[0]!.partitions.find((p) => p.partition === end.partition)!.offset;
      // -1 = nothing committed, which is right only for an empty partition.
      assert.equal(
        committed === '-1' ? '0' : committed,
        end.high,
        `partition ${end.partition}: input offsets committed through the transaction`,
      );
    }
  });

  it('encodes Avro that a consumer knowing nothing of hookline decodes with the registry', async () => {
    const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
    const envelope = {
      eventId: '00000000-0000-4000-8000-000000000001',
      sourceId: 'stripe-test',
      provider: 'stripe',
      eventType: 'payment_intent.succeeded',
      resourceType: 'payment_intent',
      resourceId: 'pi_1',
      resourceKey: 'stripe-test:payment_intent:pi_1',
      dedupeKey: 'evt_1',
      occurredAt: 1_700_000_000_000,
      receivedAt: 1_700_000_000_500,
      ordering: { kind: 'STATUS', value: 1_700_000_000_000, statusRank: 6 },
      payload: '{"id":"evt_1"}',
      contentType: 'application/json',
      deliveryId: 'evt_1',
      headers: { 'stripe-signature': 't=1,v1=abc' },
      raw: { topic: 'webhooks.raw', partition: 0, offset: 42 },
    };
    const bytes = await avro.encode(t('webhooks.normalized'), envelope);
    assert.equal(bytes[0], 0, 'Confluent magic byte');
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send([{ topic: t('webhooks.normalized'), key: envelope.resourceKey, value: bytes }]);
    await producer.disconnect();

    // A plain consumer with only the public library and the registry URL.
    const outsider = new SchemaRegistry({ host: stackConfig.SCHEMA_REGISTRY_URL });
    const out = await collect(kafka, t('webhooks.normalized'));
    const msg = await eventually(() => out.messages[0], 30_000, 'normalized record');
    await out.stop();
    const decoded = await outsider.decode(msg.value!);
    assert.equal(decoded.eventId, envelope.eventId);
    assert.equal(decoded.resourceKey, envelope.resourceKey);
    assert.equal(decoded.ordering.kind, 'STATUS');
    assert.equal(decoded.payload, envelope.payload);
  });

  it('refuses a topic declaration Kafka cannot apply (fewer partitions), naming the topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const raw = TOPICS.find((x) => x.name === 'webhooks.raw')!;
      await assert.rejects(
        applyTopics(admin, {
          prefix,
          replicationFactor: 1,
          minInsyncReplicas: 1,
          topics: [{ ...raw, partitions: raw.partitions - 2 }],
        }),
        (err: Error) => err.message.includes(t('webhooks.raw')) && /cannot reduce partitions/.test(err.message),
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('serves /healthz, /readyz (kafka, registry, redis) and /metrics', async () => {
    const svc = await startService({
      name: 'probe',
      spec: {},
      env: { ...process.env, TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
      telemetry,
      start: (deps) => {
        deps.telemetry.meter.createCounter('hookline_probe_checks_total').add(3, { kind: 'probe' });
        return Promise.resolve({ stop: async () => undefined });
      },
    });
    try {
      const base = `http://127.0.0.1:${svc.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const ready = await fetch(`${base}/readyz`);
      const body = (await ready.json()) as { checks: Record<string, string> };
      assert.equal(ready.status, 200, JSON.stringify(body));
      assert.deepEqual(body.checks, { kafka: 'ok', registry: 'ok', redis: 'ok' });
      const res = await fetch(`${base}/metrics`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(
        await res.text(),
        /^hookline_probe_checks_total\{kind="probe"[^}]*\} 3$/m,
        "the service's own counter, in Prometheus text format",
      );
    } finally {
      await svc.stop();
    }
  });

  after(async () => {
    await telemetry.shutdown();
  });
});
