/**
 * The validator against the real stack (Kafka, registry, Redis): documented provider payloads in,
 * Avro envelopes out that a consumer knowing nothing of hookline decodes; poison to the DLQ with
 * its full bytes; provider duplicates dropped; the Redis claim rule; and the claim/abort interplay
 * through a real transactional stage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { runStage } from '../../services/common/kafka/stage.ts';
import { createRedis } from '../../services/common/redis.ts';
import { startService } from '../../services/common/service.ts';
import { fileSourceStore } from '../../services/common/sources.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { startTelemetry } from '../../services/common/telemetry.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { TransientError } from '../../services/common/errors.ts';
import { getProvider } from '../../services/providers/index.ts';
import { redisDedupeStore } from '../../services/validator/dedupe.ts';
import { createValidatorHandler } from '../../services/validator/handler.ts';
import { otelValidatorMetrics } from '../../services/validator/metrics.ts';
import { validatorSpec } from '../../services/validator/config.ts';
import { startValidator } from '../../services/validator/service.ts';
import { collect } from '../helpers/collect.ts';
import { eventually, provision, serviceEnv, stackConfig, testKafka, testLogger, uniquePrefix } from '../helpers/env.ts';
import { goodEvent, makeStream, poisonEvent, SOURCES_FILE } from './events.ts';
import { toRawRecord } from '../../services/common/raw.ts';
import type { DeadLetter, NormalizedEnvelope } from '../../services/common/contracts/index.ts';

const telemetry = startTelemetry({ serviceName: 'hookline-validator-test' });
const prefix = uniquePrefix('validator');
const kafka = testKafka();
const t = (logical: string) => topicName(prefix, logical);
const outsider = new SchemaRegistry({ host: stackConfig.SCHEMA_REGISTRY_URL });
const redis = createRedis(stackConfig.REDIS_URL);

async function produce(records: Parameters<ReturnType<typeof createProducer>['send']>[0]) {
  const p = createProducer(kafka);
  await p.connect();
  await p.send(records);
  await p.disconnect();
}

/** The validator's handler for topics under prefix `p`, with real registry and Redis (for stages run by a test). */
function handlerFor(p: string) {
  return createValidatorHandler({
    sources: fileSourceStore(SOURCES_FILE, getProvider),
    provider: getProvider,
    avro: new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL)),
    dedupe: redisDedupeStore(redis, `hookline:${p}validator:dedupe:`),
    topics: {
      normalized: topicName(p, 'webhooks.normalized'),
      enrich: topicName(p, 'webhooks.enrich'),
      dlq: topicName(p, 'webhooks.dlq'),
    },
    metrics: otelValidatorMetrics(telemetry.meter),
    tracer: telemetry.tracer,
    logger: testLogger,
    maxRecordBytes: 1_000_000,
  });
}

describe('validator on the real stack', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let normalized: Awaited<ReturnType<typeof collect>>;
  let dlq: Awaited<ReturnType<typeof collect>>;

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.normalized', 'webhooks.dlq'].includes(x.name)),
    );
    await redis.connect();
    const env = serviceEnv(prefix, { SOURCES_FILE, VALIDATOR_SESSION_TIMEOUT_MS: '10000' });
    svc = await startService({
      name: 'validator',
      spec: validatorSpec,
      env,
      telemetry,
      start: (deps) => startValidator(deps, { env }),
    });
    normalized = await collect(kafka, t('webhooks.normalized'));
    dlq = await collect(kafka, t('webhooks.dlq'));
  });

  after(async () => {
    await svc?.stop();
    await normalized?.stop();
    await dlq?.stop();
    redis.disconnect();
    await telemetry.shutdown();
  });

  it('is ready once Kafka, registry, Redis are reachable and the stage has joined its group', async () => {
    const body = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${svc.port}/readyz`);
        const b = (await res.json()) as { checks: Record<string, string> };
        return res.status === 200 ? b : undefined;
      },
      60_000,
      'readyz 200',
    );
    assert.deepEqual(body.checks, { kafka: 'ok', registry: 'ok', redis: 'ok', stage: 'ok' });
  });

  it('normalizes documented payloads of Stripe, GitHub and Standard Webhooks into Avro any Confluent consumer decodes', async () => {
    const events = [0, 9, 15, 3].map((i) => goodEvent(i, 'fx'));
    await produce(events.map((e) => toRawRecord({ ...e.input, topic: t('webhooks.raw') })));
    const msgs = await eventually(
      () => (normalized.messages.length >= 4 ? normalized.messages.slice(0, 4) : undefined),
      60_000,
      '4 normalized',
    );
    const decoded = await Promise.all(
      msgs.map(async (m) => ({ m, v: (await outsider.decode(m.value!)) as NormalizedEnvelope })),
    );
    const byId = new Map(decoded.map((d) => [d.v.eventId, d]));
    for (const e of events) {
      const d = byId.get(e.eventId);
      assert.ok(d, `event ${e.input.provider} ${e.eventId} out`);
      assert.equal(d.v.sourceId, e.input.sourceId);
      assert.equal(d.v.provider, e.input.provider);
      assert.equal(d.v.payload, e.input.body.toString(), 'payload is the provider event, self-contained');
      assert.equal(d.m.key, d.v.resourceKey, 'keyed by resource');
      assert.equal(d.m.key, `${e.input.sourceId}:${e.input.resourceType}:${e.input.resourceId}`);
      assert.equal(d.m.headers['hookline-event-id'], e.eventId);
      assert.equal(d.m.headers['hookline-source'], e.input.sourceId);
      assert.equal(d.m.headers['hookline-received-at'], e.input.receivedAt.toISOString());
      assert.equal(d.v.receivedAt, e.input.receivedAt.getTime());
      assert.equal(d.v.raw.topic, t('webhooks.raw'));
      assert.equal(typeof d.v.raw.offset, 'number');
    }
    const gh = byId.get(events[1]!.eventId)!.v;
    assert.equal(gh.eventType, 'issues.opened');
    assert.equal(gh.ordering.kind, 'VERSION');
    const stripe = byId.get(events[0]!.eventId)!.v;
    assert.equal(stripe.ordering.kind, 'STATUS');
    assert.equal(stripe.headers['stripe-signature'] !== undefined, true, 'audit headers kept');
  });

  it('sends broken payloads to webhooks.dlq with the full bytes and the reason, and carries on', async () => {
    const before = normalized.messages.length;
    const bad = [0, 1, 2].map((i) => poisonEvent(i, 'dl'));
    const after = goodEvent(1, 'after-dlq');
    await produce([
      ...bad.map((b) => toRawRecord({ ...b.input, topic: t('webhooks.raw'), resourceType: 'x', resourceId: 'same' })),
      toRawRecord({ ...after.input, topic: t('webhooks.raw'), resourceType: 'x', resourceId: 'same' }),
    ]);
    const letters = await eventually(
      () => (dlq.messages.length >= 3 ? dlq.messages : undefined),
      60_000,
      '3 dead letters',
    );
    const decoded = await Promise.all(letters.map(async (m) => (await outsider.decode(m.value!)) as DeadLetter));
    for (const b of bad) {
      const d = decoded.find((x) => Buffer.compare(x.value!, b.input.body) === 0 && x.sourceId === b.input.sourceId);
      assert.ok(d, `dead letter for ${b.reason}`);
      assert.equal(d.reason, b.reason);
      assert.equal(d.stage, 'validator');
      assert.equal(d.attempts, 1);
      assert.equal(d.sourceTopic, t('webhooks.raw'));
      assert.match(d.id, /\/\d+\/\d+$/);
      assert.ok(d.headers['hookline-request-headers'], 'original headers kept for redrive');
    }
    // The good record behind the poison on the same partition still comes out.
    await eventually(
      () => normalized.messages.slice(before).find((m) => m.headers['hookline-event-id'] === after.eventId),
      60_000,
      'good record after poison',
    );
  });

  it('drops provider duplicates (same event at other offsets, same and other partitions) and counts them per source', async () => {
    const e = goodEvent(42, 'dup');
    const { resourceType: _t, resourceId: _r, ...otherKey } = e.input;
    const start = normalized.messages.length;
    await produce([
      toRawRecord({ ...e.input, topic: t('webhooks.raw') }),
      toRawRecord({ ...e.input, topic: t('webhooks.raw') }),
    ]);
    await produce([toRawRecord({ ...otherKey, topic: t('webhooks.raw') })]);
    const marker = goodEvent(43, 'dup');
    await produce([toRawRecord({ ...marker.input, topic: t('webhooks.raw') })]);
    await eventually(
      () => normalized.messages.find((m) => m.headers['hookline-event-id'] === marker.eventId),
      60_000,
      'marker',
    );
    await eventually(
      async () =>
        (await telemetry.metricsText()).match(/hookline_validator_duplicates_total\{[^}]*source="stripe-v"[^}]*\} 2/)
          ? true
          : undefined,
      10_000,
      'duplicates metric = 2',
    );
    const copies = normalized.messages.slice(start).filter((m) => m.headers['hookline-event-id'] === e.eventId);
    assert.equal(copies.length, 1, 'one normalized event for three copies');
    const text = await telemetry.metricsText();
    assert.match(text, /hookline_validator_normalized_total\{[^}]*source="github-v"/);
    assert.match(text, /hookline_validator_dlq_total\{[^}]*reason="unparseable"/);
  });

  it('commits a chunk whose output is far above one produce request (big payloads, one resource, one partition)', async () => {
    // 40 events × ~60 KB on one resource, all fetched at once (10 MB fetch): ~2.4 MB of output for
    // one partition in one transaction. As one record batch the broker refuses it
    // (MESSAGE_TOO_LARGE) on every retry and the partition stalls; the stage splits the sends.
    const p2 = uniquePrefix('validator-big');
    await provision(
      p2,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.normalized', 'webhooks.dlq'].includes(x.name)),
    );
    const tt = (l: string) => topicName(p2, l);
    const big = Array.from({ length: 40 }, (_, i) => {
      const e = goodEvent(i * 20, 'big'); // i*20 % 20 = 0 → Stripe
      const ev = JSON.parse(e.input.body.toString()) as { padding?: string; data: { object: { id: string } } };
      ev.padding = 'x'.repeat(60_000);
      ev.data.object.id = 'pi_big';
      return { ...e, input: { ...e.input, body: Buffer.from(JSON.stringify(ev)), resourceId: 'pi_big' } };
    });
    // Sent 10 at a time: the plain producer has the same per-request limit.
    for (let i = 0; i < big.length; i += 10)
      await produce(big.slice(i, i + 10).map((e) => toRawRecord({ ...e.input, topic: tt('webhooks.raw') })));
    const sizes: number[] = [];
    const inner = handlerFor(p2);
    const stage = await runStage({
      kafka,
      groupId: `${p2}validator`,
      topics: [tt('webhooks.raw')],
      logger: testLogger,
      maxBytesPerPartition: 10 * 1_048_576,
      handler: {
        async handle(msgs, ctx) {
          sizes.push(msgs.length);
          return inner.handle(msgs, ctx);
        },
      },
    });
    const out = await collect(kafka, tt('webhooks.normalized'));
    try {
      await eventually(() => (out.messages.length >= big.length ? true : undefined), 60_000, '40 big events');
      assert.deepEqual(
        new Set(out.messages.map((m) => m.headers['hookline-event-id'])),
        new Set(big.map((e) => e.eventId)),
      );
      assert.equal(sizes[0], 40, 'all 40 in one chunk, i.e. one transaction');
      assert.equal(new Set(out.messages.map((m) => m.partition)).size, 1, 'one output partition');
    } finally {
      await stage.stop();
      await out.stop();
    }
  });

  it('claims in Redis: first copy, own re-read, foreign copy, in-chunk order, TTL from the window', async () => {
    const store = redisDedupeStore(redis, `hookline:${prefix}claims:`);
    const c = (eventId: string, position: string, windowSeconds = 60) => ({ eventId, position, windowSeconds });
    assert.deepEqual(await store.claim([c('a', 'raw/0/1'), c('b', 'raw/0/2'), c('a', 'raw/0/3')]), [true, true, false]);
    assert.deepEqual(
      await store.claim([c('a', 'raw/0/1'), c('a', 'raw/0/3'), c('b', 'raw/5/2')]),
      [true, false, false],
      'retry of the chunk decides the same',
    );
    assert.deepEqual(await store.claim([]), []);
    const ttl = await redis.ttl(`hookline:${prefix}claims:a`);
    assert.ok(ttl > 50 && ttl <= 60, `ttl ${ttl}`);
    const dead = createRedis('redis://127.0.0.1:1');
    dead.on('error', () => undefined);
    try {
      await assert.rejects(
        redisDedupeStore(dead, 'x:').claim([c('a', 'p')]),
        (e) => e instanceof TransientError && e.reason === 'redis_unavailable',
      );
    } finally {
      dead.disconnect();
    }
  });

  it('a claim made inside an aborted transaction does not suppress the retry of the same records', async () => {
    // A second stage on its own input topic and group: every chunk's first attempt claims in Redis,
    // then fails before commit (as a crash or a registry outage would); runStage aborts and retries.
    const p2 = uniquePrefix('validator-abort');
    await provision(
      p2,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.normalized', 'webhooks.dlq'].includes(x.name)),
    );
    const tt = (l: string) => topicName(p2, l);
    const stream = makeStream(tt('webhooks.raw'), {
      distinct: 300,
      dupRate: 0.2,
      poisonRate: 0.03,
      seed: 7,
      tag: 'abort',
    });
    await produce(stream.records);
    const inner = handlerFor(p2);
    let aborted = 0;
    const stage = await runStage({
      kafka,
      groupId: `${p2}validator`,
      topics: [tt('webhooks.raw')],
      logger: testLogger,
      chunkSize: 50,
      retry: { initialMs: 10, maxMs: 50 },
      handler: {
        async handle(msgs, ctx) {
          const out = await inner.handle(msgs, ctx);
          if (ctx.attempt === 0) {
            aborted++;
            throw new TransientError('injected failure after the claims', 'injected');
          }
          return out;
        },
      },
    });
    const out = await collect(kafka, tt('webhooks.normalized'));
    const letters = await collect(kafka, tt('webhooks.dlq'));
    try {
      await eventually(
        () =>
          out.messages.length >= stream.expected.size && letters.messages.length >= stream.poison.size
            ? true
            : undefined,
        120_000,
        'all events after aborts',
      );
      await new Promise((r) => setTimeout(r, 2000));
      const ids = out.messages.map((m) => m.headers['hookline-event-id']!);
      assert.equal(ids.length, new Set(ids).size, 'no duplicates');
      assert.deepEqual(
        new Set(ids),
        stream.expected,
        'every event exactly once although every first attempt aborted after claiming',
      );
      assert.equal(letters.messages.length, stream.poison.size);
      assert.ok(aborted >= 6, `aborted chunks: ${aborted}`);
    } finally {
      await stage.stop();
      await out.stop();
      await letters.stop();
    }
  });
});
