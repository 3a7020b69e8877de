import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_SCHEDULE,
  maxAttempts,
  nextDelay,
  parseDuration,
  parseRetryAfter,
  parseSchedule,
  type RetryPolicy,
} from './schedule.ts';

const policy = (jitter: number): RetryPolicy => ({
  schedule: parseSchedule(DEFAULT_SCHEDULE),
  jitter,
  retryAfterMinMs: 1000,
  retryAfterMaxMs: 3_600_000,
});

describe('retry schedule', () => {
  it('parses the Svix-like default: 8 attempts, the first immediate', () => {
    assert.deepEqual(
      parseSchedule(DEFAULT_SCHEDULE),
      [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
    );
    assert.equal(maxAttempts(policy(1)), 8);
  });

  it('refuses bad durations naming the variable', () => {
    assert.throws(() => parseSchedule('5s,soon'), /DISPATCHER_RETRY_SCHEDULE: "soon"/);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
  });

  it('full jitter stays within [0, step] and spreads over it', () => {
    const p = policy(1);
    for (const [attempt, step] of [
      [1, 5000],
      [2, 300_000],
      [7, 36_000_000],
    ] as const) {
      const samples = Array.from({ length: 2000 }, () => nextDelay(p, attempt)!);
      assert.ok(
        samples.every((d) => d >= 0 && d <= step),
        `attempt ${attempt} within bounds`,
      );
      assert.ok(Math.min(...samples) < step * 0.1 && Math.max(...samples) > step * 0.9, `attempt ${attempt} spread`);
    }
    assert.equal(
      nextDelay(p, 1, undefined, () => 0),
      0,
    );
    assert.equal(
      nextDelay(p, 1, undefined, () => 1),
      5000,
    );
  });

  it('partial jitter keeps the lower part fixed', () => {
    const p = policy(0.2);
    assert.equal(
      nextDelay(p, 1, undefined, () => 0),
      4000,
    );
    assert.equal(
      nextDelay(p, 1, undefined, () => 1),
      5000,
    );
  });

  it('stops after the last attempt', () => {
    assert.equal(nextDelay(policy(1), 8), undefined);
    assert.equal(nextDelay(policy(1), 8, 1000), undefined);
  });

  it('honours Retry-After within bounds', () => {
    const p = policy(1);
    assert.equal(nextDelay(p, 1, 30_000), 30_000);
    assert.equal(nextDelay(p, 1, 0), 1000);
    assert.equal(nextDelay(p, 1, 86_400_000), 3_600_000);
    assert.equal(parseRetryAfter('120'), 120_000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
