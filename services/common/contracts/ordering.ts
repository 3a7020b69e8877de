/** How the sequencer orders events of one resource. Each provider states its rule per event. */

export type OrderingKind =
  /** Contiguous integer sequence: gaps are held back until filled or a deadline passes. */
  | 'SEQUENCE'
  /** Monotonic version or updated-at: an older value never overwrites a newer one. */
  | 'VERSION'
  /** Status progression rank first, then occurred-at: a late "processing" never follows "delivered". */
  | 'STATUS'
  /** No ordering value: applied in arrival order. */
  | 'NONE';

export interface Ordering {
  readonly kind: OrderingKind;
  /** Sequence number, version, or epoch milliseconds; null for NONE. */
  readonly value: number | null;
  /** Status rank for STATUS (higher = later in the lifecycle); null otherwise. */
  readonly statusRank: number | null;
}
