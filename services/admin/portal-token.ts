/**
 * Portal tokens: short-lived signed bearer tokens a platform hands to its customer (the console
 * shows a tenant its own endpoints and deliveries with one). Stateless: hlpt_<payload>.<mac>, the
 * payload base64url JSON {t: tenantId, s: scopes, e: expiry ms}, the mac HMAC-SHA256 over the
 * payload with ADMIN_PORTAL_SECRET, compared in constant time. A valid token acts as a tenant key
 * of that tenant with those scopes until it expires; rotating the secret revokes every token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Scope } from './auth.ts';

export const PORTAL_PREFIX = 'hlpt_';
/** What a portal token may do unless the request narrows it. */
export const PORTAL_SCOPES: readonly Scope[] = [
  'endpoints:read',
  'endpoints:write',
  'deliveries:read',
  'deliveries:retry',
  'tenants:read',
];
export const PORTAL_MIN_TTL_S = 60;
export const PORTAL_MAX_TTL_S = 24 * 3600;

interface Claims {
  readonly t: string;
  readonly s: readonly string[];
  readonly e: number;
}

export interface PortalTokens {
  issue(
    tenantId: string,
    scopes: readonly Scope[],
    ttlSeconds: number,
    now?: number,
  ): { token: string; expiresAt: number };
  verify(token: string, now?: number): ApiKey | undefined;
}

export function portalTokens(secret: string): PortalTokens {
  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest();
  return {
    issue(tenantId, scopes, ttlSeconds, now = Date.now()) {
      const expiresAt = now + ttlSeconds * 1000;
      const claims: Claims = { t: tenantId, s: scopes, e: expiresAt };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return { token: `${PORTAL_PREFIX}${payload}.${mac(payload).toString('base64url')}`, expiresAt };
    },
    verify(token, now = Date.now()) {
      if (!token.startsWith(PORTAL_PREFIX)) return undefined;
      const [payload, sig] = token.slice(PORTAL_PREFIX.length).split('.');
      if (!payload || !sig) return undefined;
      const given = Buffer.from(sig, 'base64url');
      const want = mac(payload);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
      let claims: Claims;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
      } catch {
        return undefined;
      }
      if (typeof claims.e !== 'number' || claims.e <= now || typeof claims.t !== 'string') return undefined;
      return { digest: want, scopes: new Set(claims.s), hint: 'portal', tenantId: claims.t };
    },
  };
}
