/**
 * One base error that knows whether retrying can help (as KafkaJS's errors do).
 * Retry and DLQ decisions read `retriable`, never the message text.
 */
export class HooklineError extends Error {
  readonly retriable: boolean;
  /** Machine-readable reason, e.g. "missing_field", "redis_unavailable". */
  readonly reason: string;
  constructor(message: string, opts: { retriable: boolean; reason: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable;
    this.reason = opts.reason;
  }
}

/** Retrying cannot help (bad payload, unknown type): send to a DLQ. */
export class PermanentError extends HooklineError {
  constructor(message: string, reason = 'permanent', cause?: unknown) {
    super(message, { retriable: false, reason, cause });
  }
}

/** A dependency is down or slow: retry later, keep order. */
export class TransientError extends HooklineError {
  /** Optional hint for when to retry, ms. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, reason = 'transient', cause?: unknown, retryAfterMs?: number) {
    super(message, { retriable: true, reason, cause });
    this.retryAfterMs = retryAfterMs;
  }
}

/** Configuration is invalid: fail fast at start-up, naming the variable. */
export class ConfigError extends HooklineError {
  constructor(message: string) {
    super(message, { retriable: false, reason: 'config' });
  }
}

/**
 * Classifies any error. Unknown errors count as retriable: an event is never dead-lettered
 * because of a bug we have not classified; it waits (bounded by the stage's retry policy).
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof HooklineError) return err.retriable;
  if (err && typeof err === 'object' && 'retriable' in err) return Boolean(err.retriable);
  return true;
}

export function reasonOf(err: unknown): string {
  if (err instanceof HooklineError) return err.reason;
  if (err && typeof err === 'object' && 'reason' in err && typeof err.reason === 'string') return err.reason;
  return err instanceof Error ? err.name : 'unknown';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
