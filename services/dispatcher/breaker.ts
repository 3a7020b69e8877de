/**
 * Per-endpoint circuit breaker. Closed: requests go. After `failureThreshold` consecutive failures
 * it opens for `openMs`; then one probe is let through (half-open): success closes it, failure
 * opens it again for twice as long (up to `maxOpenMs`). While open, deliveries to the endpoint are
 * deferred (parked durably) without spending an attempt, so a dead endpoint costs nothing.
 */
export interface BreakerOptions {
  readonly failureThreshold: number;
  readonly openMs: number;
  readonly maxOpenMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAt: number };

export class CircuitBreaker {
  readonly #o: BreakerOptions;
  #failures = 0;
  #openUntil = 0;
  #openedAt = 0;
  #openFor: number;
  #probing = false;
  #state: BreakerState = 'closed';

  constructor(o: BreakerOptions) {
    this.#o = o;
    this.#openFor = o.openMs;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** While not closed: when the breaker opened (kept across re-opens) and when its open period ends. */
  get openedAt(): number {
    return this.#openedAt;
  }

  get openUntil(): number {
    return this.#openUntil;
  }

  admit(now: number): Admission {
    if (this.#state === 'closed') return { ok: true };
    if (this.#state === 'open') {
      if (now < this.#openUntil) return { ok: false, retryAt: this.#openUntil };
      this.#state = 'half-open';
    }
    if (this.#probing) return { ok: false, retryAt: now + Math.min(this.#o.openMs, 1000) };
    this.#probing = true;
    return { ok: true };
  }

  /** Returns true when this success closed an open/half-open circuit. */
  onSuccess(): boolean {
    const wasOpen = this.#state !== 'closed';
    this.#failures = 0;
    this.#probing = false;
    this.#state = 'closed';
    this.#openFor = this.#o.openMs;
    return wasOpen;
  }

  /** The admitted request was not sent (deferred): a half-open probe slot is given back. */
  onNeutral(): void {
    this.#probing = false;
  }

  /** Returns true when this failure opened the circuit. */
  onFailure(now: number): boolean {
    this.#failures++;
    if (this.#state === 'half-open') {
      this.#probing = false;
      this.#openFor = Math.min(this.#o.maxOpenMs, this.#openFor * 2);
      this.#open(now);
      return true;
    }
    if (this.#state === 'closed' && this.#failures >= this.#o.failureThreshold) {
      this.#open(now);
      return true;
    }
    return false;
  }

  #open(now: number): void {
    if (this.#state === 'closed') this.#openedAt = now;
    this.#state = 'open';
    this.#openUntil = now + this.#openFor;
  }
}
