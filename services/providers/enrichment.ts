/**
 * Thin webhooks (Mollie classic `id=tr_…`, Exact Online "Key changed") carry no state: the processors'
 * enrichment step (services/processors/builtins/enrich.ts) fetches the object from the provider's REST
 * API before the canonical record is derived. A provider module says HOW (pure: no network here): which
 * GET fetches the event's object, and where the answer goes in the payload so that its canonical
 * mapping reads it. The processors do the I/O.
 *
 * Source options (validated at start with the module's other options):
 * - apiKey: the credential, literal or `env:NAME` (resolved from the process environment by the
 *   service's main); or apiKeyFile: a file holding it (a mounted secret), read when needed.
 * - apiBaseUrl: the API's base URL; default the provider's real API. Tests point it at loopback.
 */
import { isRecord } from './core/parse.ts';
import type { SourceConfig, SourceOptions } from './types.ts';

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
