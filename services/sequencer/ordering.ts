/**
 * The sequencer's decisions for ONE resource, as pure functions over a plain state object (no
 * Kafka, no clock of its own): given the last applied ordering value and the held-back events,
 * an incoming event is applied, held, stale or a duplicate.
 *
 * Rules by envelope.ordering.kind (each provider module states which it uses):
 * - SEQUENCE: contiguous integers. `expected` = last + 1 (or `firstSequence` before anything was
 *   applied). Equal → applied, then every held successor that is now contiguous. Greater →
 *   held until the predecessor arrives or the hold-back deadline of the oldest held event passes;
 *   then the lowest held is released with a gap marker {expected, received}. Lower → already
 *   applied (duplicate when its id is remembered) or late after a gap release (stale).
 * - VERSION: an older version than the applied one is stale; equal or newer is applied.
 * - STATUS: (statusRank, value) compared in that order; lower is stale; equal or higher applied.
 * - NONE (or a missing value): arrival order.
 * Idempotence on eventId: the ids of the last `recentIds` applied events and of every held event
 * are remembered; an exact re-delivery of one of them is a duplicate (dropped, counted), so a
 * replay never emits an applied event twice.
 */
import type { OrderingKind } from '../common/contracts/index.ts';

export interface Orderable {
  readonly eventId: string;
  readonly ordering: { readonly kind: OrderingKind; readonly value: number | null; readonly statusRank: number | null };
}

export interface HeldEvent<E> {
  readonly event: E;
  readonly seq: number;
  /** Wall-clock ms when it was held: the hold-back deadline is heldAt + holdBackMs. */
  readonly heldAt: number;
  readonly bytes: number;
}

export interface ResourceState<E> {
  kind: OrderingKind | null;
  /** Last applied ordering value (sequence, version, or occurred-at for STATUS). */
  value: number | null;
  rank: number | null;
  /** How many events were applied to this resource (DomainEvent.position of the last). */
  position: number;
  /** Ids of the last applied events, newest last. */
  recent: string[];
  /** Held-back SEQUENCE events, ascending by seq. */
  held: HeldEvent<E>[];
}

export interface Gap {
  readonly expected: number;
  readonly received: number;
}

export type StaleReason = 'older_version' | 'lower_status' | 'behind_sequence' | 'conflicting_sequence';

export type Emit<E> =
  | {
      readonly type: 'apply';
      readonly event: E;
      readonly position: number;
      readonly gap: Gap | null;
      readonly cause: 'in_order' | 'deadline' | 'overflow';
    }
  | { readonly type: 'stale'; readonly event: E; readonly position: number; readonly reason: StaleReason }
  | { readonly type: 'duplicate'; readonly event: E }
  | { readonly type: 'held'; readonly event: E };

export interface OrderingOptions {
  readonly holdBackMs: number;
  readonly firstSequence: number;
  readonly recentIds: number;
  readonly maxHeldPerResource: number;
  readonly maxHeldBytesPerResource: number;
}

export const DEFAULT_ORDERING: OrderingOptions = {
  holdBackMs: 60_000,
  firstSequence: 1,
  recentIds: 32,
  maxHeldPerResource: 1000,
  maxHeldBytesPerResource: 256 * 1024,
};

export function emptyState<E>(): ResourceState<E> {
  return { kind: null, value: null, rank: null, position: 0, recent: [], held: [] };
}

function applyTo<E extends Orderable>(
  s: ResourceState<E>,
  ev: E,
  o: OrderingOptions,
  gap: Gap | null,
  cause: 'in_order' | 'deadline' | 'overflow',
): Emit<E> {
  s.kind = ev.ordering.kind;
  if (ev.ordering.value !== null) s.value = ev.ordering.value;
  s.rank = ev.ordering.statusRank;
  s.position += 1;
  s.recent.push(ev.eventId);
  if (s.recent.length > o.recentIds) s.recent.splice(0, s.recent.length - o.recentIds);
  return { type: 'apply', event: ev, position: s.position, gap, cause };
}

function expectedSeq<E>(s: ResourceState<E>, o: OrderingOptions): number {
  return s.kind === 'SEQUENCE' && s.value !== null ? s.value + 1 : o.firstSequence;
}

/** Applies every held event that is now contiguous. */
function drain<E extends Orderable>(s: ResourceState<E>, o: OrderingOptions, out: Emit<E>[]): void {
  while (s.held.length > 0 && s.held[0]!.seq === expectedSeq(s, o)) {
    const h = s.held.shift()!;
    out.push(applyTo(s, h.event, o, null, 'in_order'));
  }
}

/** Releases the lowest held event with a gap marker (deadline passed or a bound was hit), then drains. */
export function releaseLowest<E extends Orderable>(
  s: ResourceState<E>,
  o: OrderingOptions,
  cause: 'deadline' | 'overflow',
  out: Emit<E>[],
): void {
  const h = s.held.shift();
  if (!h) return;
  const expected = expectedSeq(s, o);
  out.push(applyTo(s, h.event, o, h.seq === expected ? null : { expected, received: h.seq }, cause));
  drain(s, o, out);
}

export const heldBytes = <E>(s: ResourceState<E>): number => s.held.reduce((n, h) => n + h.bytes, 0);

/** Earliest hold-back deadline of this resource, or undefined when nothing is held. */
export function deadlineOf<E>(s: ResourceState<E>, o: OrderingOptions): number | undefined {
  if (s.held.length === 0) return undefined;
  let min = Infinity;
  for (const h of s.held) min = Math.min(min, h.heldAt);
  return min + o.holdBackMs;
}

/** Decides one incoming event. Mutates `s`; returns what to emit, in order. */
export function accept<E extends Orderable>(
  s: ResourceState<E>,
  ev: E,
  now: number,
  bytes: number,
  o: OrderingOptions,
): Emit<E>[] {
  const out: Emit<E>[] = [];
  if (s.recent.includes(ev.eventId) || s.held.some((h) => h.event.eventId === ev.eventId)) {
    out.push({ type: 'duplicate', event: ev });
    return out;
  }
  const { kind, value } = ev.ordering;
  // A resource whose events change kind (a source reconfigured) restarts its comparison.
  const comparable = value !== null && (s.kind === null || s.kind === kind);
  if (!comparable || kind === 'NONE') {
    if (value === null || kind === 'NONE') {
      out.push(applyTo(s, ev, o, null, 'in_order'));
      return out;
    }
    s.value = null;
    s.rank = null;
  }
  switch (kind) {
    case 'SEQUENCE': {
      const seq = value;
      const expected = expectedSeq(s, o);
      const nothingApplied = s.value === null;
      if (seq === expected || (nothingApplied && seq < expected)) {
        out.push(applyTo(s, ev, o, null, 'in_order'));
        drain(s, o, out);
      } else if (seq < expected) {
        out.push({ type: 'stale', event: ev, position: s.position, reason: 'behind_sequence' });
      } else if (s.held.some((h) => h.seq === seq)) {
        out.push({ type: 'stale', event: ev, position: s.position, reason: 'conflicting_sequence' });
      } else {
        const idx = s.held.findIndex((h) => h.seq > seq);
        const entry: HeldEvent<E> = { event: ev, seq, heldAt: now, bytes };
        if (idx < 0) s.held.push(entry);
        else s.held.splice(idx, 0, entry);
        out.push({ type: 'held', event: ev });
        while (
          s.held.length > o.maxHeldPerResource ||
          (s.held.length > 0 && heldBytes(s) > o.maxHeldBytesPerResource)
        ) {
          releaseLowest(s, o, 'overflow', out);
        }
      }
      return out;
    }
    case 'VERSION': {
      if (s.value !== null && value < s.value)
        out.push({ type: 'stale', event: ev, position: s.position, reason: 'older_version' });
      else out.push(applyTo(s, ev, o, null, 'in_order'));
      return out;
    }
    case 'STATUS': {
      const rank = ev.ordering.statusRank ?? 0;
      const lower = s.value !== null && (rank < (s.rank ?? 0) || (rank === (s.rank ?? 0) && value < s.value));
      if (lower) out.push({ type: 'stale', event: ev, position: s.position, reason: 'lower_status' });
      else out.push(applyTo(s, ev, o, null, 'in_order'));
      return out;
    }
    default:
      out.push(applyTo(s, ev, o, null, 'in_order'));
      return out;
  }
}

/** Releases held events whose hold-back deadline passed (oldest held first), in sequence order. */
export function releaseDue<E extends Orderable>(s: ResourceState<E>, now: number, o: OrderingOptions): Emit<E>[] {
  const out: Emit<E>[] = [];
  for (let d = deadlineOf(s, o); d !== undefined && d <= now; d = deadlineOf(s, o))
    releaseLowest(s, o, 'deadline', out);
  return out;
}
