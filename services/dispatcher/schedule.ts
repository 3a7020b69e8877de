/**
 * The retry schedule is configuration (as Svix's retry_schedule): the delay before each attempt,
 * the first being 0 ("immediately"). Its length is the maximum number of attempts. Each delay is
 * the exponential step of the schedule with jitter applied (1 = full jitter: uniform in [0, step]),
 * so endpoints recovering from an outage are not hit by every retry at once. A 429/503 with
 * Retry-After replaces the step, clamped to [min, max].
 */
import { ConfigError } from '../common/errors.ts';

/** Svix's default: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, name = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`${name}: "${text}" is not a duration (e.g. 500ms, 5s, 5m, 2h)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

export function parseSchedule(text: string, name = 'DISPATCHER_RETRY_SCHEDULE'): readonly number[] {
  const steps = text.split(',').map((s) => parseDuration(s, name));
  if (steps.length === 0) throw new ConfigError(`${name} must list at least one delay`);
  return Object.freeze(steps);
}

export interface RetryPolicy {
  /** Delay before attempt i+1 (index 0 = first attempt). */
  readonly schedule: readonly number[];
  /** 0..1; 1 = full jitter. */
  readonly jitter: number;
  readonly retryAfterMinMs: number;
  readonly retryAfterMaxMs: number;
}

export const maxAttempts = (p: RetryPolicy): number => p.schedule.length;

/**
 * Delay before the next attempt after `attempt` (1-based) failed; undefined = no attempts left.
 * `retryAfterMs` (from the endpoint's Retry-After) takes the place of the scheduled step.
 */
export function nextDelay(
  p: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= p.schedule.length) return undefined;
  if (retryAfterMs !== undefined) return Math.min(p.retryAfterMaxMs, Math.max(p.retryAfterMinMs, retryAfterMs));
  const step = p.schedule[attempt]!;
  return Math.round(step * (1 - p.jitter) + step * p.jitter * random());
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
