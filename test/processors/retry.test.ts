/**
 * Processors against the real Kafka and Redis: a transient failure retried through the retry
 * topics after the configured delays, delivered once and in order while later events of the same
 * resource wait (other resources flow); a permanent failure dead-lettered and redriven by the CLI
 * exactly once; a reset of both groups (main stage and retry lane) to earliest runs no handler again.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PermanentError, TransientError } from '../../services/common/errors.ts';
import { createProducer } from '../../services/common/kafka/producer.ts';
import type { OutRecord } from '../../services/common/kafka/types.ts';
import { createRedis } from '../../services/common/redis.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { runProcessors, type RunningProcessors } from '../../services/processors/runner.ts';
import { applyReplay, planReplay } from '../../services/common/operations/replay.ts';
import { RETRY_TOPICS } from '../../services/common/contracts/index.ts';
import type { DomainEvent } from '../../services/common/contracts/index.ts';
import type { ProcessorHandler } from '../../services/processors/types.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, provision, serviceEnv, stackConfig, testKafka, testLogger, uniquePrefix } from '../helpers/env.ts';
import { avro } from '../sequencer/helpers.ts';
import { envelope, SPECS } from '../sequencer/fixtures.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../scripts/hookline.ts', import.meta.url));
const prefix = uniquePrefix('proc');
const kafka = testKafka('hookline-test-proc');
const t = (l: string) => topicName(prefix, l);
const DELAYS = [500, 1000, 1500];
const stripe = SPECS.find((s) => s.provider === 'stripe')!;
const group = `hookline-test.${prefix}processors`;

function domainEvent(r: number, i: number): DomainEvent {
  return {
    ...envelope(stripe, r, i),
    domain: 'payments',
    position: i + 1,
    gap: null,
    stale: false,
    sequencedAt: Date.now(),
    staleReason: null,
    releasedBy: null,
  };
}

describe('processors: retry topics, parked resources, DLQ and redrive', () => {
  const redis = createRedis(stackConfig.REDIS_URL);
  const admin = kafka.admin();
  let running: RunningProcessors;
  let effects: Collector;
  const calls: { eventId: string; attempt: number; at: number; ok: boolean }[] = [];
  const transientTimes = new Map<string, number>();
  const permanent = new Set<string>();

  const handler: ProcessorHandler = {
    name: 'test-effects',
    events: ['payments/*'],
    async handle(e, ctx): Promise<readonly OutRecord[]> {
      const left = transientTimes.get(e.eventId) ?? 0;
      if (left > 0) {
        transientTimes.set(e.eventId, left - 1);
        calls.push({ eventId: e.eventId, attempt: ctx.attempt, at: Date.now(), ok: false });
        throw new TransientError('downstream busy', 'test_transient');
      }
      if (permanent.has(e.eventId)) {
        calls.push({ eventId: e.eventId, attempt: ctx.attempt, at: Date.now(), ok: false });
        throw new PermanentError('cannot handle this one', 'test_permanent');
      }
      calls.push({ eventId: e.eventId, attempt: ctx.attempt, at: Date.now(), ok: true });
      await Promise.resolve();
      return [{ topic: t('state.resources'), key: e.resourceKey, value: Buffer.from(e.eventId) }];
    },
  };

  async function produce(events: DomainEvent[]): Promise<void> {
    const p = createProducer(kafka);
    await p.connect();
    const topic = t('events.payments');
    await p.send(
      await Promise.all(events.map(async (e) => ({ topic, key: e.resourceKey, value: await avro.encode(topic, e) }))),
    );
    await p.disconnect();
  }

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((x) =>
        [
          'events.payments',
          'processors.dlq',
          'processors.watermarks',
          'state.resources',
          'ops.events',
          ...RETRY_TOPICS,
        ].includes(x.name),
      ),
    );
    await redis.connect();
    await admin.connect();
    effects = await collect(kafka, t('state.resources'));
    running = await start();
  });
  const start = () =>
    runProcessors({
      kafka,
      admin,
      redis,
      avro,
      logger: testLogger,
      groupId: group,
      handlers: [handler],
      inputTopics: [t('events.payments')],
      retryTopics: RETRY_TOPICS.map(t),
      delaysMs: DELAYS,
      dlqTopic: t('processors.dlq'),
      watermarkTopic: t('processors.watermarks'),
      redisPrefix: `hookline:${prefix}processors:parked:`,
      sessionTimeoutMs: 6000,
    });
  after(async () => {
    await running.stop();
    await effects.stop();
    await admin.disconnect();
    redis.disconnect();
  });

  const effectIds = () => effects.messages.map((m) => m.value!.toString());

  it('retries a transient failure 3 times after the configured delays, delivers once, and holds later events of the resource', async () => {
    const [a1, a2, a3] = [0, 1, 2].map((i) => domainEvent(1, i));
    const b1 = domainEvent(2, 0);
    transientTimes.set(a1!.eventId, 3);
    await produce([a1!, a2!, a3!, b1]);

    await eventually(() => (effectIds().includes(b1.eventId) ? true : undefined), 60_000, 'other resource flows');
    assert.ok(!effectIds().includes(a2!.eventId), 'a2 waits while a1 is in retry');
    await eventually(() => (effectIds().includes(a3!.eventId) ? true : undefined), 60_000, 'resource 1 completes');
    await new Promise((r) => setTimeout(r, 1500));

    const a = effectIds().filter((id) => [a1, a2, a3].some((e) => e!.eventId === id));
    assert.deepEqual(a, [a1!.eventId, a2!.eventId, a3!.eventId], 'resource 1 in order, each once');
    assert.equal(effectIds().filter((id) => id === b1.eventId).length, 1);
    const attempts = calls.filter((c) => c.eventId === a1!.eventId);
    assert.deepEqual(
      attempts.map((c) => [c.attempt, c.ok]),
      [
        [1, false],
        [2, false],
        [3, false],
        [4, true],
      ],
    );
    for (let i = 1; i < attempts.length; i++) {
      const gap = attempts[i]!.at - attempts[i - 1]!.at;
      assert.ok(gap >= DELAYS[i - 1]! - 50, `attempt ${i + 1} waited ${gap} ms ≥ ${DELAYS[i - 1]} ms`);
    }
    const b1At = calls.find((c) => c.eventId === b1.eventId && c.ok)!.at;
    assert.ok(b1At < attempts[3]!.at, 'the other resource did not wait for the retries');
    const a2At = calls.find((c) => c.eventId === a2!.eventId && c.ok)!.at;
    assert.ok(a2At >= attempts[3]!.at, 'a2 ran only after a1 succeeded');
  });

  it('dead-letters a permanent failure and the CLI redrives it exactly once', async () => {
    const p1 = domainEvent(3, 0);
    const p2 = domainEvent(3, 1);
    permanent.add(p1.eventId);
    await produce([p1, p2]);
    await eventually(() => (effectIds().includes(p2.eventId) ? true : undefined), 60_000, 'p2 after p1 dead-lettered');

    const env = serviceEnv(prefix, { LOG_LEVEL: 'error' });
    const list = await eventually(
      async () => {
        const r = await exec(
          process.execPath,
          [CLI, 'dlq', 'list', '--topic', t('processors.dlq'), '--reason', 'test_permanent', '--json'],
          { env },
        );
        const lines = r.stdout.trim().split('\n').filter(Boolean);
        return lines.length > 0
          ? lines.map(
              (l) =>
                JSON.parse(l) as { id: string; attempts: number; error: string; sourceTopic: string; stage: string },
            )
          : undefined;
      },
      30_000,
      'dlq record',
    );
    assert.equal(list.length, 1);
    assert.equal(list[0]!.attempts, 1);
    assert.equal(list[0]!.stage, 'processors');
    assert.equal(list[0]!.sourceTopic, t('events.payments'));
    assert.match(list[0]!.error, /cannot handle/);

    const show = await exec(process.execPath, [CLI, 'dlq', 'show', list[0]!.id, '--topic', t('processors.dlq')], {
      env,
    });
    assert.match(show.stdout, /test_permanent/);

    permanent.delete(p1.eventId);
    const r1 = await exec(
      process.execPath,
      [CLI, 'dlq', 'redrive', '--topic', t('processors.dlq'), '--ids', list[0]!.id],
      { env },
    );
    assert.match(r1.stdout, /redriven 1\/1/);
    assert.match(r1.stdout, /1 redriven now/);
    const r2 = await exec(process.execPath, [CLI, 'dlq', 'redrive', '--topic', t('processors.dlq')], { env });
    assert.match(r2.stdout, /1 already redriven earlier, 0 redriven now/);

    await eventually(() => (effectIds().includes(p1.eventId) ? true : undefined), 60_000, 'redriven event handled');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(effectIds().filter((id) => id === p1.eventId).length, 1, 'redriven once');
  });

  it('a reset of the main and the retry-lane group to earliest runs no handler again', async () => {
    await running.stop();
    const callsBefore = calls.length;
    const effectsBefore = effectIds().length;
    const resets: [string, string[]][] = [
      [group, [t('events.payments')]],
      [`${group}.retry`, RETRY_TOPICS.map(t)],
    ];
    // Committed offsets before the reset (retry topics are written transactionally: their end offset
    // is past the last commit marker, so "caught up" = back where the group was). Partitions the group
    // had never committed (-1) are left out: the reset puts them at their low offset.
    const committed = async (g: string, topic: string) =>
      new Map(
        ((await admin.fetchOffsets({ groupId: g, topics: [topic] }))[0]?.partitions ?? []).map((p) => [
          p.partition,
          p.offset,
        ]),
      );
    const was = new Map<string, Map<number, string>>();
    for (const [g, topics] of resets) {
      for (const topic of topics) {
        was.set(`${g} ${topic}`, await committed(g, topic));
        await applyReplay(admin, g, topic, await planReplay(admin, g, topic, { to: 'earliest' }));
      }
    }
    running = await start();
    await eventually(
      async () => {
        for (const [g, topics] of resets) {
          for (const topic of topics) {
            const now = await committed(g, topic);
            for (const [partition, offset] of was.get(`${g} ${topic}`)!) {
              if (offset !== '-1' && now.get(partition) !== offset)
                throw new Error(`${g} on ${topic}/${partition} at ${now.get(partition)}, was ${offset}`);
            }
          }
        }
        return true;
      },
      60_000,
      'both groups re-read everything',
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(calls.slice(callsBefore), [], 'no handler ran for a re-read record');
    assert.equal(effectIds().length, effectsBefore, 'no effect twice');
  });
});
