import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accept, DEFAULT_ORDERING, deadlineOf, emptyState, releaseDue, type Emit, type Orderable } from './ordering.ts';
import type { OrderingKind } from '../common/contracts/index.ts';

const o = { ...DEFAULT_ORDERING, holdBackMs: 1000, maxHeldPerResource: 3, maxHeldBytesPerResource: 1000 };
const ev = (id: string, kind: OrderingKind, value: number | null, statusRank: number | null = null): Orderable => ({
  eventId: id,
  ordering: { kind, value, statusRank },
});
const applied = (out: Emit<Orderable>[]) => out.filter((e) => e.type === 'apply').map((e) => e.event.eventId);
const types = (out: Emit<Orderable>[]) => out.map((e) => `${e.type}:${e.event.eventId}`);

describe('sequence ordering', () => {
  it('holds early events and releases them when the predecessor arrives', () => {
    const s = emptyState<Orderable>();
    assert.deepEqual(types(accept(s, ev('e3', 'SEQUENCE', 3), 0, 10, o)), ['held:e3']);
    assert.deepEqual(types(accept(s, ev('e2', 'SEQUENCE', 2), 0, 10, o)), ['held:e2']);
    const out = accept(s, ev('e1', 'SEQUENCE', 1), 0, 10, o);
    assert.deepEqual(applied(out), ['e1', 'e2', 'e3']);
    assert.deepEqual(
      out.map((e) => (e.type === 'apply' ? e.position : -1)),
      [1, 2, 3],
    );
    assert.equal(s.held.length, 0);
  });

  it('releases with a gap marker after the deadline, then a late predecessor is stale', () => {
    const s = emptyState<Orderable>();
    accept(s, ev('e1', 'SEQUENCE', 1), 0, 10, o);
    accept(s, ev('e3', 'SEQUENCE', 3), 100, 10, o);
    accept(s, ev('e4', 'SEQUENCE', 4), 200, 10, o);
    assert.equal(deadlineOf(s, o), 1100);
    assert.deepEqual(releaseDue(s, 1099, o), []);
    const out = releaseDue(s, 1100, o);
    assert.deepEqual(applied(out), ['e3', 'e4']);
    assert.deepEqual(out[0]!.type === 'apply' && out[0]!.gap, { expected: 2, received: 3 });
    assert.equal(out[1]!.type === 'apply' && out[1]!.gap, null);
    const late = accept(s, ev('e2', 'SEQUENCE', 2), 2000, 10, o);
    assert.deepEqual(
      late.map((e) => e.type === 'stale' && e.reason),
      ['behind_sequence'],
    );
  });

  it('re-deliveries of applied or held events are duplicates', () => {
    const s = emptyState<Orderable>();
    accept(s, ev('e1', 'SEQUENCE', 1), 0, 10, o);
    accept(s, ev('e3', 'SEQUENCE', 3), 0, 10, o);
    assert.deepEqual(types(accept(s, ev('e1', 'SEQUENCE', 1), 0, 10, o)), ['duplicate:e1']);
    assert.deepEqual(types(accept(s, ev('e3', 'SEQUENCE', 3), 0, 10, o)), ['duplicate:e3']);
    assert.deepEqual(types(accept(s, ev('x3', 'SEQUENCE', 3), 0, 10, o)), ['stale:x3']);
  });

  it('overflow of the per-resource bound releases the lowest held with a gap', () => {
    const s = emptyState<Orderable>();
    accept(s, ev('e1', 'SEQUENCE', 1), 0, 10, o);
    for (const n of [3, 4, 5]) accept(s, ev(`e${n}`, 'SEQUENCE', n), 0, 10, o);
    const out = accept(s, ev('e7', 'SEQUENCE', 7), 0, 10, o);
    assert.deepEqual(types(out), ['held:e7', 'apply:e3', 'apply:e4', 'apply:e5']);
    assert.equal(out[1]!.type === 'apply' && out[1]!.cause, 'overflow');
    assert.equal(s.held.length, 1);
  });

  it('byte bound works too', () => {
    const s = emptyState<Orderable>();
    accept(s, ev('e1', 'SEQUENCE', 1), 0, 10, o);
    accept(s, ev('e3', 'SEQUENCE', 3), 0, 600, o);
    const out = accept(s, ev('e5', 'SEQUENCE', 5), 0, 600, o);
    assert.deepEqual(applied(out), ['e3']);
  });

  it('with no state, an event above the first sequence waits for the deadline', () => {
    const s = emptyState<Orderable>();
    assert.deepEqual(types(accept(s, ev('e5', 'SEQUENCE', 5), 0, 10, o)), ['held:e5']);
    const out = releaseDue(s, 1000, o);
    assert.deepEqual(out[0]!.type === 'apply' && out[0]!.gap, { expected: 1, received: 5 });
  });
});

describe('version and status ordering', () => {
  it('an older version is stale; equal and newer apply', () => {
    const s = emptyState<Orderable>();
    accept(s, ev('a', 'VERSION', 10), 0, 1, o);
    assert.deepEqual(types(accept(s, ev('b', 'VERSION', 5), 0, 1, o)), ['stale:b']);
    assert.deepEqual(types(accept(s, ev('c', 'VERSION', 10), 0, 1, o)), ['apply:c']);
    assert.deepEqual(types(accept(s, ev('d', 'VERSION', 11), 0, 1, o)), ['apply:d']);
    assert.deepEqual(types(accept(s, ev('d', 'VERSION', 11), 0, 1, o)), ['duplicate:d']);
  });

  it('a late lower status never moves the resource back; same rank orders by time', () => {
    const s = emptyState<Orderable>();
    accept(s, ev('created', 'STATUS', 100, 1), 0, 1, o);
    accept(s, ev('delivered', 'STATUS', 300, 3), 0, 1, o);
    const out = accept(s, ev('processing', 'STATUS', 200, 2), 0, 1, o);
    assert.deepEqual(
      out.map((e) => e.type === 'stale' && e.reason),
      ['lower_status'],
    );
    assert.deepEqual(types(accept(s, ev('older-same-rank', 'STATUS', 250, 3), 0, 1, o)), ['stale:older-same-rank']);
    assert.deepEqual(types(accept(s, ev('later-same-rank', 'STATUS', 350, 3), 0, 1, o)), ['apply:later-same-rank']);
  });

  it('NONE applies in arrival order and drops exact re-deliveries', () => {
    const s = emptyState<Orderable>();
    assert.deepEqual(types(accept(s, ev('x', 'NONE', null), 0, 1, o)), ['apply:x']);
    assert.deepEqual(types(accept(s, ev('y', 'NONE', null), 0, 1, o)), ['apply:y']);
    assert.deepEqual(types(accept(s, ev('x', 'NONE', null), 0, 1, o)), ['duplicate:x']);
  });
});
