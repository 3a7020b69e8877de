/** Exponential backoff with full jitter, and a retry loop that asks the error whether to go on. */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetriable } from './errors.ts';

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  /** 0..1: 1 = full jitter (uniform in [0, delay]); 0 = none. */
  readonly jitter?: number;
}

export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * (o.factor ?? 2) ** Math.max(0, attempt));
  const j = o.jitter ?? 1;
  return Math.round(base * (1 - j) + base * j * random());
}

export interface RetryOptions extends BackoffOptions {
  /** Max attempts; Infinity = until success, a non-retriable error, or abort. */
  readonly attempts: number;
  readonly signal?: AbortSignal;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetriable(err) || attempt + 1 >= o.attempts || o.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, o);
      o.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, o.signal ? { signal: o.signal } : undefined);
    }
  }
}
