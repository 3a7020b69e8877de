/**
 * Status ranks for STATUS ordering (MyParcel, SendCloud, Stripe, generic mappings): higher = later
 * in the lifecycle, so a late "processing" never follows "delivered". A source may override a
 * provider's table with options.statusRanks = { "<status>": rank }; unknown statuses rank 0.
 */
import type { SourceOptions } from '../types.ts';

export type StatusRanks = Readonly<Record<string, number>>;

/** Rank of `status`: the source's override, else the provider's table, else 0. */
export function rankOf(table: StatusRanks, status: string | undefined, options: SourceOptions = {}): number {
  if (status === undefined) return 0;
  const o = options['statusRanks'];
  if (o !== null && typeof o === 'object') {
    const r = (o as Record<string, unknown>)[status];
    if (typeof r === 'number' && Number.isFinite(r)) return r;
  }
  return table[status] ?? 0;
}

/** Problems with options.statusRanks (empty = fine); `what` names the keys, e.g. "status codes". */
export function statusRanksProblems(provider: string, what: string, options: SourceOptions): string[] {
  const o = options['statusRanks'];
  if (o === undefined) return [];
  return o === null || typeof o !== 'object' || Object.values(o).some((v) => typeof v !== 'number')
    ? [`${provider}: options.statusRanks must map ${what} to numbers`]
    : [];
}
