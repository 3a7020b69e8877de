/**
 * shared-token: platforms that sign nothing (the strongest thing they allow).
 *
 * Verification: IP allowlist first (options.allowedIps, CIDR, via checkIp), then a secret token
 * compared in constant time against every configured secret (rotation), taken from:
 * - the header `options.tokenHeader` (default `x-webhook-token`),
 * - the query parameter `options.tokenQuery` (alias `tokenParam`; default `token`),
 * - the last path segment when `options.tokenInPath: true` (`/webhooks/{sourceId}/{token}`).
 * Every token presented in those places must match (core.verifySharedToken). Fails closed with
 * no secrets. Residual risk: the token is a bearer credential (visible to anything that logs
 * URLs or headers on the way), not bound to the body or a time: a captured request can be
 * replayed or altered. Use an IP allowlist where the platform publishes its addresses, and
 * re-fetch the object from the platform's API where it allows.
 *
 * Normalization: the same field mapping as generic-hmac (mapping.ts; sequencePath for exchange
 * feeds that send a sequence number). Dedupe: eventIdPath / eventIdHeader, else body sha256.
 * Window: unknown per platform: 3 days (or the source's idempotencyWindowSeconds).
 *
 * sensitiveHeaders lists the default token header; a custom tokenHeader cannot be expressed in
 * the static contract: the ingress must also drop `options.tokenHeader` (see sensitiveHeadersFor).
 */
import { DAY } from '../core/timestamp.ts';
import { DEFAULT_TOKEN_HEADER, type TokenLocations, verifySharedToken } from '../core/token.ts';
import { interpretMapped, normalizeMappedRecord, validateMapping } from '../mapping.ts';
import type { ProviderModule, RawRequest, SourceConfig, SourceOptions, VerifyResult } from '../types.ts';

export function validateOptions(options: SourceOptions): string[] {
  const problems: string[] = [];
  for (const key of ['tokenHeader', 'tokenQuery', 'tokenParam'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === ''))
      problems.push(`${key} must be a non-empty string`);
  }
  if (options.tokenQuery !== undefined && options.tokenParam !== undefined)
    problems.push('set tokenQuery or tokenParam, not both');
  if (options.tokenInPath !== undefined && typeof options.tokenInPath !== 'boolean')
    problems.push('tokenInPath must be a boolean');
  return [...problems, ...validateMapping(options)];
}

export function locationsOf(options: SourceOptions): TokenLocations {
  const query =
    typeof options.tokenQuery === 'string'
      ? options.tokenQuery
      : typeof options.tokenParam === 'string'
        ? options.tokenParam
        : 'token';
  const header = typeof options.tokenHeader === 'string' ? options.tokenHeader : DEFAULT_TOKEN_HEADER;
  return { queryParam: query, header: header.toLowerCase(), pathSegment: options.tokenInPath === true };
}

/** Headers to drop before storing, for this source (includes a custom tokenHeader). */
export function sensitiveHeadersFor(source: SourceConfig): string[] {
  return [...new Set([DEFAULT_TOKEN_HEADER, locationsOf(source.options).header ?? DEFAULT_TOKEN_HEADER])];
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  return verifySharedToken(req, source, locationsOf(source.options));
}

export const provider: ProviderModule = {
  name: 'shared-token',
  signs: false,
  verification:
    'IP allowlist (if configured) then a shared token (header, query or path) compared in constant time with every configured secret; residual risk: bearer token not bound to body or time, so captured requests can be replayed or altered.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'other',
  contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
  verify,
  interpret: interpretMapped,
  normalize: normalizeMappedRecord,
  validateOptions,
  sensitiveHeaders: [DEFAULT_TOKEN_HEADER, 'authorization'],
};
