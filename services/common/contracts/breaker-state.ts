/**
 * Circuit breaker states, written by the dispatcher (the owner) and read by the admin for the
 * endpoint API and console. A breaker lives in each dispatcher process's memory; on every
 * transition the instance writes its view of the endpoint to one Redis hash:
 *
 *   {p}ep:breaker:{endpointId}  hash  instance id → BreakerRecord JSON (dispatcher writes, admin reads)
 *
 * opened → HSET (again on each re-open after a failed probe), closed → HDEL, clean shutdown →
 * HDEL of the instance's fields. The key's TTL (PEXPIRE … GT) outlives the latest record, and the
 * reader ignores a record past its `expiresAt`, so a crashed instance's view fades out by itself.
 * An open breaker whose open period has ended is half-open: the next delivery is its probe. That
 * moment needs no write (the reader sees `until` pass); a half-open breaker with no traffic stays
 * visible until `expiresAt` (HALF_OPEN_VISIBLE_MS after `until`), then reads as closed.
 */

export type BreakerStateName = 'closed' | 'open' | 'half_open';

/** One dispatcher instance's open breaker for one endpoint. */
export interface BreakerRecord {
  /** Epoch ms the breaker opened (kept across re-opens after failed probes). */
  readonly since: number;
  /** Epoch ms its open period ends (then half-open: one probe is let through). */
  readonly until: number;
  /** Epoch ms after which the record is ignored (the instance may be gone). */
  readonly expiresAt: number;
}

/** What the admin shows: every instance's view combined. */
export interface BreakerView {
  /** open if any instance has it open; else half_open if any is half-open; else closed. */
  readonly state: BreakerStateName;
  /** Earliest opening among the instances reporting it not closed; null when closed. */
  readonly since: string | null;
  /** Latest end of an open period among them; null when closed. */
  readonly until: string | null;
  /** Dispatcher instances reporting it open or half-open (the others have it closed). */
  readonly instances: number;
}

export const HALF_OPEN_VISIBLE_MS = 5 * 60_000;

export const breakerKey = (prefix: string, endpointId: string): string => `${prefix}ep:breaker:${endpointId}`;

export const CLOSED: BreakerView = { state: 'closed', since: null, until: null, instances: 0 };

function parse(raw: string): BreakerRecord | undefined {
  try {
    const r = JSON.parse(raw) as Partial<BreakerRecord>;
    return typeof r.since === 'number' && typeof r.until === 'number' && typeof r.expiresAt === 'number'
      ? { since: r.since, until: r.until, expiresAt: r.expiresAt }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Combines the instances' records (the hash's values) into one view at `now`. */
export function combineBreakers(raw: readonly string[], now: number): BreakerView {
  const live = raw.map(parse).filter((r): r is BreakerRecord => r !== undefined && r.expiresAt > now);
  if (live.length === 0) return CLOSED;
  const open = live.filter((r) => r.until > now);
  return {
    state: open.length > 0 ? 'open' : 'half_open',
    since: new Date(Math.min(...live.map((r) => r.since))).toISOString(),
    until: new Date(Math.max(...live.map((r) => r.until))).toISOString(),
    instances: live.length,
  };
}
