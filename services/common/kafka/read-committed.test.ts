import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { flagAbortedRecords } from './read-committed.ts';

const require = createRequire(import.meta.url);
const kafkajsFilter = require('kafkajs/src/consumer/filterAbortedMessages') as (a: {
  messages: Msg[];
  abortedTransactions: unknown[];
}) => Msg[];

interface Msg {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}
const data = (offset: number, pid: string, key = 'k'): Msg => ({
  offset: String(offset),
  key: Buffer.from(key),
  batchContext: { producerId: pid, inTransaction: true },
});
const marker = (offset: number, pid: string, abort: boolean): Msg => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, abort ? 0 : 1]),
  isControlRecord: true,
  batchContext: { producerId: pid, inTransaction: true },
});
const visible = (ms: Msg[]) =>
  ms.filter((m) => !m.isControlRecord).map((m) => `${m.batchContext.producerId}@${m.offset}`);

describe('read_committed filter (kafkajs fix)', () => {
  // Two producers' transactions interleaved on one partition, both aborted (markers at 5 and 6); C commits.
  const log = () => [
    data(0, 'A'),
    data(1, 'B'),
    data(2, 'C'),
    data(3, 'B'),
    data(4, 'A'),
    marker(5, 'A', true),
    marker(6, 'B', true),
    data(7, 'C'),
    marker(8, 'C', false),
    data(9, 'A'),
  ];
  // What the broker sends for a fetch from `start`: aborted transactions overlapping [start, …),
  // ordered by their abort marker (the transaction index order), not by first offset.
  const abortedFrom = (start: number) =>
    [
      { producerId: 'A', firstOffset: '0', marker: 5 },
      { producerId: 'B', firstOffset: '1', marker: 6 },
    ]
      .filter((t) => t.marker >= start)
      .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));

  test('kafkajs 2.2.4 alone leaks records of an aborted transaction (the bug being fixed)', () => {
    const out = kafkajsFilter({
      messages: log().filter((m) => Number(m.offset) >= 3),
      abortedTransactions: abortedFrom(3),
    }).filter((m) => !m.isControlRecord);
    assert.ok(
      out.some((m) => m.batchContext.producerId === 'B' && m.offset === '3'),
      'B@3 (aborted) leaks: only A was activated at the first message',
    );
  });

  test('drops every aborted record, keeps committed and non-transactional ones, from any fetch start', () => {
    for (let start = 0; start <= 9; start++) {
      const p = { abortedTransactions: abortedFrom(start), messages: log().filter((m) => Number(m.offset) >= start) };
      flagAbortedRecords(p);
      const expected = ['C@2', 'C@7', 'A@9'].filter((x) => Number(x.split('@')[1]) >= start);
      assert.deepEqual(visible(p.messages), expected, `fetch from ${start}`);
      assert.deepEqual(p.abortedTransactions, [], 'kafkajs filter becomes a no-op');
      assert.equal(p.messages.length, 10 - start, 'offsets of flagged records still count (consumer moves past them)');
    }
  });

  test('a producer aborted, then committed, then aborted again', () => {
    const p = {
      abortedTransactions: [
        { producerId: 'A', firstOffset: '0' },
        { producerId: 'A', firstOffset: '4' },
      ],
      messages: [
        data(0, 'A'),
        marker(1, 'A', true),
        data(2, 'A'),
        marker(3, 'A', false),
        data(4, 'A'),
        marker(5, 'A', true),
      ],
    };
    assert.equal(flagAbortedRecords(p), 2);
    assert.deepEqual(visible(p.messages), ['A@2']);
  });

  test('no aborted transactions (read_uncommitted, or none in range) → untouched', () => {
    const p = { abortedTransactions: [], messages: log() };
    assert.equal(flagAbortedRecords(p), 0);
    assert.equal(visible(p.messages).length, 7);
  });
});
