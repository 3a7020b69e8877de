/**
 * Exact Online notifications carry Topic, Action and Key: a SalesOrders Create/Update is fetched from
 * `GET {base}/api/v1/{Division}/salesorder/SalesOrders(guid'{Key}')?$expand=SalesOrderLines` with the
 * division's OAuth access token (`Authorization: Bearer`; https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=SalesOrderSalesOrders).
 * The answer is OData v2 JSON, `{"d": {...}}` (or `{"d": {"results": [...]}}`); the entity goes to
 * `_embedded.entity`. A Delete has nothing to fetch; other topics have no canonical record.
 * Base URL: options.apiBaseUrl, else the origin of the notification's ExactOnlineEndpoint when it is an
 * Exact host (the division's country: start.exactonline.be, .nl, …), else https://start.exactonline.nl.
 * Token refresh (Exact's access tokens live 10 minutes) is the job of whatever writes the key file.
 */
import { at, text } from '../canonical.ts';
import { embedEntity, apiBaseUrlOf, type Enrichment } from '../enrichment.ts';

function exactOrigin(endpoint: string | null): string {
  try {
    const u = new URL(endpoint ?? '');
    return u.protocol === 'https:' && /^start\.exactonline\.[a-z.]+$/.test(u.hostname)
      ? u.origin
      : 'https://start.exactonline.nl';
  } catch {
    return 'https://start.exactonline.nl';
  }
}

export const exactEnrichment: Enrichment = {
  request(payload, source, apiKey) {
    if (at(payload, '_embedded.entity') !== undefined) return null;
    const topic = text(at(payload, 'Content.Topic'));
    const action = text(at(payload, 'Content.Action'))?.toLowerCase();
    const division = text(at(payload, 'Content.Division'));
    const key = text(at(payload, 'Content.Key'));
    if (topic !== 'SalesOrders' || action === 'delete' || division === null || key === null) return null;
    if (!/^\d+$/.test(division) || !/^[0-9a-fA-F-]{36}$/.test(key)) return null;
    const base = apiBaseUrlOf(source, exactOrigin(text(at(payload, 'Content.ExactOnlineEndpoint'))));
    return {
      url: `${base}/api/v1/${division}/salesorder/SalesOrders(guid'${key}')?$expand=SalesOrderLines`,
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    };
  },
  embed(payload, response) {
    const d = at(response, 'd');
    const results = at(d, 'results');
    return embedEntity(payload, Array.isArray(results) ? results[0] : d);
  },
};
