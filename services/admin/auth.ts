/**
 * Bearer API keys with scopes, from configuration: ADMIN_API_KEYS="key1:endpoints:read,endpoints:write;key2:*".
 * A key written "key@tenantId:scopes" is a tenant key: it reaches only /v1/tenants/{tenantId}/...
 * of its own tenant (another tenant's id answers 404, see tenantGuard) and no admin-only route.
 * Short-lived portal tokens (portal-token.ts) authenticate as tenant keys too.
 * The presented key is compared with every configured key in constant time (SHA-256 digests,
 * timingSafeEqual, no early exit), so timing reveals neither a key nor which key matched.
 * No key → 401; a valid key without the route's scope → 403. Keys are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { TENANT_ID, type Tenant } from '../common/contracts/tenant.ts';
import { ConfigError } from '../common/errors.ts';
import { ApiError } from './errors.ts';

export const SCOPES = [
  'endpoints:read',
  'endpoints:write',
  'sources:read',
  'sources:write',
  'deliveries:read',
  'deliveries:retry',
  'tenants:read',
  'tenants:write',
  'messages:write',
  'operations:read',
  'operations:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  readonly digest: Buffer;
  /** "*" grants every scope. */
  readonly scopes: ReadonlySet<string>;
  /** First characters, for logs that need to say which key acted. */
  readonly hint: string;
  /** A tenant key's tenant; null = admin key (every tenant). */
  readonly tenantId: string | null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function parseApiKeys(text: string, name = 'ADMIN_API_KEYS'): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const entry of text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = entry.indexOf(':');
    const head = i < 0 ? entry : entry.slice(0, i);
    const at = head.lastIndexOf('@');
    const key = at < 0 ? head : head.slice(0, at);
    const tenantId = at < 0 ? null : head.slice(at + 1);
    if (tenantId !== null && !TENANT_ID.test(tenantId))
      throw new ConfigError(`${name}: key ${key.slice(0, 4)}… names an invalid tenant id (${TENANT_ID.source})`);
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
    keys.push({ digest: digest(key), scopes: new Set(scopes), hint: `${key.slice(0, 4)}…`, tenantId });
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
  /** Set by tenantGuard on /v1/tenants/{tenantId}/... */
  tenant: Tenant;
}

/** Another way to turn a bearer token into a key (portal tokens); undefined = not such a token. */
export type TokenVerifier = (token: string) => ApiKey | undefined;
/** Keys kept outside the configuration (tenant keys managed by API, tenant-keys.ts). */
export type KeyLookup = (token: string) => Promise<ApiKey | undefined>;

/** Authenticates every request it guards; `scope` is then checked by `requireScope`. */
export function bearerAuth(
  keys: readonly ApiKey[],
  verifyToken?: TokenVerifier,
  lookup?: KeyLookup,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError(401, 'unauthorized', 'missing bearer API key (Authorization: Bearer <key>)');
    const key = verifyToken?.(m[1]!) ?? findKey(keys, m[1]!) ?? (await lookup?.(m[1]!));
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

/** Routes only admin keys reach (tenant management, sources, the unscoped endpoint and log routes). */
export function requireAdmin(): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function requireAdminMiddleware(c, next) {
    const key = c.get('apiKey');
    if (key.tenantId !== null)
      throw new ApiError(
        403,
        'forbidden',
        `this key is bound to tenant ${key.tenantId}: use /v1/tenants/${key.tenantId}/... (admin keys only here)`,
      );
    await next();
  };
}
