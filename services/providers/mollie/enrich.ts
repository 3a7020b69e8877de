/**
 * Mollie classic webhooks carry only `id`: the object is fetched with the source's API key
 * (`Authorization: Bearer <key>`, https://docs.mollie.com/reference/authentication) from
 * `GET /v2/payments/{id}` (tr_…, https://docs.mollie.com/reference/get-payment) or `GET /v2/orders/{id}`
 * (ord_…, https://docs.mollie.com/reference/get-order). Other ids (subscriptions, …) have no canonical
 * record: nothing to fetch. Default base: https://api.mollie.com.
 */
import { embedEntity, apiBaseUrlOf, type Enrichment } from '../enrichment.ts';
import { at, text } from '../canonical.ts';

const PATHS: readonly (readonly [string, string])[] = [
  ['tr_', 'payments'],
  ['ord_', 'orders'],
];

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
};
