/**
 * The I/O of enrichment: one thin envelope (Mollie classic `id=tr_…`, Exact Online "Key changed") →
 * the same envelope with its object fetched from the provider's REST API with the source's credential,
 * embedded in the payload where the provider's canonical mapping reads it, the canonical record derived
 * from it, and the ordering the provider derives from the object (Mollie: status and its time). The
 * provider module says which GET and where the answer goes (providers/enrichment.ts); stage.ts decides
 * what a failure means for the record.
 *
 * Failures are classified for stage.ts, never from message text:
 * - 5xx, 408, 429, timeout, connection error, unreadable key file → TransientError (retry topics);
 * - any other 4xx, an answer that is not JSON, an object the mapping refuses, a missing `env:` key →
 *   PermanentError (webhooks.dlq). Errors name the URL (ids only) and the status, never the credential.
 * The credential is never logged and never put in an error.
 */
import { readFile } from 'node:fs/promises';
import type { NormalizedEnvelope } from '../../common/contracts/index.ts';
import { PermanentError, TransientError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { SourceStore } from '../../common/sources.ts';
import { resolveSource } from '../../common/sources.ts';
import { canonicalOf, parseExact } from '../../providers/canonical.ts';
import type { ProviderModule, SourceConfig } from '../../providers/types.ts';

export interface FetcherDeps {
  readonly sources: SourceStore;
  readonly provider: (name: string) => ProviderModule | undefined;
  /** For apiKey "env:NAME" (the service's main passes its environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

export interface Fetcher {
  /** The envelope with its object fetched; unchanged when there is nothing to fetch. */
  enrich(e: NormalizedEnvelope): Promise<NormalizedEnvelope>;
}

async function apiKeyOf(source: SourceConfig, env: FetcherDeps['env']): Promise<string | undefined> {
  const key = source.options['apiKey'];
  if (typeof key === 'string' && key !== '') {
    if (!key.startsWith('env:')) return key;
    const v = env[key.slice(4)];
    if (!v) throw new PermanentError(`enrichment: source ${source.id}: ${key} is not set`, 'enrichment_no_key');
    return v;
  }
  const file = source.options['apiKeyFile'];
  if (typeof file !== 'string' || file === '') return undefined;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new TransientError(
      `enrichment: source ${source.id}: apiKeyFile cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'enrichment_no_key',
    );
  }
}

export function createFetcher(deps: FetcherDeps): Fetcher {
  const doFetch = deps.fetch ?? fetch;
  const log = deps.logger.child({ component: 'enrichment' });

  async function fetchJson(url: string, headers: Readonly<Record<string, string>>): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(url, { headers, signal: AbortSignal.timeout(deps.timeoutMs), redirect: 'error' });
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      throw new TransientError(
        `enrichment: GET ${url} ${timeout ? `timed out after ${deps.timeoutMs} ms` : 'failed to connect'}`,
        timeout ? 'enrichment_timeout' : 'enrichment_unreachable',
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw new TransientError(`enrichment: GET ${url}: answer cut off`, 'enrichment_unreachable');
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      throw new TransientError(`enrichment: GET ${url} answered ${res.status}`, `enrichment_http_${res.status}`);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new PermanentError(
        `enrichment: GET ${url} answered ${res.status}: ${text.slice(0, 200)}`,
        `enrichment_http_${res.status}`,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new PermanentError(`enrichment: GET ${url} answered ${res.status} without JSON`, 'enrichment_not_json');
    }
  }

  return {
    async enrich(e) {
      const p = deps.provider(e.provider);
      const enrichment = p?.enrichment;
      if (!p || !enrichment) return e;
      const source = await resolveSource(deps.sources, e.sourceId);
      if (!source)
        throw new PermanentError(`enrichment: source ${e.sourceId} is not configured`, 'enrichment_no_source');
      const apiKey = await apiKeyOf(source, deps.env);
      if (apiKey === undefined) return e;
      let payload: unknown;
      try {
        payload = parseExact(e.payload);
      } catch {
        throw new PermanentError('enrichment: payload is not JSON', 'enrichment_bad_payload');
      }
      const req = enrichment.request(payload, source, apiKey);
      if (!req) return e;
      const started = Date.now();
      const answer = await fetchJson(req.url, req.headers);
      const embedded = enrichment.embed(payload, answer);
      const enriched = JSON.stringify(embedded);
      try {
        const fields = {
          dedupeKey: e.dedupeKey,
          eventType: e.eventType,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          occurredAt: e.occurredAt,
          ordering: e.ordering,
          payload: enriched,
        };
        const canonical = canonicalOf(p.canonical, fields, source);
        const ordering = enrichment.ordering?.(parseExact(enriched)) ?? e.ordering;
        log.debug({ eventId: e.eventId, url: req.url, ms: Date.now() - started }, 'enriched');
        return { ...e, payload: enriched, canonical, ordering };
      } catch (err) {
        throw new PermanentError(`enrichment: ${(err as Error).message}`, 'enrichment_unmappable', err);
      }
    },
  };
}
