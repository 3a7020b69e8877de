/**
 * Thin webhooks (Mollie classic `id=tr_…`, Exact Online "Key changed") carry no state: the validator
 * sends their envelope to webhooks.enrich instead of webhooks.normalized (needsEnrichment below), and the
 * enrichment stage (services/processors/enrich/) fetches the object from the provider's REST API, fills
 * payload, canonical record and ordering, and writes the envelope to webhooks.normalized, before the
 * sequencer. A provider module says HOW (pure: no network here): which GET fetches the event's object,
 * where the answer goes in the payload so that its canonical mapping reads it, and, when the object
 * carries it, the ordering value the sequencer uses. The processors do the I/O.
 *
 * Source options (validated at start with the module's other options):
 * - apiKey: the credential, literal or `env:NAME` (resolved from the process environment by the
 *   service's main); or apiKeyFile: a file holding it (a mounted secret), read when needed.
 * - apiBaseUrl: the API's base URL; default the provider's real API. Tests point it at loopback.
 */
import { isRecord } from './core/parse.ts';
import type { Ordering, ProviderModule, SourceConfig, SourceOptions } from './types.ts';

export interface EnrichmentRequest {
  /** Absolute URL of the GET. Holds ids only, never a secret (it appears in errors). */
  readonly url: string;
  /** Request headers, the credential included (never logged). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface Enrichment {
  /** The GET that fetches this event's object, or null when there is nothing to fetch (a deletion). */
  request(payload: unknown, source: SourceConfig, apiKey: string): EnrichmentRequest | null;
  /** The payload with the fetched object placed where the provider's canonical mapping reads it. */
  embed(payload: unknown, response: unknown): unknown;
  /**
   * The ordering of the event once its object is known (the embedded payload), or null to keep the
   * notification's own. Mollie classic has none without it: the fetched status and its time make it
   * orderable at all.
   */
  ordering?(embedded: unknown): Ordering | null;
}

/** True when the source is configured with an API credential (options.apiKey or options.apiKeyFile). */
export function hasApiCredential(source: SourceConfig): boolean {
  const { apiKey, apiKeyFile } = source.options;
  return (typeof apiKey === 'string' && apiKey !== '') || (typeof apiKeyFile === 'string' && apiKeyFile !== '');
}

/**
 * True when this event's object must be fetched before it is emitted: the provider has an enrichment,
 * the source has a credential, and the payload names something to fetch. Pure (request() builds a URL,
 * it sends nothing; the key passed here is a placeholder that never leaves this call).
 */
export function needsEnrichment(p: ProviderModule, payload: unknown, source: SourceConfig): boolean {
  return p.enrichment !== undefined && hasApiCredential(source) && p.enrichment.request(payload, source, '-') !== null;
}

/** The payload with `_embedded.entity` = the fetched object (where Mollie's next-gen events carry it too). */
export function embedEntity(payload: unknown, entity: unknown): unknown {
  return { ...(isRecord(payload) ? payload : {}), _embedded: { entity } };
}

/** options.apiBaseUrl without a trailing slash, else the default. */
export function apiBaseUrlOf(source: SourceConfig, fallback: string): string {
  const v = source.options['apiBaseUrl'];
  return (typeof v === 'string' && v !== '' ? v : fallback).replace(/\/+$/, '');
}

/** Problems with the enrichment options (empty = fine). */
export function validateEnrichmentOptions(name: string, options: SourceOptions): string[] {
  const problems: string[] = [];
  for (const k of ['apiKey', 'apiKeyFile'] as const) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'string' || v === '')) problems.push(`${name}: options.${k} must be a string`);
  }
  if (options['apiKey'] !== undefined && options['apiKeyFile'] !== undefined)
    problems.push(`${name}: set options.apiKey or options.apiKeyFile, not both`);
  const base = options['apiBaseUrl'];
  if (base !== undefined) {
    let ok = false;
    try {
      ok = typeof base === 'string' && ['http:', 'https:'].includes(new URL(base).protocol);
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`${name}: options.apiBaseUrl must be an http(s) URL`);
  }
  return problems;
}
