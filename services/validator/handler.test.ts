import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import type { DeadLetter, NormalizedEnvelope } from '../common/contracts/index.ts';
import { TransientError } from '../common/errors.ts';
import { eventIdOf } from '../common/ids.ts';
import type { InMessage, OutRecord } from '../common/kafka/types.ts';
import { createLogger } from '../common/logger.ts';
import { memorySourceStore } from '../common/sources.ts';
import { extractTrace, startTelemetry } from '../common/telemetry.ts';
import { getProvider } from '../providers/index.ts';
import type { ProviderModule } from '../providers/types.ts';
import { fixture } from '../providers/testing.ts';
import { createValidatorHandler, type ValidatorDeps } from './handler.ts';
import { countingMetrics, fakeAvro, memoryDedupe, rawMessage } from './testing.ts';

const telemetry = startTelemetry({ serviceName: 'validator-unit' });
after(() => telemetry.shutdown());

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const stripeBody = fixture('stripe', 'payment_intent.succeeded.json');
const stripeEvent = JSON.parse(stripeBody.toString()) as { id: string; data: { object: { id: string } } };

const buggy: ProviderModule = {
  ...getProvider('stripe')!,
  name: 'buggy',
  normalize: () => {
    throw new TypeError("Cannot read properties of undefined (reading 'x')");
  },
};

function setup(over: Partial<ValidatorDeps> = {}) {
  const dedupe = memoryDedupe();
  const metrics = countingMetrics();
  const avro = fakeAvro();
  const deps: ValidatorDeps = {
    sources: memorySourceStore([
      { id: 'stripe-eu', provider: 'stripe', secrets: ['whsec_x'], options: {} },
      { id: 'stripe-short', provider: 'stripe', secrets: ['whsec_x'], options: { idempotencyWindowSeconds: 60 } },
      { id: 'gh', provider: 'github', secrets: ['s'], options: {} },
      { id: 'bug', provider: 'buggy', secrets: ['s'], options: {} },
    ]),
    provider: (n) => (n === 'buggy' ? buggy : getProvider(n)),
    avro,
    dedupe,
    topics: { normalized: 'webhooks.normalized', enrich: 'webhooks.enrich', dlq: 'webhooks.dlq' },
    metrics,
    tracer: telemetry.tracer,
    logger: createLogger('validator-unit', 'silent'),
    maxRecordBytes: 1_000_000,
    ...over,
  };
  return { deps, dedupe, metrics, avro, handler: createValidatorHandler(deps) };
}

const stripeMsg = (offset: number, body: Buffer = stripeBody, sourceId = 'stripe-eu', partition = 0): InMessage =>
  rawMessage(
    { sourceId, provider: 'stripe', body, deliveryId: 'evt_x' },
    { offset, partition },
    { traceparent: TRACEPARENT },
  );

const withId = (id: string) => Buffer.from(stripeBody.toString().replace(stripeEvent.id, id));
const ctx = (attempt = 0) => ({ topic: 'webhooks.raw', partition: 0, attempt });

async function decodeAll<T = NormalizedEnvelope>(
  avro: ReturnType<typeof fakeAvro>,
  out: readonly OutRecord[],
): Promise<{ record: OutRecord; value: T }[]> {
  return Promise.all(out.map(async (r) => ({ record: r, value: await avro.decode<T>(r.value!) })));
}

describe('validator handler', () => {
  test('maps a Stripe event to the envelope, keyed by resource, with the hookline headers and the trace continued', async () => {
    const { handler, avro, metrics } = setup();
    const out = await handler.handle([stripeMsg(7)], ctx());
    assert.equal(out.length, 1);
    const [{ record, value }] = (await decodeAll(avro, out)) as [{ record: OutRecord; value: NormalizedEnvelope }];
    const eventId = eventIdOf('stripe-eu', stripeEvent.id);
    assert.equal(record.topic, 'webhooks.normalized');
    assert.equal(record.key, `stripe-eu:payment_intent:${stripeEvent.data.object.id}`);
    assert.equal(value.eventId, eventId);
    assert.equal(value.resourceKey, record.key);
    assert.equal(value.dedupeKey, stripeEvent.id);
    assert.equal(value.receivedAt, Date.parse('2024-05-01T12:00:00Z'));
    assert.deepEqual({ ...value.raw }, { topic: 'webhooks.raw', partition: 0, offset: 7 });
    assert.equal(value.payload, stripeBody.toString());
    assert.equal(value.deliveryId, 'evt_x');
    assert.equal(record.headers!['hookline-event-id'], eventId);
    assert.equal(record.headers!['hookline-source'], 'stripe-eu');
    assert.equal(record.headers!['hookline-received-at'], '2024-05-01T12:00:00.000Z');
    const sc = trace.getSpanContext(extractTrace(record.headers!))!;
    assert.equal(sc.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'same trace');
    assert.notEqual(sc.spanId, '00f067aa0ba902b7', 'child span of the ingress span');
    assert.equal(metrics.counts.get('normalized stripe-eu stripe'), 1);
  });

  test('drops secrets from the audit headers even if a raw record carries them', async () => {
    const { handler, avro } = setup();
    const m = rawMessage(
      {
        sourceId: 'stripe-eu',
        provider: 'stripe',
        body: stripeBody,
        deliveryId: 'evt_x',
        requestHeaders: { authorization: 'Bearer s3cr3t', 'stripe-signature': 't=1,v1=ab' },
      },
      { offset: 1 },
    );
    const [{ value }] = (await decodeAll(avro, await handler.handle([m], ctx()))) as [
      { record: OutRecord; value: NormalizedEnvelope },
    ];
    assert.deepEqual(value.headers, { 'stripe-signature': 't=1,v1=ab' });
  });

  const poison: { name: string; msg: () => InMessage; reason: string }[] = [
    { name: 'unparseable body', msg: () => stripeMsg(3, Buffer.from('{"id": "evt_1", ')), reason: 'unparseable' },
    {
      name: 'missing field',
      msg: () => stripeMsg(3, Buffer.from('{"id":"evt_1","type":"x.y","created":1}')),
      reason: 'missing_field',
    },
    { name: 'unknown source', msg: () => stripeMsg(3, stripeBody, 'gone-source'), reason: 'unknown_source' },
    {
      name: 'unknown provider',
      msg: () =>
        rawMessage({ sourceId: 'stripe-eu', provider: 'nope', body: stripeBody, deliveryId: 'd' }, { offset: 3 }),
      reason: 'unknown_provider',
    },
    {
      name: 'raw record without hookline headers',
      msg: () => ({
        topic: 'webhooks.raw',
        partition: 0,
        offset: '3',
        key: null,
        value: stripeBody,
        headers: {},
        timestamp: 0,
      }),
      reason: 'missing_header',
    },
    {
      name: 'provider bug (TypeError)',
      msg: () => rawMessage({ sourceId: 'bug', provider: 'buggy', body: stripeBody, deliveryId: 'd' }, { offset: 3 }),
      reason: 'provider_error',
    },
  ];
  for (const p of poison) {
    test(`dead-letters ${p.name} with the full bytes, reason, stage, attempts and trace id`, async () => {
      const { handler, avro, metrics, dedupe } = setup();
      const m = p.msg();
      m.headers.traceparent = TRACEPARENT;
      const out = await handler.handle([m], ctx(2));
      assert.equal(out.length, 1);
      const [{ record, value }] = (await decodeAll<DeadLetter>(avro, out)) as [
        { record: OutRecord; value: DeadLetter },
      ];
      assert.equal(record.topic, 'webhooks.dlq');
      assert.equal(record.key, m.key);
      assert.equal(value.reason, p.reason);
      assert.equal(value.stage, 'validator');
      assert.equal(value.attempts, 3);
      assert.equal(value.id, 'webhooks.raw/0/3');
      assert.deepEqual(value.value, m.value, 'full original bytes');
      assert.equal(value.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(record.headers!['hookline-dlq-reason'], p.reason);
      assert.equal([...metrics.counts.entries()].find(([k]) => k.startsWith('dlq '))?.[0].endsWith(p.reason), true);
      assert.equal(dedupe.keys.size, 0, 'a dead letter holds no claim');
    });
  }

  test('a poison record in the middle does not stop the chunk; output keeps offset order', async () => {
    const { handler } = setup();
    const out = await handler.handle(
      [stripeMsg(0, withId('evt_a')), stripeMsg(1, Buffer.from('nope')), stripeMsg(2, withId('evt_b'))],
      ctx(),
    );
    assert.deepEqual(
      out.map((r) => r.topic),
      ['webhooks.normalized', 'webhooks.dlq', 'webhooks.normalized'],
    );
  });

  test('two copies of one provider event in one chunk → one normalized event, one duplicate counted', async () => {
    const { handler, metrics } = setup();
    const out = await handler.handle([stripeMsg(0), stripeMsg(1, withId('evt_other')), stripeMsg(2)], ctx());
    assert.equal(out.length, 2);
    assert.equal(out[0]!.headers!['hookline-event-id'], eventIdOf('stripe-eu', stripeEvent.id));
    assert.equal(metrics.counts.get('duplicate stripe-eu'), 1);
  });

  test('a retried chunk (aborted transaction) re-emits exactly what the first attempt decided', async () => {
    const { handler } = setup();
    const chunk = [stripeMsg(10), stripeMsg(11), stripeMsg(12, withId('evt_c'))];
    const first = await handler.handle(chunk, ctx(0));
    // The transaction of `first` aborted: its claims stay in Redis. The retry must not see its own claims as duplicates.
    const retry = await handler.handle(chunk, ctx(1));
    assert.deepEqual(
      retry.map((r) => r.headers!['hookline-event-id']),
      first.map((r) => r.headers!['hookline-event-id']),
    );
    assert.equal(retry.length, 2);
  });

  test('a true duplicate at a later offset (provider retry) is dropped; a replay of the first copy re-emits it', async () => {
    const { handler, metrics } = setup();
    assert.equal((await handler.handle([stripeMsg(5)], ctx())).length, 1);
    assert.equal((await handler.handle([stripeMsg(900)], ctx())).length, 0, 'provider retry dropped');
    assert.equal(
      (await handler.handle([stripeMsg(5)], ctx())).length,
      1,
      'replay of the claiming record re-emits the same event id',
    );
    assert.equal(metrics.counts.get('duplicate stripe-eu'), 1);
  });

  test('the same provider event id from two sources is two events', async () => {
    const { handler } = setup();
    const out = await handler.handle([stripeMsg(0), stripeMsg(1, stripeBody, 'stripe-short')], ctx());
    assert.equal(out.length, 2);
  });

  test('claims use the source window, else the provider default', async () => {
    const { handler, dedupe } = setup();
    await handler.handle([stripeMsg(0), stripeMsg(1, withId('evt_s'), 'stripe-short')], ctx());
    assert.equal(
      dedupe.keys.get(eventIdOf('stripe-eu', stripeEvent.id))?.windowSeconds,
      getProvider('stripe')!.defaultIdempotencyWindowSeconds,
    );
    assert.equal(dedupe.keys.get(eventIdOf('stripe-short', 'evt_s'))?.windowSeconds, 60);
    assert.equal(dedupe.calls, 1, 'one dedupe round trip per chunk');
  });

  test('Redis down → the chunk throws (abort and retry), nothing is emitted or dead-lettered', async () => {
    const { handler, dedupe } = setup();
    dedupe.failNext = 1;
    await assert.rejects(handler.handle([stripeMsg(0), stripeMsg(1, Buffer.from('x'))], ctx()), /redis unavailable/);
    const out = await handler.handle([stripeMsg(0), stripeMsg(1, Buffer.from('x'))], ctx(1));
    assert.deepEqual(
      out.map((r) => r.topic),
      ['webhooks.normalized', 'webhooks.dlq'],
    );
  });

  test('registry down → the chunk throws a TransientError, even for a record bound for the DLQ', async () => {
    let down = true;
    const { handler } = setup({ avro: fakeAvro({ down: () => down }) });
    await assert.rejects(handler.handle([stripeMsg(0)], ctx()), (e) => e instanceof TransientError);
    await assert.rejects(handler.handle([stripeMsg(1, Buffer.from('x'))], ctx()), (e) => e instanceof TransientError);
    down = false;
    assert.equal((await handler.handle([stripeMsg(0)], ctx(1))).length, 1);
  });

  test('a record too large for Kafka is dead-lettered and holds no claim, so a later good copy is emitted', async () => {
    const { handler, dedupe } = setup({ maxRecordBytes: stripeBody.length + 1500 });
    const big = JSON.parse(stripeBody.toString()) as Record<string, unknown>;
    big.padding = 'x'.repeat(3000);
    const out1 = await handler.handle([stripeMsg(0, Buffer.from(JSON.stringify(big)))], ctx());
    assert.equal(out1[0]!.topic, 'webhooks.dlq');
    assert.equal(out1[0]!.headers!['hookline-dlq-reason'], 'record_too_large');
    assert.equal(dedupe.keys.size, 0);
    const out2 = await handler.handle([stripeMsg(1)], ctx());
    assert.equal(out2[0]!.topic, 'webhooks.normalized');
  });

  test('GitHub: dedupe key is X-GitHub-Delivery; a redelivery of it is a duplicate', async () => {
    const { handler } = setup();
    const body = fixture('github', 'issues.opened.json');
    const gh = (offset: number) =>
      rawMessage(
        {
          sourceId: 'gh',
          provider: 'github',
          body,
          deliveryId: 'd-1',
          requestHeaders: { 'x-github-event': 'issues', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' },
        },
        { offset },
      );
    const out = await handler.handle([gh(0), gh(1)], ctx());
    assert.equal(out.length, 1);
    assert.equal(out[0]!.key, 'gh:issue:Codertocat/Hello-World#1');
  });

  test('thin webhooks: a Mollie classic id of a source with an API key → webhooks.enrich; without one, or an id with nothing to fetch → webhooks.normalized', async () => {
    const sources = memorySourceStore([
      { id: 'mollie-key', provider: 'mollie', secrets: ['t'], options: { apiKey: 'env:MOLLIE_KEY' } },
      { id: 'mollie-plain', provider: 'mollie', secrets: ['t'], options: {} },
    ]);
    const { handler, avro } = setup({ sources });
    const form = (sourceId: string, id: string, offset: number) =>
      rawMessage(
        {
          sourceId,
          provider: 'mollie',
          body: Buffer.from(`id=${id}`),
          deliveryId: `mollie|${id}|${offset}`,
          contentType: 'application/x-www-form-urlencoded',
        },
        { offset },
      );
    const out = await handler.handle(
      [form('mollie-key', 'tr_a1', 0), form('mollie-plain', 'tr_a1', 1), form('mollie-key', 'sub_a1', 2)],
      ctx(),
    );
    assert.deepEqual(
      out.map((r) => [r.topic, r.key]),
      [
        ['webhooks.enrich', 'mollie-key:payment:tr_a1'],
        ['webhooks.normalized', 'mollie-plain:payment:tr_a1'],
        ['webhooks.normalized', 'mollie-key:subscription:sub_a1'],
      ],
    );
    const [thin] = await decodeAll(avro, out.slice(0, 1));
    assert.equal(thin!.value.canonical, null, 'the enrichment stage fills it');
    assert.equal(thin!.value.payload, '{"id":"tr_a1"}');
  });
});
