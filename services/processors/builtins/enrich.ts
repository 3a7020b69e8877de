/**
 * Enrichment of thin webhooks (Mollie classic `id=tr_…`, Exact Online "Key changed"): before the state
 * projector and the outbound router see such an event, its object is fetched from the provider's REST
 * API with the source's credential, and the canonical record is derived from it (the provider module
 * says which GET and where the answer goes: providers/enrichment.ts). Used as a wrapper around those
 * handlers (withEnrichment), so the processors' own machinery carries the promises:
 * - exactly once: the fetch is a read; the handlers' records go out in the runner's transaction;
 * - ordering: a failed fetch parks the resource for the handler (parking.ts), later events wait;
 * - 5xx, 408, 429, timeout, connection error → TransientError → the retry topics (5 s, 1 m, 10 m, due
 *   time in a header, runStage dueAt), then processors.dlq when retries are exhausted;
 * - any other 4xx, or an answer that is not JSON → PermanentError → processors.dlq with the full
 *   event bytes and the reason (status and URL; the URL holds ids only).
 * Opt-in per source: a source without options.apiKey / apiKeyFile is not enriched (canonical stays null).
 * The credential is never logged and never put in an error.
 * Why here and not a stage before the sequencer: the processors already own retry topics with due
 * times, per-resource parking and a DLQ for handlers that call out; the validator and sequencer stay free
 * of third-party I/O, so a slow provider API never holds up ingestion or ordering of other sources.
 * The price: events.<domain> carries `canonical: null` for thin events; the enriched canonical record is
 * in state.resources / the state API and in outbound `data`.
 */
import { readFile } from 'node:fs/promises';
import { PermanentError, TransientError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { SourceStore } from '../../common/sources.ts';
import { resolveSource } from '../../common/sources.ts';
import type { DomainEvent } from '../../common/contracts/index.ts';
import { canonicalOf } from '../../providers/canonical.ts';
import type { ProviderModule, SourceConfig } from '../../providers/types.ts';
import type { ProcessorHandler } from '../types.ts';

export interface EnricherDeps {
  readonly sources: SourceStore;
  readonly provider: (name: string) => ProviderModule | undefined;
  /** For apiKey "env:NAME" (the service's main passes its environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

export interface Enricher {
  /** The event with its canonical record derived from the fetched object; unchanged when nothing is to fetch. */
  enrich(e: DomainEvent): Promise<DomainEvent>;
}

const CACHE_MAX = 1000;

async function apiKeyOf(source: SourceConfig, env: EnricherDeps['env']): Promise<string | undefined> {
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

export function createEnricher(deps: EnricherDeps): Enricher {
  const doFetch = deps.fetch ?? fetch;
  const log = deps.logger.child({ component: 'enrichment' });
  const inflight = new Map<string, Promise<DomainEvent>>();

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
    const text = await res.text().catch(() => '');
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

  async function enrichOnce(e: DomainEvent, p: ProviderModule): Promise<DomainEvent> {
    const enrichment = p.enrichment;
    if (!enrichment) return e;
    const source = await resolveSource(deps.sources, e.sourceId);
    if (!source) throw new PermanentError(`enrichment: source ${e.sourceId} is not configured`, 'enrichment_no_source');
    const apiKey = await apiKeyOf(source, deps.env);
    if (apiKey === undefined) return e;
    let payload: unknown;
    try {
      payload = JSON.parse(e.payload) as unknown;
    } catch {
      throw new PermanentError('enrichment: payload is not JSON', 'enrichment_bad_payload');
    }
    const req = enrichment.request(payload, source, apiKey);
    if (!req) return e;
    const started = Date.now();
    const answer = await fetchJson(req.url, req.headers);
    const enriched = JSON.stringify(enrichment.embed(payload, answer));
    let canonical;
    try {
      canonical = canonicalOf(p.canonical, { ...e, payload: enriched }, source);
    } catch (err) {
      throw new PermanentError(`enrichment: ${(err as Error).message}`, 'enrichment_unmappable', err);
    }
    log.debug({ eventId: e.eventId, url: req.url, ms: Date.now() - started }, 'enriched');
    return { ...e, canonical };
  }

  return {
    enrich(e) {
      if (e.canonical && e.canonical.entity !== 'unknown') return Promise.resolve(e);
      const p = deps.provider(e.provider);
      if (!p?.enrichment) return Promise.resolve(e);
      // Both wrapped handlers see the same event in the same chunk: fetch once.
      const cached = inflight.get(e.eventId);
      if (cached) return cached;
      const result = enrichOnce(e, p);
      inflight.set(e.eventId, result);
      if (inflight.size > CACHE_MAX) inflight.delete(inflight.keys().next().value as string);
      result.catch(() => inflight.delete(e.eventId));
      return result;
    },
  };
}

/** The handler, run on the enriched event. Its name (retry/DLQ records, parking keys) is unchanged. */
export function withEnrichment(h: ProcessorHandler, enricher: Enricher): ProcessorHandler {
  return {
    name: h.name,
    events: h.events,
    handle: async (e, ctx) => h.handle(await enricher.enrich(e), ctx),
  };
}
