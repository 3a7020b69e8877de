/**
 * What a delivery to one endpoint passes before its request is sent: the endpoint's circuit
 * breaker, its rate limit (token bucket) and its concurrency limit. A delivery that cannot go soon
 * is deferred, not held: the lane parks it durably until the given time, so a slow, dead or
 * throttled endpoint holds no Kafka offsets and no memory, and never slows the others.
 *
 * The rate limit is shared by all dispatcher instances when a limiter is given (the service
 * passes the Redis token bucket of common/rate-limit.ts, keyed by endpoint: N instances together
 * stay within the endpoint's rate; while Redis is unreachable each instance falls back to its own
 * bucket, so up to N times the rate). The breaker and the concurrency limit are per instance: with
 * N instances an endpoint can see up to N times its concurrency. Lanes of one resource live on one
 * instance, so order does not depend on any of it.
 */
import { ruleOf, type RateLimiter } from '../common/rate-limit.ts';
import { CircuitBreaker, type BreakerOptions } from './breaker.ts';

export class TokenBucket {
  readonly #rate: number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, now: number) {
    this.#rate = ratePerSecond;
    this.#tokens = ratePerSecond;
    this.#at = now;
  }

  /** 0 = go now; >0 = reserved, go after that many ms; <0 = would wait -result ms (> maxWaitMs): not reserved. */
  reserve(now: number, maxWaitMs: number): number {
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    const wait = Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
    if (wait > maxWaitMs) return -wait;
    this.#tokens -= 1;
    return wait;
  }
}

export interface GateOptions {
  readonly breaker: BreakerOptions;
  /** Max requests in flight to one endpoint. */
  readonly concurrency: number;
  /** Max deliveries waiting for a slot; beyond that they are deferred. */
  readonly maxQueued: number;
  /** Longest in-memory wait for a rate-limit token; beyond that the delivery is deferred. */
  readonly maxRateWaitMs: number;
  /** How far a delivery is deferred when the concurrency queue is full. */
  readonly busyDeferMs: number;
  /** The rate limit shared across instances; without it, an in-memory bucket per instance. */
  readonly limiter?: RateLimiter;
}

export type Verdict = 'success' | 'failure' | 'neutral';

export type Entry =
  | {
      readonly go: true;
      readonly wait: number;
      release(verdict: Verdict, now: number): { opened: boolean; closed: boolean };
    }
  | { readonly go: false; readonly until: number; readonly why: 'circuit_open' | 'rate_limited' | 'busy' };

export class EndpointGate {
  readonly breaker: CircuitBreaker;
  readonly #o: GateOptions;
  #bucket: TokenBucket | undefined;
  #rate: number | null = null;
  #inFlight = 0;
  readonly #waiters: (() => void)[] = [];

  readonly #id: string;

  constructor(o: GateOptions, endpointId = 'endpoint') {
    this.#o = o;
    this.#id = endpointId;
    this.breaker = new CircuitBreaker(o.breaker);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves when the delivery may start (after any rate wait), or with a deferral. */
  async enter(now: number, ratePerSecond: number | null): Promise<Entry> {
    const admission = this.breaker.admit(now);
    if (!admission.ok) return { go: false, until: admission.retryAt, why: 'circuit_open' };
    if (this.#inFlight >= this.#o.concurrency) {
      if (this.#waiters.length >= this.#o.maxQueued)
        return this.#unprobe({ go: false, until: now + this.#o.busyDeferMs, why: 'busy' });
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    } else this.#inFlight++;
    let wait = 0;
    if (ratePerSecond !== null && ratePerSecond > 0) {
      const r = this.#o.limiter ? await this.#shared(this.#o.limiter, ratePerSecond) : this.#local(ratePerSecond, now);
      if (r < 0) {
        this.#next();
        return this.#unprobe({ go: false, until: Date.now() - r, why: 'rate_limited' });
      }
      wait = r;
    }
    let released = false;
    return {
      go: true,
      wait,
      release: (verdict, at) => {
        if (released) return { opened: false, closed: false };
        released = true;
        this.#next();
        if (verdict === 'success') return { opened: false, closed: this.breaker.onSuccess() };
        if (verdict === 'failure') return { opened: this.breaker.onFailure(at), closed: false };
        this.breaker.onNeutral();
        return { opened: false, closed: false };
      },
    };
  }

  /** The per-instance bucket: 0 = go, >0 = go after that many ms (reserved), <0 = defer. */
  #local(ratePerSecond: number, now: number): number {
    if (this.#rate !== ratePerSecond) {
      this.#bucket = new TokenBucket(ratePerSecond, now);
      this.#rate = ratePerSecond;
    }
    return this.#bucket!.reserve(Date.now(), this.#o.maxRateWaitMs);
  }

  /**
   * The shared bucket cannot reserve a future token, so a short wait (≤ maxRateWaitMs) is slept
   * here and the token taken again (other instances may win it: a few rounds, then defer).
   */
  async #shared(limiter: RateLimiter, ratePerSecond: number): Promise<number> {
    const rule = ruleOf({ rateLimitPerSecond: ratePerSecond })!; // burst: one second's worth, as for sources
    for (let round = 0; ; round++) {
      const d = await limiter.take(this.#id, rule);
      if (d.allowed) return 0;
      if (d.retryAfterMs > this.#o.maxRateWaitMs || round === 4) return -d.retryAfterMs;
      await new Promise((r) => setTimeout(r, d.retryAfterMs));
    }
  }

  #unprobe<T>(e: T): T {
    this.breaker.onNeutral();
    return e;
  }

  /** Hands the slot to the next waiter, or frees it. */
  #next(): void {
    const w = this.#waiters.shift();
    if (w) w();
    else this.#inFlight--;
  }
}
