/**
 * Hold-back deadline on a QUIET partition: after the early event arrives nothing else is produced,
 * so only the sequencer's tick can release it. Then the late predecessor goes to events.stale.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { topicName } from '../../services/common/topics.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, testKafka, uniquePrefix } from '../helpers/env.ts';
import { envelope, SPECS } from './fixtures.ts';
import {
  avro,
  produceEnvelopes,
  provisionSequencer,
  startSequencerProcess,
  stopProcess,
  type DomainOut,
} from './helpers.ts';

const prefix = uniquePrefix('seqgap');
const kafka = testKafka('hookline-test-seqgap');
const t = (l: string) => topicName(prefix, l);
const trading = SPECS.find((s) => s.kind === 'SEQUENCE')!;

describe('sequencer: hold-back deadline', () => {
  let trades: Collector;
  let stale: Collector;
  before(async () => {
    await provisionSequencer(prefix);
    trades = await collect(kafka, t('events.trading'));
    stale = await collect(kafka, t('events.stale'));
  });
  after(async () => {
    await trades.stop();
    await stale.stop();
  });

  it('releases an early event with a gap marker when the deadline passes with no new input; the late predecessor is stale', async () => {
    const child = startSequencerProcess(prefix, { SEQUENCER_HOLD_BACK_MS: '2000', SEQUENCER_TICK_INTERVAL_MS: '200' });
    try {
      const [e1, e2, e3] = [0, 1, 2].map((i) => envelope(trading, 7, i));
      await produceEnvelopes(kafka, prefix, [e1!, e3!]);
      const first = await eventually(
        () => (trades.messages.length >= 1 ? trades.messages[0] : undefined),
        60_000,
        'seq 1',
      );
      const heldSince = Date.now();
      assert.equal((await avro.decode<DomainOut>(first.value!)).eventId, e1!.eventId);
      const released = await eventually(
        () => (trades.messages.length >= 2 ? trades.messages[1] : undefined),
        30_000,
        'seq 3 released by the deadline',
      );
      const waited = Date.now() - heldSince;
      const v = await avro.decode<DomainOut>(released.value!);
      assert.equal(v.eventId, e3!.eventId);
      assert.deepEqual({ ...v.gap }, { expected: 2, received: 3 });
      assert.equal(v.releasedBy, 'deadline');
      assert.equal(v.position, 2);
      assert.ok(waited >= 1000, `held for about the hold-back (${waited} ms)`);

      await produceEnvelopes(kafka, prefix, [e2!]);
      const late = await eventually(() => stale.messages[0], 30_000, 'late predecessor on events.stale');
      const s = await avro.decode<DomainOut>(late.value!);
      assert.equal(s.eventId, e2!.eventId);
      assert.equal(s.stale, true);
      assert.equal(s.staleReason, 'behind_sequence');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(trades.messages.length, 2, 'nothing else on the domain topic');
    } finally {
      await stopProcess(child);
    }
  });
});
