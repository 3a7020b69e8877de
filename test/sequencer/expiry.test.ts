/**
 * State expiry: a resource idle for SEQUENCER_STATE_TTL_MS is dropped from the sequencer's state
 * with a tombstone on its changelog partition, written by the next chunk of that partition; a
 * resource that just changed is kept. The tombstone is what keeps the compacted changelog (and the
 * restore time) bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { topicName } from '../../services/common/topics.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, testKafka, uniquePrefix } from '../helpers/env.ts';
import { envelope, SPECS } from './fixtures.ts';
import { avro, produceEnvelopes, provisionSequencer, startSequencerProcess, stopProcess } from './helpers.ts';

const prefix = uniquePrefix('seqttl');
const kafka = testKafka('hookline-test-seqttl');
const t = (l: string) => topicName(prefix, l);
const trading = SPECS.find((s) => s.kind === 'SEQUENCE')!;
const TTL_MS = 3000;

describe('sequencer: state expiry', () => {
  let trades: Collector;
  let changelog: Collector;
  before(async () => {
    await provisionSequencer(prefix);
    trades = await collect(kafka, t('events.trading'));
    changelog = await collect(kafka, t('sequencer.changelog'));
  });
  after(async () => {
    await trades.stop();
    await changelog.stop();
  });

  it('tombstones a resource idle for the TTL on its changelog partition, and keeps the one that just changed', async () => {
    const child = startSequencerProcess(prefix, { SEQUENCER_STATE_TTL_MS: String(TTL_MS) });
    try {
      const idle = [0, 1].map((i) => envelope(trading, 1, i));
      const key = idle[0]!.resourceKey;
      await produceEnvelopes(kafka, prefix, idle);
      await eventually(() => (trades.messages.length >= 2 ? true : undefined), 60_000, 'both events applied');
      const state = await eventually(
        () => changelog.messages.find((m) => m.key === key && m.value !== null),
        30_000,
        'state of the resource',
      );
      assert.equal(
        changelog.messages.filter((m) => m.key === key && m.value === null).length,
        0,
        'no tombstone while fresh',
      );
      const stored = JSON.parse(state.value!.toString('utf8')) as { seenAt?: number; position: number };
      assert.equal(typeof stored.seenAt, 'number', 'the state records when it last changed');

      // Wait out the TTL, then give that partition a chunk: an event of another resource, written
      // to the same input partition.
      await new Promise((r) => setTimeout(r, TTL_MS + 500));
      const other = envelope(trading, 2, 0);
      const producer = createProducer(kafka);
      await producer.connect();
      await producer.send([
        {
          topic: t('webhooks.normalized'),
          partition: state.partition,
          key: other.resourceKey,
          value: await avro.encode(t('webhooks.normalized'), other),
        },
      ]);
      await producer.disconnect();

      const tomb = await eventually(
        () => changelog.messages.find((m) => m.key === key && m.value === null),
        30_000,
        'a tombstone for the idle resource',
      );
      assert.equal(tomb.partition, state.partition, 'on the changelog partition of the input partition');
      assert.ok(BigInt(tomb.offset) > BigInt(state.offset));
      const kept = await eventually(
        () => changelog.messages.find((m) => m.key === other.resourceKey && m.value !== null),
        30_000,
        'state of the fresh resource',
      );
      assert.equal(kept.partition, state.partition);
      assert.equal(
        changelog.messages.filter((m) => m.key === other.resourceKey && m.value === null).length,
        0,
        'the resource that just changed is kept',
      );
      assert.equal(trades.messages.length, 3, 'the fresh event was applied');
    } finally {
      await stopProcess(child);
    }
  });
});
