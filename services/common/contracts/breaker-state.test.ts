import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combineBreakers } from './breaker-state.ts';

const rec = (since: number, until: number, expiresAt = until + 300_000) => JSON.stringify({ since, until, expiresAt });
const iso = (ms: number) => new Date(ms).toISOString();

describe('combined breaker state of several dispatcher instances', () => {
  it('closed when no instance reports it, or every report expired or is unreadable', () => {
    assert.equal(combineBreakers([], 1000).state, 'closed');
    assert.deepEqual(combineBreakers([rec(0, 500, 900), 'not json', '{"since":1}'], 1000), {
      state: 'closed',
      since: null,
      until: null,
      instances: 0,
    });
  });

  it('open if any instance has it open, with the earliest since, the latest until and the count', () => {
    assert.deepEqual(combineBreakers([rec(100, 900), rec(50, 2000), rec(300, 5000)], 1000), {
      state: 'open',
      since: iso(50),
      until: iso(5000),
      instances: 3,
    });
  });

  it('half_open once every open period has ended, until the reports expire', () => {
    assert.equal(combineBreakers([rec(100, 900), rec(50, 999)], 1000).state, 'half_open');
    assert.equal(combineBreakers([rec(100, 900, 1000)], 1000).state, 'closed');
  });
});
