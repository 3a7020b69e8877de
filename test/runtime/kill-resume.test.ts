/**
 * A consumer killed with SIGKILL mid-batch resumes from its last committed offset: after the
 * restart, each partition's first record is exactly the committed offset at the time of the
 * kill (nothing skipped), and every record is processed (at-least-once: only the uncommitted
 * tail is seen twice).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { eventually, provision, testKafka, uniquePrefix } from '../helpers/env.ts';

const prefix = uniquePrefix('kill');
const topic = topicName(prefix, 'webhooks.raw');
const group = `${prefix}slow`;
const out = join(mkdtempSync(join(tmpdir(), 'hookline-kill-')), 'processed.txt');
const N = 600;

function startConsumer(): ChildProcess {
  return spawn(process.execPath, [new URL('./fixtures/slow-consumer.ts', import.meta.url).pathname], {
    env: { ...process.env, TOPIC: topic, GROUP: group, OUT_FILE: out, SLOW_MS: '15' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function processed(): { partition: number; offset: number }[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [p, o] = l.split(' ');
      return { partition: Number(p), offset: Number(o) };
    });
}

describe('consumer killed with SIGKILL', () => {
  it('resumes from its last committed offset and loses nothing', async () => {
    await provision(
      prefix,
      TOPICS.filter((t) => t.name === 'webhooks.raw'),
    );
    const kafka = testKafka();
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send(
      Array.from({ length: N }, (_, i) => ({ topic, key: `res-${i % 17}`, value: Buffer.from(String(i)) })),
    );
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const fetchCommitted = async () =>
      new Map(
        (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => [
          p.partition,
          Number(p.offset),
        ]),
      );

    // Kill only once a commit is visible in the middle of a partition (not at 0, not near its
    // end): killing before the first auto-commit (every 1 s) would leave nothing to resume
    // from and the test would prove nothing.
    const first = startConsumer();
    await eventually(
      async () => {
        for (const [p, offset] of await fetchCommitted()) if (offset > 0 && offset < ends.get(p)! - 20) return true;
        return undefined;
      },
      60_000,
      'a commit in the middle of a partition',
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const beforeRestart = processed().length;
    assert.ok(beforeRestart < N, 'killed mid-stream');
    const committed = await fetchCommitted();
    await admin.disconnect();

    const second = startConsumer();
    try {
      await eventually(
        () => {
          const seen = new Set(processed().map((r) => `${r.partition}/${r.offset}`));
          return seen.size >= N ? true : undefined;
        },
        120_000,
        'all records processed after restart',
      );
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }

    const after = processed().slice(beforeRestart);
    let checked = 0;
    for (const [partition, offset] of committed) {
      const firstAfter = after.find((r) => r.partition === partition);
      if (offset < 0) {
        if (firstAfter) assert.equal(firstAfter.offset, 0, `partition ${partition} had no commit: restarts at 0`);
        continue;
      }
      if (firstAfter) {
        assert.equal(firstAfter.offset, offset, `partition ${partition} resumed at its committed offset`);
        checked++;
      }
    }
    assert.ok(checked > 0, 'at least one partition resumed after the kill');
    const all = new Set(processed().map((r) => `${r.partition}/${r.offset}`));
    assert.equal(all.size, N, 'every record processed');
  });
});
