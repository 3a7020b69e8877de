/**
 * npm run bench:validator — events/s through the validator against a baseline, in the same run,
 * on the real local stack (Kafka, registry, Redis).
 *
 *   baseline  : kafkajs consumer → producer of the same bytes (no parsing, no Avro, no Redis,
 *               no transactions; idempotent producer with acks=all, auto-commit), 3 partitions
 *               consumed concurrently, 1 MiB fetch per partition: what moving the bytes costs.
 *   validator : the real service (startService + startValidator, in this process): parse,
 *               normalize, Avro, one Redis claim script per chunk, one Kafka transaction per chunk.
 *
 * Input: BENCH_EVENTS distinct provider events (Stripe, GitHub, Standard Webhooks documented
 * payloads; default 50000) + 10% provider duplicates + 1% poison, written to webhooks.raw first;
 * each side then drains that backlog with its own consumer group. Rate = records / time from the
 * first to the last record through (start-up and group join excluded for both).
 * BENCH_CHUNK_SIZES="100,250,500,1000" measures several transaction sizes (default: 1000, the service default).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners } from 'kafkajs';
import { createProducer } from '../services/common/kafka/producer.ts';
import { createRedis } from '../services/common/redis.ts';
import { startService } from '../services/common/service.ts';
import { startTelemetry } from '../services/common/telemetry.ts';
import { TOPICS, topicName } from '../services/common/topics.ts';
import { validatorSpec } from '../services/validator/config.ts';
import { startValidator } from '../services/validator/service.ts';
import { provision, serviceEnv, stackConfig, testKafka, uniquePrefix } from '../test/helpers/env.ts';
import { makeStream, SOURCES_FILE } from '../test/validator/events.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const CHUNK_SIZES = (process.env.BENCH_CHUNK_SIZES ?? '1000').split(',').map(Number);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 300_000);

const prefix = uniquePrefix('bench-validator');
const t = (logical: string) => topicName(prefix, logical);
const kafka = testKafka('hookline-bench');
const telemetry = startTelemetry({ serviceName: 'hookline-bench' });

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function setup(): Promise<number> {
  await provision(
    prefix,
    TOPICS.filter((x) => ['webhooks.raw', 'webhooks.normalized', 'webhooks.dlq'].includes(x.name)),
  );
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: t('bench.baseline'), numPartitions: 6, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const stream = makeStream(t('webhooks.raw'), {
    distinct: EVENTS,
    dupRate: 0.1,
    poisonRate: 0.01,
    seed: 42,
    tag: 'bench',
  });
  const producer = createProducer(kafka);
  await producer.connect();
  for (let i = 0; i < stream.records.length; i += 1000) await producer.send(stream.records.slice(i, i + 1000));
  await producer.disconnect();
  const bytes = stream.records.reduce((s, r) => s + (r.value?.length ?? 0), 0);
  console.log(
    `input: ${fmt(stream.records.length)} raw records (${fmt(stream.expected.size)} distinct events, ${fmt(stream.duplicates)} duplicates, ${fmt(stream.poison.size)} poison), avg body ${fmt(bytes / stream.records.length)} B`,
  );
  return stream.records.length;
}

interface Result {
  readonly records: number;
  readonly ms: number;
  readonly rate: number;
  readonly chunks?: string;
}

/** Transactions, records per transaction and ms per transaction of one stage group, from its own metrics. */
async function stageStats(groupId: string): Promise<string> {
  const text = await telemetry.metricsText();
  const value = (name: string) =>
    Number(
      new RegExp(`^${name}\\{[^}]*group="${groupId.replace(/\./g, '\\.')}"[^}]*\\} ([0-9.e+]+)`, 'm').exec(text)?.[1] ??
        NaN,
    );
  const txns = value('hookline_stage_transactions_total');
  const records = value('hookline_stage_records_total');
  const ms = value('hookline_stage_chunk_ms_sum');
  const aborts = value('hookline_stage_aborts_total');
  return `${fmt(txns)} transactions, ${fmt(records / txns)} records and ${fmt(ms / txns)} ms each${Number.isNaN(aborts) ? '' : `, ${fmt(aborts)} aborted`}`;
}

async function baseline(total: number): Promise<Result> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}baseline`, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topics: [t('webhooks.raw')], fromBeginning: true });
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
            topic: t('bench.baseline'),
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
  const ms = last - first;
  return { records: total, ms, rate: (total * 1000) / ms };
}

/** Committed offsets of the validator group on webhooks.raw: records through the stage, transactions committed. */
async function committedRecords(admin: ReturnType<typeof kafka.admin>, groupId: string): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [t('webhooks.raw')] });
  return (offsets[0]?.partitions ?? []).reduce((s, p) => s + (p.offset === '-1' ? 0 : Number(p.offset)), 0);
}

async function validator(total: number, chunkSize: number, run: number): Promise<Result> {
  // Fresh claims per run, so every run does the same Redis work (first claims, not re-reads).
  const redis = createRedis(stackConfig.REDIS_URL);
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `hookline:${prefix}validator:dedupe:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();

  const groupPrefix = `bench${run}`;
  const env = serviceEnv(prefix, {
    SOURCES_FILE,
    VALIDATOR_CHUNK_SIZE: String(chunkSize),
    GROUP_PREFIX: groupPrefix,
    LOG_LEVEL: 'warn',
  });
  const svc = await startService({
    name: 'validator',
    spec: validatorSpec,
    env,
    telemetry,
    start: (deps) => startValidator(deps, { env }),
  });
  const groupId = `${groupPrefix}.${prefix}validator`;
  let first = 0;
  let last = 0;
  let firstCount = 0;
  let done = 0;
  const deadline = Date.now() + TIMEOUT_MS;
  const admin = kafka.admin();
  await admin.connect();
  try {
    while (done < total && Date.now() < deadline) {
      await sleep(50);
      done = await committedRecords(admin, groupId);
      if (process.env.BENCH_TRACE) console.log(`  t=${Math.round(performance.now())} committed=${done}`);
      if (first === 0 && done > 0) {
        first = performance.now();
        firstCount = done;
      }
      last = performance.now();
    }
  } finally {
    await admin.disconnect();
    await svc.stop();
  }
  if (done < total)
    throw new Error(`validator (chunk ${chunkSize}) committed only ${done}/${total} records in ${TIMEOUT_MS} ms`);
  const ms = last - first;
  return {
    records: total - firstCount,
    ms,
    rate: ((total - firstCount) * 1000) / ms,
    chunks: await stageStats(groupId),
  };
}

async function main(): Promise<void> {
  console.log(
    `bench:validator on ${stackConfig.KAFKA_BROKERS.join(',')} — a shared 2-core machine (Kafka, registry, Redis and other work on the same cores): figures are relative, compare within one run`,
  );
  const total = await setup();
  const base = await baseline(total);
  console.log(
    `baseline  (kafkajs consume → produce, same bytes, no parsing, no transactions): ${fmt(base.rate)} records/s (${fmt(base.records)} in ${fmt(base.ms)} ms)`,
  );
  for (const [i, cs] of CHUNK_SIZES.entries()) {
    const v = await validator(total, cs, i);
    console.log(
      `validator (chunk ${cs}: parse, normalize, Avro, Redis claims, one transaction per chunk): ${fmt(v.rate)} records/s (${fmt(v.records)} in ${fmt(v.ms)} ms) — ${((v.rate / base.rate) * 100).toFixed(0)}% of baseline; ${v.chunks ?? ''}`,
    );
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics: [t('bench.baseline'), t('webhooks.raw'), t('webhooks.normalized'), t('webhooks.dlq')] })
    .catch(() => undefined);
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
