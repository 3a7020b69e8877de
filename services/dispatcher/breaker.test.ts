import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from './breaker.ts';
import { TokenBucket } from './gate.ts';

const opts = { failureThreshold: 3, openMs: 1000, maxOpenMs: 4000 };

describe('circuit breaker', () => {
  it('opens after consecutive failures, not after interleaved ones', () => {
    const b = new CircuitBreaker(opts);
    b.onFailure(0);
    b.onFailure(0);
    b.onSuccess();
    b.onFailure(0);
    b.onFailure(0);
    assert.equal(b.state, 'closed');
    assert.equal(b.onFailure(10), true);
    assert.equal(b.state, 'open');
    assert.deepEqual(b.admit(500), { ok: false, retryAt: 1010 });
  });

  it('lets one probe through when the open period ends; success closes it', () => {
    const b = new CircuitBreaker(opts);
    for (let i = 0; i < 3; i++) b.onFailure(0);
    assert.deepEqual(b.admit(1000), { ok: true });
    assert.equal(b.state, 'half-open');
    assert.equal(b.admit(1001).ok, false, 'only one probe at a time');
    assert.equal(b.onSuccess(), true);
    assert.equal(b.state, 'closed');
    assert.deepEqual(b.admit(1002), { ok: true });
  });

  it('keeps the time it first opened across re-opens after failed probes', () => {
    const b = new CircuitBreaker(opts);
    for (let i = 0; i < 3; i++) b.onFailure(100);
    assert.equal(b.openedAt, 100);
    assert.equal(b.openUntil, 1100);
    assert.ok(b.admit(1100).ok);
    b.onFailure(1100);
    assert.equal(b.openedAt, 100, 'a re-open continues the same outage');
    assert.equal(b.openUntil, 3100);
    assert.ok(b.admit(3100).ok);
    b.onSuccess();
    for (let i = 0; i < 3; i++) b.onFailure(5000);
    assert.equal(b.openedAt, 5000, 'a new outage after closing');
  });

  it('a failed probe reopens for twice as long, capped', () => {
    const b = new CircuitBreaker(opts);
    for (let i = 0; i < 3; i++) b.onFailure(0);
    let now = 1000;
    for (const expected of [2000, 4000, 4000]) {
      assert.ok(b.admit(now).ok);
      b.onFailure(now);
      assert.deepEqual(b.admit(now), { ok: false, retryAt: now + expected });
      now += expected;
    }
  });
});

describe('token bucket', () => {
  it('allows a burst of `rate`, then spaces requests by 1/rate, reserving in order', () => {
    const t = new TokenBucket(10, 0);
    for (let i = 0; i < 10; i++) assert.equal(t.reserve(0, 1000), 0);
    assert.equal(t.reserve(0, 1000), 100);
    assert.equal(t.reserve(0, 1000), 200);
    assert.equal(t.reserve(1000, 1000), 0, 'refilled after a second');
  });

  it('refuses to reserve beyond the wait bound, without consuming', () => {
    const t = new TokenBucket(1, 0);
    assert.equal(t.reserve(0, 500), 0);
    assert.equal(t.reserve(0, 500), -1000);
    assert.equal(t.reserve(1000, 500), 0);
  });
});
