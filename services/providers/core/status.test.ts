import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rankOf, statusRanksProblems } from './status.ts';

describe('status ranks', () => {
  const table = { created: 10, shipped: 50, delivered: 100 };
  it('ranks from the table, unknown and missing statuses rank 0', () => {
    assert.equal(rankOf(table, 'shipped'), 50);
    assert.equal(rankOf(table, 'lost'), 0);
    assert.equal(rankOf(table, undefined), 0);
  });
  it("a source's override wins, non-numbers in it are ignored", () => {
    assert.equal(rankOf(table, 'lost', { statusRanks: { lost: 75 } }), 75);
    assert.equal(rankOf(table, 'shipped', { statusRanks: { shipped: 'x' } }), 50);
  });
  it('names the provider and what the keys are when the override is malformed', () => {
    assert.deepEqual(statusRanksProblems('p', 'status ids', {}), []);
    assert.deepEqual(statusRanksProblems('p', 'status ids', { statusRanks: { a: 1 } }), []);
    assert.deepEqual(statusRanksProblems('p', 'status ids', { statusRanks: { a: 'one' } }), [
      'p: options.statusRanks must map status ids to numbers',
    ]);
    assert.equal(statusRanksProblems('p', 'status ids', { statusRanks: null }).length, 1);
  });
});
