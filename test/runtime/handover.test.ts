/**
 * runStage's handover against the real broker: a partition's new owner must not process a chunk that
 * a transaction of the previous owner committed after the new owner's consumer read its start offset
 * (kafkajs's OffsetFetch cannot ask for stable offsets, KIP-447). Here the previous owner is a
 * producer with the partition's transactional id holding an open transaction that covers records
 * 0..9 (output and input offsets) and tries to commit it while the new stage prepares the partition,
 * i.e. after kafkajs fetched the offsets. Either that commit is fenced and the stage processes the
 * records, or it lands and the stage skips them: each input record comes out exactly once.
 * The same after a commit whose answer is lost (the coordinator took EndTxn, the client saw an error):
 * the retried chunk must not be processed again.
 */
import assert from 'node:assert/strict';
import type { Kafka, Producer, Transaction } from 'kafkajs';
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

/** The same client, except that the answer to the first transaction commit is lost: it commits, then throws. */
function losingFirstCommitAnswer(client: Kafka): Kafka {
  let lost = false;
  const wrapTxn = (txn: Transaction): Transaction => {
    const commit = txn.commit.bind(txn);
    return Object.assign(txn, {
      commit: async () => {
        await commit();
        if (lost) return;
        lost = true;
        throw Object.assign(new Error('the answer to EndTxn was lost'), { retriable: true });
      },
    });
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'producer')
        return (...args: Parameters<Kafka['producer']>): Producer => {
          const p = target.producer(...args);
          const transaction = p.transaction.bind(p);
          return Object.assign(p, { transaction: async () => wrapTxn(await transaction()) });
        };
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function committedTo(groupId: string, topic: string, offset: number): Promise<void> {
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    await eventually(
      async () => {
        const [o] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return o?.partitions.find((p) => p.partition === 0)?.offset === String(offset) ? true : undefined;
      },
      60_000,
      'the input committed to its end',
    );
  } finally {
    await admin.disconnect();
  }
}

async function assertEachOnce(topic: string, what: string): Promise<void> {
  const out = await collect(kafka, topic);
  try {
    await eventually(() => (out.messages.length >= N ? true : undefined), 30_000, `${N} output records`);
    await sleep(2000);
    const values = out.messages.map((m) => m.value?.toString()).sort();
    assert.deepEqual(values, Array.from({ length: N }, (_, i) => `in-${i}`).sort(), what);
  } finally {
    await out.stop();
  }
}

async function produceInput(topic: string): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send(
    Array.from({ length: N }, (_, i) => ({ topic, partition: 0, key: 'r', value: Buffer.from(`in-${i}`) })),
  );
  await producer.disconnect();
}

describe('transactional stage: handover of a partition', () => {
  const stages: RunningStage[] = [];

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((x) => ['webhooks.raw', 'webhooks.dlq', 'webhooks.normalized', 'events.stale'].includes(x.name)),
    );
  });

  after(async () => {
    for (const s of stages) await s.stop();
  });

  it("never processes again what the previous owner's transaction committed", async () => {
    const input = t('webhooks.raw');
    const output = t('webhooks.dlq');
    const groupId = `${prefix}stage`;
    await produceInput(input);

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
    stages.push(
      await runStage({
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
      }),
    );
    await committedTo(groupId, input, N);
    await previous.disconnect().catch(() => undefined);
    await assertEachOnce(
      output,
      `each input once (the previous owner's commit ${previousCommitted ? 'landed' : 'was fenced'})`,
    );
  });

  it('does not process a chunk again when the answer to its commit was lost', async () => {
    const input = t('webhooks.normalized');
    const output = t('events.stale');
    const groupId = `${prefix}lost-answer`;
    await produceInput(input);
    let handled = 0;
    stages.push(
      await runStage({
        kafka: losingFirstCommitAnswer(kafka),
        groupId,
        topics: [input],
        logger: testLogger,
        retry: { initialMs: 100, maxMs: 1000 },
        handler: {
          handle: async (msgs) => {
            handled += msgs.length;
            return msgs.map((m) => ({ topic: output, key: 'r', value: m.value }));
          },
        },
      }),
    );
    await committedTo(groupId, input, N);
    await assertEachOnce(output, 'each input once although the first commit reported an error');
    assert.equal(handled, N, 'the committed chunk was not handed to the handler again');
  });
});
