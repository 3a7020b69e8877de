/**
 * Sources (configured senders) behind one interface, from one of two stores (SOURCES_STORE):
 *   - file: a JSON file named by SOURCES_FILE, validated at start-up (unknown provider, a signing
 *     provider without a secret, bad options → refuse to start, naming the source);
 *   - redis: managed through the admin API (source-store-redis.ts), validated the same way on write.
 *
 * File format: { "sources": [ { "id": "stripe-eu", "provider": "stripe",
 *   "secrets": ["whsec_…"], "options": { "toleranceSeconds": 300 } } ] }
 * A secret may be written as "env:NAME" to read it from the environment instead of the file.
 * Every source needs a secret (HMAC key or shared token), except with options.publicKeys (RSA
 * schemes) or an explicit options.allowNoSecret for platforms that cannot send one.
 */
import { readFileSync } from 'node:fs';
import type { ProviderLookup, SourceConfig } from './contracts/index.ts';
import { TENANT_ID } from './contracts/tenant.ts';
import { ConfigError } from './errors.ts';

export interface SourceStore {
  get(id: string): SourceConfig | undefined;
  list(): readonly SourceConfig[];
  /**
   * Stores that change at run time: re-read now, for an id get() did not find (a source created a
   * moment ago). Coalesced: at most one re-read per second; throws if the store cannot be read.
   */
  refresh?(): Promise<void>;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The generic options every source may carry (the ingress reads them); provider-specific ones are the module's validateOptions. */
export function sourceOptionProblems(id: string, o: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const positiveInt = (k: string) =>
    o[k] === undefined || (typeof o[k] === 'number' && Number.isInteger(o[k]) && o[k] > 0);
  const positive = (k: string) => o[k] === undefined || (typeof o[k] === 'number' && Number.isFinite(o[k]) && o[k] > 0);
  if (!positiveInt('bodyLimitBytes')) problems.push(`source ${id}: bodyLimitBytes must be a positive integer`);
  if (!positive('rateLimitPerSecond')) problems.push(`source ${id}: rateLimitPerSecond must be a positive number`);
  if (!positive('rateLimitBurst') || (typeof o.rateLimitBurst === 'number' && o.rateLimitBurst < 1)) {
    problems.push(`source ${id}: rateLimitBurst must be a number ≥ 1`);
  }
  if (o.tenant !== undefined && (typeof o.tenant !== 'string' || !TENANT_ID.test(o.tenant))) {
    problems.push(`source ${id}: tenant must be a tenant id (${TENANT_ID.source})`);
  }
  if (o.publicUrl !== undefined && (typeof o.publicUrl !== 'string' || !URL.canParse(o.publicUrl))) {
    problems.push(`source ${id}: publicUrl must be an absolute URL`);
  }
  return problems;
}

export function validateSources(
  raw: unknown,
  lookup: ProviderLookup,
  env: Readonly<Record<string, string | undefined>> = {},
): SourceConfig[] {
  const list = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(list)) throw new ConfigError('sources file must be an object with a "sources" array');
  const problems: string[] = [];
  const seen = new Set<string>();
  const out: SourceConfig[] = [];
  for (const [i, s] of list.entries()) {
    const where = `sources[${i}]`;
    if (s === null || typeof s !== 'object') {
      problems.push(`${where} is not an object`);
      continue;
    }
    const r = s as Record<string, unknown>;
    const id = r.id;
    if (typeof id !== 'string' || !ID.test(id)) {
      problems.push(`${where}.id must match ${ID.source}`);
      continue;
    }
    if (seen.has(id)) problems.push(`source ${id} is defined twice`);
    seen.add(id);
    const providerName = r.provider;
    const provider = typeof providerName === 'string' ? lookup(providerName) : undefined;
    if (!provider) {
      problems.push(`source ${id}: unknown provider ${JSON.stringify(providerName)}`);
      continue;
    }
    const secrets: string[] = [];
    for (const sec of Array.isArray(r.secrets) ? (r.secrets as unknown[]) : []) {
      if (typeof sec !== 'string' || sec === '') {
        problems.push(`source ${id}: secrets must be non-empty strings`);
        continue;
      }
      if (sec.startsWith('env:')) {
        const v = env[sec.slice(4)];
        if (!v) problems.push(`source ${id}: secret variable ${sec.slice(4)} is not set`);
        else secrets.push(v);
      } else secrets.push(sec);
    }
    const options = (r.options && typeof r.options === 'object' ? r.options : {}) as Record<string, unknown>;
    // Fail closed: every source needs a secret (signing key or shared token) unless it verifies
    // with public keys, or explicitly relies on other checks (IP allowlist, org id) for a
    // platform that can send no secret at all.
    if (secrets.length === 0 && !options.publicKeys && options.allowNoSecret !== true) {
      problems.push(
        provider.signs
          ? `source ${id}: provider ${provider.name} signs its webhooks but the source has no secret`
          : `source ${id}: provider ${provider.name} authenticates with a shared token but the source has no secret (set options.allowNoSecret only if the platform can send none and an IP allowlist protects it)`,
      );
    }
    problems.push(...sourceOptionProblems(id, options));
    for (const p of provider.validateOptions?.(options) ?? []) problems.push(`source ${id}: ${p}`);
    out.push(
      Object.freeze({
        id,
        provider: provider.name,
        secrets: Object.freeze(secrets),
        options: Object.freeze({ ...options }),
      }),
    );
  }
  if (problems.length > 0) throw new ConfigError(`invalid sources: ${problems.join('; ')}`);
  return out;
}

/**
 * get(), and on a miss in a store that changes at run time, one re-read first (a source created a
 * moment ago through the admin API). Throws if the store cannot be read: the caller must not
 * conclude the source does not exist.
 */
export async function resolveSource(store: SourceStore, id: string): Promise<SourceConfig | undefined> {
  const found = store.get(id);
  if (found || !store.refresh) return found;
  await store.refresh();
  return store.get(id);
}

export function memorySourceStore(sources: readonly SourceConfig[]): SourceStore {
  const byId = new Map(sources.map((s) => [s.id, s]));
  return { get: (id) => byId.get(id), list: () => [...byId.values()] };
}

export function fileSourceStore(
  path: string,
  lookup: ProviderLookup,
  env: Readonly<Record<string, string | undefined>> = {},
): SourceStore {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new ConfigError(`SOURCES_FILE ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return memorySourceStore(validateSources(raw, lookup, env));
}
