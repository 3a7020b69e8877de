/**
 * Bearer API keys with scopes, from configuration: ADMIN_API_KEYS="key1:endpoints:read,endpoints:write;key2:*".
 * The presented key is compared with every configured key in constant time (SHA-256 digests,
 * timingSafeEqual, no early exit), so timing reveals neither a key nor which key matched.
 * No key → 401; a valid key without the route's scope → 403. Keys are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ConfigError } from '../common/errors.ts';
import { ApiError } from './errors.ts';

export const SCOPES = [
  'endpoints:read',
  'endpoints:write',
  'sources:read',
  'sources:write',
  'deliveries:read',
  'deliveries:retry',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  readonly digest: Buffer;
  /** "*" grants every scope. */
  readonly scopes: ReadonlySet<string>;
  /** First characters, for logs that need to say which key acted. */
  readonly hint: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function parseApiKeys(text: string, name = 'ADMIN_API_KEYS'): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const entry of text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = entry.indexOf(':');
    const key = i < 0 ? entry : entry.slice(0, i);
    const scopes =
      i < 0
        ? []
        : entry
            .slice(i + 1)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    if (key.length < 16) throw new ConfigError(`${name}: every key must be at least 16 characters`);
    if (scopes.length === 0)
      throw new ConfigError(`${name}: key ${key.slice(0, 4)}… has no scopes (use "key:scope,scope" or "key:*")`);
    for (const s of scopes)
      if (s !== '*' && !(SCOPES as readonly string[]).includes(s))
        throw new ConfigError(`${name}: unknown scope "${s}" (known: ${SCOPES.join(', ')}, *)`);
    keys.push({ digest: digest(key), scopes: new Set(scopes), hint: `${key.slice(0, 4)}…` });
  }
  if (keys.length === 0) throw new ConfigError(`${name} must configure at least one key`);
  return keys;
}

/** The key matching `presented`, compared against all keys in constant time. */
export function findKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const d = digest(presented);
  let found: ApiKey | undefined;
  for (const k of keys) if (timingSafeEqual(k.digest, d)) found ??= k;
  return found;
}

export interface AuthVariables {
  apiKey: ApiKey;
}

/** Authenticates every request it guards; `scope` is then checked by `requireScope`. */
export function bearerAuth(keys: readonly ApiKey[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError(401, 'unauthorized', 'missing bearer API key (Authorization: Bearer <key>)');
    const key = findKey(keys, m[1]!);
    if (!key) throw new ApiError(401, 'unauthorized', 'invalid API key');
    c.set('apiKey', key);
    await next();
  };
}

export function requireScope(scope: Scope): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function requireScopeMiddleware(c, next) {
    const key = c.get('apiKey');
    if (!key.scopes.has('*') && !key.scopes.has(scope))
      throw new ApiError(403, 'forbidden', `this API key lacks the scope ${scope}`);
    await next();
  };
}
