import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetTracker } from './offsets.ts';

describe('offset tracker', () => {
  it('commits only past messages whose every job is done, whatever the completion order', () => {
    const t = new OffsetTracker();
    assert.equal(t.committable(), undefined);
    const a = t.add(10, 2);
    const b = t.add(11, 1);
    const c = t.add(12, 0);
    void c;
    assert.equal(t.committable(), 10);
    b.done();
    assert.equal(t.committable(), 10);
    a.done();
    assert.equal(t.committable(), 10, 'one job of 10 still open');
    a.done();
    assert.equal(t.committable(), 13);
    assert.equal(t.pending, 0);
  });

  it('ignores a ticket called too often', () => {
    const t = new OffsetTracker();
    const a = t.add(0, 1);
    t.add(1, 1);
    a.done();
    a.done();
    assert.equal(t.pending, 1);
    assert.equal(t.committable(), 1);
  });

  it('backpressure resolves when the pending count falls below the mark', async () => {
    const t = new OffsetTracker();
    const tickets = Array.from({ length: 5 }, (_, i) => t.add(i, 1));
    let released = false;
    const w = t.waitBelow(3).then(() => (released = true));
    tickets[4]!.done();
    tickets[3]!.done();
    await Promise.resolve();
    assert.equal(released, false);
    tickets[0]!.done();
    await w;
    assert.equal(t.committable(), 1);
  });
});
