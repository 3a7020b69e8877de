/**
 * Replay of the processors by offset reset through the CLI: two hours of domain events (Kafka
 * record timestamps = event time, spread over the last two hours), processed by a real processors
 * process; the group is reset to 65 minutes ago (the last hour of events, about half the stream,
 * plus an undecodable record that was dead-lettered), the process started again → nothing appears
 * twice on outbound.events, state.resources or processors.dlq, and the projected state is the same.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Partitioners } from 'kafkajs';
import { createRedis } from '../../services/common/redis.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { RETRY_TOPICS } from '../../services/common/contracts/index.ts';
import type { DomainEvent } from '../../services/common/contracts/index.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, provision, serviceEnv, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';
import { envelope, SPECS } from '../sequencer/fixtures.ts';
import { avro, stopProcess } from '../sequencer/helpers.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../scripts/hookline.ts', import.meta.url));
const MAIN = fileURLToPath(new URL('../../services/processors/main.ts', import.meta.url));
const prefix = uniquePrefix('preplay');
const kafka = testKafka('hookline-test-preplay');
const t = (l: string) => topicName(prefix, l);
const group = `hookline-test.${prefix}processors`;
const DOMAIN_TOPICS = ['events.payments', 'events.commerce'];
const MIN = 60_000;

const stripe = SPECS.find((s) => s.provider === 'stripe')!;
const shop = SPECS.find((s) => s.provider === 'shopify')!;

interface Timed {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly timestamp: number;
}

async function domainRecord(spec: typeof stripe, r: number, i: number, at: number): Promise<Timed> {
  const domain = spec === stripe ? 'payments' : 'commerce';
  const e: DomainEvent = {
    ...envelope(spec, r, i, { occurredAt: at, receivedAt: at + 5 }),
    domain,
    position: i + 1,
    gap: null,
    stale: false,
    sequencedAt: at + 10,
    staleReason: null,
    releasedBy: null,
  };
  const topic = t(`events.${domain}`);
  return { topic, key: e.resourceKey, value: await avro.encode(topic, e), timestamp: at };
}

async function produceTimed(records: readonly Timed[]): Promise<void> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    // One send per record, in time order: per partition, record timestamps increase with offsets.
    for (const r of records)
      await producer.send({
        topic: r.topic,
        acks: -1,
        messages: [{ key: r.key, value: r.value, timestamp: String(r.timestamp) }],
      });
  } finally {
    await producer.disconnect();
  }
}

function startProcessorsProcess(): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: serviceEnv(prefix, {
      PROCESSORS_DOMAINS: 'payments,commerce',
      PROCESSORS_SESSION_TIMEOUT_MS: '6000',
      PROCESSORS_CHUNK_SIZE: '25',
    }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

describe('replay: processors re-read an hour of events through the CLI and duplicate no effect', () => {
  const admin = kafka.admin();
  const redis = createRedis(stackConfig.REDIS_URL);
  const stateKey = `hookline:${prefix}processors:state`;
  let outbound: Collector;
  let state: Collector;
  let dlq: Collector;

  before(async () => {
    const wanted = [
      ...DOMAIN_TOPICS,
      'outbound.events',
      'state.resources',
      'processors.dlq',
      'processors.watermarks',
      'ops.events',
      ...RETRY_TOPICS,
    ];
    await provision(
      prefix,
      TOPICS.filter((x) => wanted.includes(x.name)),
    );
    await admin.connect();
    await redis.connect();
    outbound = await collect(kafka, t('outbound.events'));
    state = await collect(kafka, t('state.resources'));
    dlq = await collect(kafka, t('processors.dlq'));
  });
  after(async () => {
    await Promise.all([outbound.stop(), state.stop(), dlq.stop()]);
    await admin.disconnect();
    await redis.del(stateKey);
    redis.disconnect();
  });

  const messageIds = () => outbound.messages.map((m) => m.headers['hookline-message-id']!);
  /** The group has committed every record of the domain topics (the re-read is over). */
  async function caughtUp(): Promise<true | undefined> {
    for (const topic of DOMAIN_TOPICS.map(t)) {
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
      for (const e of ends) {
        if (e.high === e.low) continue;
        if (committed.find((p) => p.partition === e.partition)?.offset !== e.high) return undefined;
      }
    }
    return true;
  }
  const latestState = () => new Map(state.messages.map((m) => [m.key, m.value?.toString()]));

  it('re-reads the last hour of events.<domain> and emits nothing twice', async () => {
    // 2 × 24 resources × 6 events, event time spread evenly over [now − 125 min, now − 5 min].
    const now = Date.now();
    const start = now - 125 * MIN;
    const plan: { spec: typeof stripe; r: number; i: number }[] = [];
    for (let i = 0; i < 6; i++)
      for (let r = 0; r < 24; r++) for (const spec of [stripe, shop]) plan.push({ spec, r, i });
    const step = (120 * MIN) / plan.length;
    const records = await Promise.all(plan.map((p, n) => domainRecord(p.spec, p.r, p.i, Math.round(start + n * step))));
    const cutoff = now - 65 * MIN;
    // An undecodable record inside the replayed hour: dead-lettered once, not twice.
    const poison: Timed = {
      topic: t('events.payments'),
      key: 'poison',
      value: Buffer.from('not avro'),
      timestamp: cutoff + 10 * MIN,
    };
    const timed = [...records, poison].sort((a, b) => a.timestamp - b.timestamp);
    const inWindow = (topic: string) => timed.filter((x) => x.topic === topic && x.timestamp >= cutoff).length;

    let child = startProcessorsProcess();
    try {
      await produceTimed(timed);
      await eventually(
        () => (outbound.messages.length >= records.length && dlq.messages.length >= 1 ? true : undefined),
        90_000,
        'first pass: every event routed',
      );
      await eventually(caughtUp, 30_000, 'first pass committed');
    } finally {
      await stopProcess(child);
    }
    assert.equal(new Set(messageIds()).size, records.length, 'first pass: one outbound message per event');
    await new Promise((r) => setTimeout(r, 500));
    const counts = { outbound: outbound.messages.length, state: state.messages.length, dlq: dlq.messages.length };
    const stateBefore = latestState();
    const redisBefore = await redis.hgetall(stateKey);
    assert.equal(stateBefore.size, 48);
    assert.equal(Object.keys(redisBefore).length, 48);

    const env = serviceEnv(prefix, { LOG_LEVEL: 'error' });
    const at = new Date(cutoff).toISOString();
    let window = 0;
    for (const topic of DOMAIN_TOPICS.map(t)) {
      const dry = await exec(
        process.execPath,
        [CLI, 'replay', '--group', group, '--topic', topic, '--to-datetime', at, '--dry-run'],
        { env },
      );
      const total = Number(/total: (\d+) message/.exec(dry.stdout)![1]);
      assert.equal(total, inWindow(topic), `the dry run counts the last hour of ${topic} (${dry.stdout})`);
      window += total;
      const applied = await exec(
        process.execPath,
        [CLI, 'replay', '--group', group, '--topic', topic, '--to-datetime', at, '--wait'],
        { env },
      );
      assert.match(applied.stdout, /reset/);
    }
    assert.ok(window >= 140 && window <= 150, `about an hour of events is re-read (${window})`);

    child = startProcessorsProcess();
    try {
      const fresh = await Promise.all([domainRecord(stripe, 99, 0, Date.now()), domainRecord(shop, 99, 0, Date.now())]);
      await produceTimed(fresh);
      await eventually(
        () => (outbound.messages.length >= counts.outbound + fresh.length ? true : undefined),
        90_000,
        'events after the replay',
      );
      await eventually(caughtUp, 60_000, 'replayed window committed');
      await new Promise((r) => setTimeout(r, 1500));

      const ids = messageIds();
      const twice = ids.filter((id, n) => ids.indexOf(id) !== n);
      assert.deepEqual(twice, [], 'no messageId twice on outbound.events');
      assert.equal(ids.length, counts.outbound + fresh.length, 'the replayed hour added nothing to outbound.events');
      assert.equal(
        state.messages.length,
        counts.state + fresh.length,
        'the replayed hour rewrote nothing on state.resources',
      );
      assert.equal(dlq.messages.length, counts.dlq, 'the poison record was not dead-lettered again');
      const stateAfter = latestState();
      for (const [key, value] of stateBefore) assert.equal(stateAfter.get(key), value, `state of ${key} unchanged`);
      const redisAfter = await redis.hgetall(stateKey);
      for (const [key, value] of Object.entries(redisBefore))
        assert.equal(redisAfter[key], value, `projected state of ${key} unchanged`);
    } finally {
      await stopProcess(child);
    }
  });
});
