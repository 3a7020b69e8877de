/**
 * Mollie classic webhooks carry only `id`: the object is fetched with the source's API key
 * (`Authorization: Bearer <key>`, https://docs.mollie.com/reference/authentication) from
 * `GET /v2/payments/{id}` (tr_…, https://docs.mollie.com/reference/get-payment) or `GET /v2/orders/{id}`
 * (ord_…, https://docs.mollie.com/reference/get-order). Other ids (subscriptions, …) have no canonical
 * record: nothing to fetch. Default base: https://api.mollie.com.
 *
 * Ordering once fetched: STATUS. The classic body has no time and no version; the fetched object has
 * its status (rank below: a payment's and an order's lifecycle only moves forward, a final status
 * never returns to open) and the time that status was reached (the latest of createdAt, authorizedAt,
 * paidAt, canceledAt, expiredAt, failedAt, completedAt), so an object fetched earlier never applies
 * over one fetched later. Two fetches of the same state compare equal and are both applied (a refund
 * leaves a payment `paid` with a larger amountRefunded: the later fetch then carries it).
 */
import { embedEntity, apiBaseUrlOf, type Enrichment } from '../enrichment.ts';
import { at, text, time } from '../canonical.ts';
import { rankOf, type StatusRanks } from '../core/status.ts';
import type { Ordering } from '../types.ts';

const PATHS: readonly (readonly [string, string])[] = [
  ['tr_', 'payments'],
  ['ord_', 'orders'],
];

/** Status ranks by `resource` (docs.mollie.com/reference/get-payment, get-order: status values). */
export const MOLLIE_STATUS_RANKS: Readonly<Record<string, StatusRanks>> = {
  payment: { open: 0, pending: 1, authorized: 2, paid: 3, canceled: 3, expired: 3, failed: 3 },
  order: { created: 0, pending: 1, authorized: 2, paid: 3, shipping: 4, completed: 5, canceled: 5, expired: 5 },
};
const STATUS_TIMES = ['createdAt', 'authorizedAt', 'paidAt', 'canceledAt', 'expiredAt', 'failedAt', 'completedAt'];

/** STATUS ordering of a fetched payment or order; null for other objects or without any time. */
export function mollieOrdering(embedded: unknown): Ordering | null {
  const obj = at(embedded, '_embedded.entity');
  const ranks = MOLLIE_STATUS_RANKS[text(at(obj, 'resource')) ?? ''];
  if (ranks === undefined) return null;
  let latest: number | null = null;
  for (const k of STATUS_TIMES) {
    const t = time(at(obj, k));
    if (t !== null && (latest === null || t > latest)) latest = t;
  }
  if (latest === null) return null;
  return { kind: 'STATUS', value: latest, statusRank: rankOf(ranks, text(at(obj, 'status')) ?? undefined) };
}

export const mollieEnrichment: Enrichment = {
  request(payload, source, apiKey) {
    if (at(payload, '_embedded.entity') !== undefined) return null;
    const id = text(at(payload, 'id'));
    const kind = id === null ? undefined : PATHS.find(([prefix]) => id.startsWith(prefix));
    if (id === null || kind === undefined || !/^[A-Za-z0-9_]+$/.test(id)) return null;
    return {
      url: `${apiBaseUrlOf(source, 'https://api.mollie.com')}/v2/${kind[1]}/${id}`,
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    };
  },
  embed: embedEntity,
  ordering: mollieOrdering,
};
