/**
 * runStage's dueAt option against the real broker (the processors' retry topics run on it): a
 * record is handled only from its due time on, a partition whose next record is not due pauses
 * without holding up the other partitions, and each record is committed once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { runStage, type RunningStage } from '../../services/common/kafka/stage.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { collect } from '../helpers/collect.ts';
import { eventually, provision, testKafka, testLogger, uniquePrefix } from '../helpers/env.ts';

const prefix = uniquePrefix('due');
const kafka = testKafka();
const t = (logical: string) => topicName(prefix, logical);
const DUE = 'x-due-at';

describe('transactional stage: records not yet due', () => {
  let stage: RunningStage | undefined;

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.dlq'].includes(x.name)),
    );
  });

  it('pauses a partition until its next record is due, other partitions keep flowing, each record once', async () => {
    const handledAt = new Map<string, number>();
    const start = Date.now();
    const later = start + 4000;
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send([
      ...['late-1', 'late-2', 'late-3'].map((v) => ({
        topic: t('webhooks.raw'),
        partition: 0,
        key: 'a',
        value: Buffer.from(v),
        headers: { [DUE]: String(later) },
      })),
      {
        topic: t('webhooks.raw'),
        partition: 1,
        key: 'b',
        value: Buffer.from('now-1'),
        headers: { [DUE]: String(start) },
      },
    ]);
    await producer.disconnect();

    stage = await runStage({
      kafka,
      groupId: `${prefix}due`,
      topics: [t('webhooks.raw')],
      logger: testLogger,
      dueAt: (m) => Number(m.headers[DUE]),
      handler: {
        handle: async (msgs) =>
          msgs.map((m) => {
            const v = m.value!.toString();
            handledAt.set(v, Date.now());
            return { topic: t('webhooks.dlq'), key: m.key, value: Buffer.from(`out:${v}`) };
          }),
      },
    });
    const out = await collect(kafka, t('webhooks.dlq'));
    await eventually(() => (out.messages.length >= 4 ? true : undefined), 60_000, 'four records out');
    await new Promise((r) => setTimeout(r, 1500)); // a duplicate would show up now
    await out.stop();

    assert.ok(handledAt.get('now-1')! < later, 'the due record of partition 1 did not wait for partition 0');
    for (const v of ['late-1', 'late-2', 'late-3'])
      assert.ok(handledAt.get(v)! >= later, `${v} handled at or after its due time`);
    const values = out.messages.map((m) => m.value!.toString()).sort();
    assert.deepEqual(values, ['out:late-1', 'out:late-2', 'out:late-3', 'out:now-1']);
  });

  after(async () => {
    await stage?.stop();
  });
});
