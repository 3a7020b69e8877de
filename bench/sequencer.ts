/**
 * npm run bench:sequencer — events/s through the sequencer with canonical records on, against a
 * baseline, in the same run, on the real local stack (Kafka, registry).
 *
 *   baseline  : kafkajs consumer → producer of the same bytes (the canonical input below; no Avro, no
 *               ordering state, no transactions; idempotent producer, acks=all), 3 partitions
 *               consumed concurrently: what moving the bytes costs.
 *   sequencer : the real service (startService + startSequencer, in this process): Avro decode,
 *               per-resource ordering (SEQUENCE / VERSION / STATUS / NONE), changelog, Avro encode to
 *               events.<domain>, one Kafka transaction per chunk — on envelopes that carry a canonical
 *               record (a Stripe Payment mapped by the real Stripe mapping from its documented
 *               payment_intent.succeeded payload, which is also the payload).
 *   sequencer, canonical off : the same envelopes with `canonical: null`, to show what the canonical
 *               record itself costs.
 *
 * Input: BENCH_EVENTS envelopes (default 20000) over 5 providers' resources (test/sequencer/fixtures.ts),
 * in order per resource, written to webhooks.normalized of a fresh topic prefix per sequencer run; each
 * side drains its backlog with its own consumer group. Rate = records / time from the first to the last
 * committed record (start-up, state restore and group join excluded).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import type { NormalizedEnvelope } from '../services/common/contracts/index.ts';
import { startService } from '../services/common/service.ts';
import { startTelemetry } from '../services/common/telemetry.ts';
import { topicName } from '../services/common/topics.ts';
import { canonicalOf } from '../services/providers/canonical.ts';
import { provider as stripe } from '../services/providers/stripe/index.ts';
import { sequencerSpec } from '../services/sequencer/config.ts';
import { startSequencer } from '../services/sequencer/service.ts';
import { serviceEnv, stackConfig, testKafka, uniquePrefix } from '../test/helpers/env.ts';
import { envelope, SPECS } from '../test/sequencer/fixtures.ts';
import { avro, produceEnvelopes, provisionSequencer } from '../test/sequencer/helpers.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const PER_RESOURCE = 10;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 300_000);
const kafka = testKafka('hookline-bench');
const telemetry = startTelemetry({ serviceName: 'hookline-bench' });
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Result {
  readonly records: number;
  readonly ms: number;
  readonly rate: number;
}

/** The Stripe fixture as the payload, and its canonical Payment from the real Stripe mapping. */
function stripeCanonical(): { payload: string; canonical: NormalizedEnvelope['canonical'] } {
  const payload = readFileSync(
    new URL('../test/fixtures/stripe/payment_intent.succeeded.json', import.meta.url),
    'utf8',
  );
  const source = { id: 'stripe-eu', provider: 'stripe', secrets: ['s'], options: {} };
  const fields = stripe.normalize(
    {
      sourceId: source.id,
      provider: 'stripe',
      body: Buffer.from(payload),
      contentType: 'application/json',
      headers: {},
      receivedAt: new Date(),
      deliveryId: 'd',
    },
    source,
  );
  return { payload: fields.payload, canonical: canonicalOf(stripe.canonical, fields, source) };
}

function envelopes(withCanonical: boolean): NormalizedEnvelope[] {
  const { payload, canonical } = stripeCanonical();
  const out: NormalizedEnvelope[] = [];
  const resources = Math.ceil(EVENTS / PER_RESOURCE);
  for (let r = 0; r < resources; r++) {
    const spec = SPECS[r % SPECS.length]!;
    for (let i = 0; i < PER_RESOURCE && out.length < EVENTS; i++)
      out.push(envelope(spec, r, i, { payload, canonical: withCanonical ? canonical : null }));
  }
  return out;
}

async function committed(prefix: string, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topicName(prefix, 'webhooks.normalized')] });
    return (offsets[0]?.partitions ?? []).reduce((s, p) => s + (p.offset === '-1' ? 0 : Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function baseline(prefix: string, total: number): Promise<Result> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: topicName(prefix, 'bench.baseline'), numPartitions: 6, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}baseline`, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topicName(prefix, 'webhooks.normalized')], fromBeginning: true });
  let done = 0;
  let first = 0;
  let last = 0;
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic: topicName(prefix, 'bench.baseline'),
            messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          },
        ],
      });
      if (first === 0) first = performance.now();
      done += batch.messages.length;
      last = performance.now();
    },
  });
  const deadline = Date.now() + TIMEOUT_MS;
  while (done < total && Date.now() < deadline) await sleep(50);
  await consumer.disconnect();
  await producer.disconnect();
  if (done < total) throw new Error(`baseline moved only ${done}/${total} records in ${TIMEOUT_MS} ms`);
  return { records: total, ms: last - first, rate: (total * 1000) / (last - first) };
}

async function sequencer(prefix: string, total: number): Promise<Result> {
  const env = serviceEnv(prefix, { GROUP_PREFIX: 'bench', LOG_LEVEL: 'warn' });
  const svc = await startService({ name: 'sequencer', spec: sequencerSpec, env, telemetry, start: startSequencer });
  const groupId = `bench.${prefix}sequencer`;
  let first = 0;
  let firstCount = 0;
  let last = 0;
  let done = 0;
  const deadline = Date.now() + TIMEOUT_MS;
  try {
    while (done < total && Date.now() < deadline) {
      await sleep(50);
      done = await committed(prefix, groupId);
      if (first === 0 && done > 0) {
        first = performance.now();
        firstCount = done;
      }
      last = performance.now();
    }
  } finally {
    await svc.stop();
  }
  if (done < total) throw new Error(`sequencer committed only ${done}/${total} records in ${TIMEOUT_MS} ms`);
  return { records: total - firstCount, ms: last - first, rate: ((total - firstCount) * 1000) / (last - first) };
}

async function input(withCanonical: boolean): Promise<{ prefix: string; total: number }> {
  const prefix = uniquePrefix(withCanonical ? 'bench-seq-canon' : 'bench-seq-plain');
  await provisionSequencer(prefix);
  const envs = envelopes(withCanonical);
  // One encode first: the registry client caches the schema only once a lookup has returned, and
  // thousands of concurrent first encodes would each fetch it.
  await avro.encode(topicName(prefix, 'webhooks.normalized'), envs[0]);
  for (let i = 0; i < envs.length; i += 2000) await produceEnvelopes(kafka, prefix, envs.slice(i, i + 2000));
  return { prefix, total: envs.length };
}

async function main(): Promise<void> {
  console.log(
    `bench:sequencer on ${stackConfig.KAFKA_BROKERS.join(',')} — a shared 2-core machine (Kafka, registry, Redis and other work on the same cores): figures are relative, compare within one run`,
  );
  const on = await input(true);
  const off = await input(false);
  console.log(`input: ${fmt(on.total)} envelopes per run, ${PER_RESOURCE} per resource, in order`);
  const base = await baseline(on.prefix, on.total);
  console.log(
    `baseline  (kafkajs consume → produce, same bytes, no Avro, no ordering state, no transactions): ${fmt(base.rate)} records/s (${fmt(base.records)} in ${fmt(base.ms)} ms)`,
  );
  const s = await sequencer(on.prefix, on.total);
  console.log(
    `sequencer (canonical on: Avro, ordering, changelog, one transaction per chunk): ${fmt(s.rate)} records/s (${fmt(s.records)} in ${fmt(s.ms)} ms) — ${((s.rate / base.rate) * 100).toFixed(0)}% of baseline`,
  );
  const p = await sequencer(off.prefix, off.total);
  console.log(
    `sequencer (canonical off, same envelopes with canonical null): ${fmt(p.rate)} records/s — ${((p.rate / base.rate) * 100).toFixed(0)}% of baseline; canonical on = ${((s.rate / p.rate) * 100).toFixed(0)}% of off`,
  );
  const admin = kafka.admin();
  await admin.connect();
  for (const prefix of [on.prefix, off.prefix]) {
    const topics = (await admin.listTopics()).filter((x) => x.startsWith(prefix));
    await admin.deleteTopics({ topics }).catch(() => undefined);
  }
  await admin.disconnect();
  await telemetry.shutdown();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
