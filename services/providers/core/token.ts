/** Shared tokens, for platforms that sign nothing. */
import type { RawRequest, SourceConfig, VerifyResult } from '../types.ts';
import { checkIp } from './ip.ts';
import { OK, anyEqual, fail, header } from './verdict.ts';

/** Where a shared token may arrive. Defaults: query `token`, header `x-webhook-token`, no path segment. */
export interface TokenLocations {
  readonly queryParam?: string;
  readonly header?: string;
  /** Accept the last path segment of the URL as the token (`/webhooks/{sourceId}/{token}`). */
  readonly pathSegment?: boolean;
}

export const DEFAULT_TOKEN_HEADER = 'x-webhook-token';

/** Token locations from source options (`tokenParam`, `tokenHeader`, `tokenInPath`), over the module's defaults. */
export function tokenLocationsOf(source: SourceConfig, defaults: TokenLocations = {}): TokenLocations {
  const o = source.options;
  return {
    queryParam: typeof o['tokenParam'] === 'string' ? o['tokenParam'] : (defaults.queryParam ?? 'token'),
    header: (typeof o['tokenHeader'] === 'string'
      ? o['tokenHeader']
      : (defaults.header ?? DEFAULT_TOKEN_HEADER)
    ).toLowerCase(),
    pathSegment: typeof o['tokenInPath'] === 'boolean' ? o['tokenInPath'] : (defaults.pathSegment ?? false),
  };
}

/** Every token the request presents, in the configured places (query, header, last path segment). */
export function presentedTokens(req: RawRequest, loc: TokenLocations): string[] {
  const out: string[] = [];
  if (loc.queryParam) out.push(...req.url.searchParams.getAll(loc.queryParam).filter((t) => t !== ''));
  if (loc.header) {
    const h = header(req, loc.header);
    if (h !== undefined) out.push(h.trim());
  }
  if (loc.pathSegment) {
    const seg = req.url.pathname
      .split('/')
      .filter((s) => s !== '')
      .pop();
    if (seg !== undefined) {
      try {
        out.push(decodeURIComponent(seg));
      } catch {
        out.push(seg); // malformed %-escape: compared as sent, so it simply does not match
      }
    }
  }
  return out;
}

/**
 * Shared-token scheme for platforms that sign nothing: IP allowlist first, then a secret token compared in
 * constant time against every configured secret (rotation). Fails closed when no secret is configured.
 * Every presented token must match: a request carrying one good and one bad token is refused.
 */
export function verifySharedToken(req: RawRequest, source: SourceConfig, loc: TokenLocations): VerifyResult {
  const ip = checkIp(req, source);
  if (ip) return ip;
  if (source.secrets.length === 0) return fail('bad_token');
  const tokens = presentedTokens(req, loc);
  if (tokens.length === 0) return fail('missing_signature');
  let ok = true;
  for (const t of tokens) ok = anyEqual(t, source.secrets) && ok;
  return ok ? OK : fail('bad_token');
}
