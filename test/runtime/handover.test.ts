/**
 * runStage's handover against the real broker: a partition's new owner must not process a chunk that
 * a transaction of the previous owner committed after the new owner's consumer read its start offset
 * (kafkajs's OffsetFetch cannot ask for stable offsets, KIP-447). Here the previous owner is a
 * producer with the partition's transactional id holding an open transaction that covers records
 * 0..9 (output and input offsets) and tries to commit it while the new stage prepares the partition,
 * i.e. after kafkajs fetched the offsets. Either that commit is fenced and the stage processes the
 * records, or it lands and the stage skips them: each input record comes out exactly once.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createAdmin } from '../../services/common/kafka/admin.ts';
import { createProducer, toKafkaMessages } from '../../services/common/kafka/producer.ts';
import { runStage, type RunningStage } from '../../services/common/kafka/stage.ts';
import { transactionalProducer } from '../../services/common/kafka/transactional.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { collect } from '../helpers/collect.ts';
import { eventually, provision, testKafka, testLogger, uniquePrefix } from '../helpers/env.ts';

const prefix = uniquePrefix('handover');
const kafka = testKafka();
const t = (logical: string) => topicName(prefix, logical);
const N = 10;

describe('transactional stage: handover of a partition', () => {
  let stage: RunningStage | undefined;

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.dlq'].includes(x.name)),
    );
  });

  after(async () => {
    await stage?.stop();
  });

  it("never processes again what the previous owner's transaction committed", async () => {
    const input = t('webhooks.raw');
    const output = t('webhooks.dlq');
    const groupId = `${prefix}stage`;
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send(
      Array.from({ length: N }, (_, i) => ({ topic: input, partition: 0, key: 'r', value: Buffer.from(`in-${i}`) })),
    );
    await producer.disconnect();

    // The previous owner: its transaction covers every input record and is not committed yet.
    const previous = transactionalProducer(kafka, { transactionalId: `${groupId}.${input}.0` });
    await previous.connect();
    const txn = await previous.transaction();
    await txn.sendBatch({
      topicMessages: toKafkaMessages(
        Array.from({ length: N }, (_, i) => ({ topic: output, key: 'r', value: Buffer.from(`in-${i}`) })),
      ),
      acks: -1,
    });
    await txn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: String(N) }] }],
    });

    let previousCommitted: boolean | undefined;
    stage = await runStage({
      kafka,
      groupId,
      topics: [input],
      logger: testLogger,
      handler: {
        // Runs once kafkajs has fetched the start offset, before the first chunk: the previous owner
        // commits now, as a transaction whose EndTxn raced the rebalance would.
        prepare: async () => {
          if (previousCommitted !== undefined) return;
          previousCommitted = await txn.commit().then(
            () => true,
            () => false,
          );
        },
        handle: async (msgs) => msgs.map((m) => ({ topic: output, key: 'r', value: m.value })),
      },
    });

    const admin = createAdmin(kafka);
    await admin.connect();
    try {
      await eventually(
        async () => {
          const [o] = await admin.fetchOffsets({ groupId, topics: [input] });
          return o?.partitions.find((p) => p.partition === 0)?.offset === String(N) ? true : undefined;
        },
        60_000,
        'the input committed to its end',
      );
    } finally {
      await admin.disconnect();
    }
    await previous.disconnect().catch(() => undefined);

    const out = await collect(kafka, output);
    try {
      await eventually(() => (out.messages.length >= N ? true : undefined), 30_000, `${N} output records`);
      await sleep(2000);
      const values = out.messages.map((m) => m.value?.toString()).sort();
      assert.deepEqual(
        values,
        Array.from({ length: N }, (_, i) => `in-${i}`).sort(),
        `each input once (the previous owner's commit ${previousCommitted ? 'landed' : 'was fenced'})`,
      );
    } finally {
      await out.stop();
    }
  });
});
