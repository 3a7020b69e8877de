/**
 * npm run bench:dispatcher — the dispatcher against a local receiver that answers 200 at once.
 *
 *   1. latency at a fixed rate (default 1,000/s for 6 s): p50/p95/p99 from the moment the record is
 *      in outbound.events (the producer's ack; also shown from send start) until the receiver has it;
 *   2. throughput: a backlog of messages drained as fast as possible;
 *   3. baseline: a plain fetch loop posting the same bodies with the same concurrency (the
 *      dispatcher's per-endpoint concurrency), at the same fixed rate and flat out.
 * The dispatcher runs as its own process (as in production); this process produces and receives.
 * Bounded: about 20 s. Knobs: BENCH_RATE, BENCH_SECONDS, BENCH_BACKLOG, BENCH_CONCURRENCY.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createEndpointStore } from '../services/common/endpoints.ts';
import { createProducer } from '../services/common/kafka/producer.ts';
import { createRedis } from '../services/common/redis.ts';
import { AvroCodec, createRegistry } from '../services/common/schemas.ts';
import { TOPICS, topicName } from '../services/common/topics.ts';
import { provision, serviceEnv, stackConfig, testKafka, uniquePrefix } from '../test/helpers/env.ts';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const RESOURCES = 500;

const prefix = uniquePrefix('bench-dsp');
const redisPrefix = `${prefix}hl:`;
const t = (l: string) => topicName(prefix, l);
const arrived = new Map<string, number>();
const now = () => performance.timeOrigin + performance.now();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

function body(id: string, i: number): string {
  return JSON.stringify({
    id,
    type: 'payment.succeeded',
    timestamp: new Date().toISOString(),
    data: {
      id: `pay_${i % RESOURCES}`,
      amount: 1000 + i,
      currency: 'eur',
      status: 'succeeded',
      customer: 'cus_123',
      metadata: { order: `ord_${i}` },
    },
  });
}

async function main() {
  process.stderr.write(`bench: provisioning ${prefix}\n`);
  await provision(
    prefix,
    TOPICS.filter((x) => x.name.startsWith('outbound.') || x.name === 'ops.events'),
  );
  const server = createServer((req, res) => {
    const id = req.headers['webhook-id'] as string;
    req.resume();
    req.on('end', () => {
      if (!arrived.has(id)) arrived.set(id, now());
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const redis = createRedis(stackConfig.REDIS_URL);
  await redis.connect();
  await createEndpointStore(redis, redisPrefix).create({
    url,
    description: 'bench',
    eventTypes: [],
    headers: {},
    rateLimitPerSecond: null,
  });

  const env = serviceEnv(prefix, {
    REDIS_KEY_PREFIX: redisPrefix,
    HTTP_PORT: '0',
    DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32',
    DISPATCHER_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
    DISPATCHER_COMMIT_INTERVAL_MS: '500',
    LOG_LEVEL: 'warn',
  });
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(
    process.execPath,
    [...profile, fileURLToPath(new URL('../services/dispatcher/main.ts', import.meta.url))],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );

  const producer = createProducer(testKafka('bench'));
  await producer.connect();
  const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
  let n = 0;
  const make = () => {
    const i = n++;
    const id = `msg_bench_${i}`;
    return {
      messageId: id,
      eventType: 'payment.succeeded',
      resourceKey: `bench:payment:pay_${i % RESOURCES}`,
      sourceEventId: `evt_${i}`,
      occurredAt: Date.now(),
      createdAt: Date.now(),
      payload: body(id, i),
      endpointId: null,
    };
  };
  const encode = async (e: ReturnType<typeof make>) => ({
    topic: t('outbound.events'),
    key: e.resourceKey,
    value: await avro.encode(t('outbound.events'), e),
    headers: { 'bench-id': e.messageId },
  });

  // Probe: a bare kafkajs consumer on the same topic (its own group), so the report can say how
  // much of the latency is the Kafka fetch path itself.
  const consumed = new Map<string, number>();
  const probe = testKafka('bench-probe').consumer({ groupId: `${prefix}probe`, maxWaitTimeInMs: 100 });
  await probe.connect();
  await probe.subscribe({ topics: [t('outbound.events')], fromBeginning: false });
  await probe.run({
    partitionsConsumedConcurrently: 6,
    eachMessage: async ({ message }) => {
      const id = message.headers?.['bench-id']?.toString();
      if (id) consumed.set(id, now());
    },
  });
  const waitFor = async (ids: string[], ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && ids.some((id) => !arrived.has(id))) await new Promise((r) => setTimeout(r, 20));
    return ids.filter((id) => arrived.has(id)).length;
  };

  // Warm-up: group join, connections, JIT.
  const warm = Array.from({ length: 300 }, make);
  await producer.send(await Promise.all(warm.map(encode)));
  const warmed = await waitFor(
    warm.map((e) => e.messageId),
    60_000,
  );
  if (warmed < warm.length) throw new Error('dispatcher did not deliver the warm-up');

  // 1. Fixed rate.
  const sentStart = new Map<string, number>();
  const acked = new Map<string, number>();
  const tick = 10;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  const started = now();
  const sends: Promise<void>[] = [];
  for (let k = 0; k < (SECONDS * 1000) / tick; k++) {
    const batch = Array.from({ length: perTick }, make);
    const records = await Promise.all(batch.map(encode));
    const s = now();
    for (const e of batch) sentStart.set(e.messageId, s);
    sends.push(
      producer.send(records).then(() => {
        const a = now();
        for (const e of batch) acked.set(e.messageId, a);
      }),
    );
    const next = started + (k + 1) * tick;
    await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
  }
  await Promise.all(sends);
  const ids = [...sentStart.keys()];
  await waitFor(ids, 30_000);
  const fromAck = ids.filter((id) => arrived.has(id)).map((id) => Math.max(0, arrived.get(id)! - acked.get(id)!));
  const fromSend = ids.filter((id) => arrived.has(id)).map((id) => arrived.get(id)! - sentStart.get(id)!);
  const probeLat = ids.filter((id) => consumed.has(id)).map((id) => Math.max(0, consumed.get(id)! - acked.get(id)!));
  await probe.disconnect();
  const lastArrival = Math.max(...ids.map((id) => arrived.get(id) ?? 0));
  const rateAchieved = fromAck.length / ((lastArrival - started) / 1000);

  // 2. Backlog drain.
  const backlog = Array.from({ length: BACKLOG }, make);
  for (let i = 0; i < backlog.length; i += 1000)
    await producer.send(await Promise.all(backlog.slice(i, i + 1000).map(encode)));
  const backlogIn = now();
  await waitFor(
    backlog.map((e) => e.messageId),
    60_000,
  );
  const firstB = Math.min(...backlog.map((e) => arrived.get(e.messageId) ?? Infinity));
  const lastB = Math.max(...backlog.map((e) => arrived.get(e.messageId) ?? 0));
  const drain = backlog.length / ((lastB - Math.min(firstB, backlogIn)) / 1000);

  child.kill('SIGTERM');

  // 3. Baseline: plain fetch, same bodies, same concurrency.
  const post = async (id: string, b: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id },
      body: b,
    });
    await res.arrayBuffer();
  };
  const baseLat: number[] = [];
  let inflight = 0;
  const bStart = now();
  const bSends: Promise<void>[] = [];
  for (let k = 0; k < (Math.min(SECONDS, 3) * 1000) / tick; k++) {
    for (let j = 0; j < perTick; j++) {
      const e = make();
      if (inflight >= CONCURRENCY) continue;
      inflight++;
      const s = now();
      bSends.push(
        post(e.messageId, e.payload).then(() => {
          inflight--;
          baseLat.push(arrived.get(e.messageId)! - s);
        }),
      );
    }
    const next = bStart + (k + 1) * tick;
    await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
  }
  await Promise.all(bSends);
  const flat = Array.from({ length: BACKLOG }, make);
  const fStart = now();
  let cursor = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (cursor < flat.length) {
        const e = flat[cursor++]!;
        await post(e.messageId, e.payload);
      }
    }),
  );
  const baseDrain = flat.length / ((now() - fStart) / 1000);

  const row = (name: string, rate: number, lat: number[]) =>
    `${name.padEnd(36)} ${fmt(rate).padStart(9)} ${fmt(pct(lat, 50)).padStart(8)} ${fmt(pct(lat, 95)).padStart(8)} ${fmt(pct(lat, 99)).padStart(8)}`;
  console.log(
    `\nhookline dispatcher benchmark — ${RATE}/s for ${SECONDS} s, ${RESOURCES} resources, concurrency ${CONCURRENCY}, ${ids.length} messages (${fromAck.length} delivered)`,
  );
  console.log(
    `${'run'.padEnd(36)} ${'deliv/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
  );
  console.log(row('dispatcher, from outbound.events ack', rateAchieved, fromAck));
  console.log(row('dispatcher, from send start', rateAchieved, fromSend));
  console.log(row('(probe) bare kafkajs consumer, from ack', probeLat.length / SECONDS, probeLat));
  console.log(
    row('baseline fetch loop, same rate', baseLat.length / ((now() - bStart) / 1000) > 0 ? RATE : 0, baseLat),
  );
  console.log(`${'dispatcher backlog drain'.padEnd(36)} ${fmt(drain).padStart(9)}`);
  console.log(`${'baseline fetch flat out'.padEnd(36)} ${fmt(baseDrain).padStart(9)}`);
  console.log(
    `ratio dispatcher/baseline: throughput ${(drain / baseDrain).toFixed(2)}, p95 latency ${(pct(fromAck, 95) / pct(baseLat, 95)).toFixed(1)}x`,
  );
  console.log(
    `goal p95 < 25 ms at 1,000/s: ${pct(fromAck, 95) < 25 && rateAchieved >= RATE * 0.95 ? 'met' : 'NOT met'}`,
  );

  await producer.disconnect();
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  server.closeAllConnections();
  server.close();
  await new Promise((r) => child.once('exit', r));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
