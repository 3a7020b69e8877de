/**
 * Shared verification and parsing helpers. Provider modules are presets over these:
 * one constant-time comparison, one HMAC, one timestamp rule (both directions).
 */
import {
  createHash,
  createHmac,
  createPublicKey,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import {
  NormalizeError,
  type RawRequest,
  type SourceConfig,
  type VerifyFailureReason,
  type VerifyResult,
} from './types.ts';

export const OK: VerifyResult = Object.freeze({ ok: true });
export const fail = (reason: VerifyFailureReason): VerifyResult => ({ ok: false, reason });

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const DAY = 86_400;

/**
 * Constant-time equality for strings or bytes of any length: both sides are hashed to
 * 32 bytes first, so neither the content nor the length leaks through timing.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True if `candidate` equals any of `expected` (each compared in constant time, all compared). */
export function anyEqual(candidate: string | Buffer, expected: readonly (string | Buffer)[]): boolean {
  let found = false;
  for (const e of expected) found = safeEqual(candidate, e) || found;
  return found;
}

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac(algorithm, key).update(data).digest();
}

/** Standard Webhooks / GitLab signing tokens: `whsec_<base64>` → key bytes. */
export function decodeWhsec(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** Header value, lower-cased name; undefined when absent or empty. */
export function header(req: RawRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return v === undefined || v === '' ? undefined : v;
}

export function toleranceOf(source: SourceConfig): number {
  return source.options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
}

/**
 * Checks a signed timestamp (seconds) against the receive time in both directions:
 * SDKs of Stripe, Slack and HubSpot only reject old ones; a future one is rejected here too.
 */
export function checkTimestamp(timestampSeconds: number, req: RawRequest, source: SourceConfig): VerifyResult {
  if (!Number.isFinite(timestampSeconds)) return fail('malformed_signature');
  const now = req.receivedAt.getTime() / 1000;
  const tolerance = toleranceOf(source);
  if (timestampSeconds < now - tolerance) return fail('stale_timestamp');
  if (timestampSeconds > now + tolerance) return fail('future_timestamp');
  return OK;
}

/** Parses an integer header/field strictly (no trailing garbage). */
export function strictInt(value: string | undefined): number {
  if (value === undefined || !/^-?\d{1,16}$/.test(value.trim())) return Number.NaN;
  return Number(value.trim());
}

const blockListCache = new WeakMap<readonly string[], BlockList>();

/** IP allowlist with CIDR support (node:net BlockList); empty list allows all. */
export function ipAllowed(remote: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (!allowed || allowed.length === 0) return true;
  if (!remote) return false;
  let list = blockListCache.get(allowed);
  if (!list) {
    list = new BlockList();
    for (const entry of allowed) {
      const [addr, bits] = entry.split('/');
      if (!addr) continue;
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits !== undefined) list.addSubnet(addr, Number(bits), type);
      else list.addAddress(addr, type);
    }
    blockListCache.set(allowed, list);
  }
  const ip = remote.startsWith('::ffff:') && isIPv4(remote.slice(7)) ? remote.slice(7) : remote;
  return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

/** Applies the source's IP allowlist; providers that sign nothing call it before their token check. */
export function checkIp(req: RawRequest, source: SourceConfig): VerifyResult | undefined {
  return ipAllowed(req.remoteAddress, source.options.allowedIps) ? undefined : fail('ip_not_allowed');
}

export type Encoding = 'hex' | 'base64' | 'base64url';

/**
 * One generic HMAC verifier: the presets (GitHub, Shopify, SendCloud, Mollie, WooCommerce…) only
 * say where the signature is, how it is encoded, and what content is signed.
 */
export interface HmacPreset {
  /** Header carrying the signature(s). */
  readonly header: string;
  readonly algorithm: HmacAlgorithm;
  readonly encoding: Encoding;
  /** Prefix before the signature value, e.g. "sha256=" (compared case-insensitively). */
  readonly prefix?: string;
  /** How the secret becomes key bytes: raw string (default) or base64 / whsec_ base64. */
  readonly secretEncoding?: 'utf8' | 'base64' | 'whsec';
  /** Bytes that were signed; default the raw body. */
  readonly signedContent?: (req: RawRequest, timestamp: string | undefined) => Buffer | string;
  /** Header with a unix-seconds timestamp that is part of the signed content. */
  readonly timestampHeader?: string;
  /** Timestamp unit in that header; default seconds. */
  readonly timestampUnit?: 's' | 'ms';
}

export function secretKey(secret: string, enc: HmacPreset['secretEncoding']): Buffer | string {
  if (enc === 'base64') return Buffer.from(secret, 'base64');
  if (enc === 'whsec') return decodeWhsec(secret);
  return secret;
}

export function verifyHmac(preset: HmacPreset, req: RawRequest, source: SourceConfig): VerifyResult {
  const raw = header(req, preset.header);
  if (raw === undefined) return fail('missing_signature');
  let ts: string | undefined;
  if (preset.timestampHeader) {
    ts = header(req, preset.timestampHeader);
    if (ts === undefined) return fail('missing_signature');
    const n = strictInt(ts);
    const r = checkTimestamp(preset.timestampUnit === 'ms' ? n / 1000 : n, req, source);
    if (!r.ok) return r;
  }
  let value = raw.trim();
  if (preset.prefix) {
    if (value.slice(0, preset.prefix.length).toLowerCase() !== preset.prefix.toLowerCase()) {
      return fail('malformed_signature');
    }
    value = value.slice(preset.prefix.length);
  }
  const given = decodeSignature(value, preset.encoding);
  if (!given) return fail('malformed_signature');
  const content = preset.signedContent ? preset.signedContent(req, ts) : req.body;
  const expected = source.secrets.map((s) => hmac(preset.algorithm, secretKey(s, preset.secretEncoding), content));
  return anyEqual(given, expected) ? OK : fail('bad_signature');
}

export function decodeSignature(value: string, encoding: Encoding): Buffer | undefined {
  if (encoding === 'hex') {
    if (!/^[0-9a-fA-F]+$/.test(value) || value.length % 2 !== 0) return undefined;
    return Buffer.from(value, 'hex');
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, encoding);
}

// ---------------------------------------------------------------- parsing (validator side)

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new NormalizeError(`body is not valid JSON: ${(err as Error).message}`, 'unparseable');
  }
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const v = parseJson(body);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  }
  return v as Record<string, unknown>;
}

/** application/x-www-form-urlencoded → plain object (last value wins). */
export function parseForm(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** Reads a path like "data.object.id" from parsed JSON. */
export function pick(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Required string (or number rendered as string) at path; NormalizeError('missing_field') otherwise. */
export function requireString(obj: unknown, path: string): string {
  const v = pick(obj, path);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new NormalizeError(`missing required field ${path}`, 'missing_field');
}

export function optionalString(obj: unknown, path: string): string | undefined {
  const v = pick(obj, path);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** ISO-8601 / RFC date string or epoch (s or ms) → epoch ms; NaN if unparseable. */
export function toEpochMs(v: unknown): number {
  if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
  if (typeof v === 'string' && v !== '') {
    if (/^\d+$/.test(v)) return toEpochMs(Number(v));
    return Date.parse(v);
  }
  return Number.NaN;
}

/** A dedupe key built from a composite of fields, for platforms that send no event id. */
export function compositeKey(...parts: (string | number | undefined)[]): string {
  return parts.map((p) => (p === undefined ? '' : String(p))).join('|');
}

// ---------------------------------------------------------------- shared tokens (platforms that sign nothing)

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

// ---------------------------------------------------------------- public-key signatures (Bol.com, Adobe I/O)

/**
 * A public key from configuration: PEM (SPKI or PKCS#1), or bare base64 SPKI DER as some platforms' key
 * APIs return it (Bol.com's signature-keys). Throws on anything else, so misconfiguration shows at start-up.
 */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return createPublicKey({ key: t, format: 'pem' });
  return createPublicKey({ key: Buffer.from(t.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

/** RSASSA-PKCS1-v1_5 / SHA-256 verification of `data` against any of `keys`; false on malformed input. */
export function rsaSha256VerifyAny(data: Buffer, signature: Buffer, keys: readonly KeyObject[]): boolean {
  let found = false;
  for (const key of keys) {
    try {
      found = cryptoVerify('sha256', data, key, signature) || found;
    } catch {
      // a malformed signature for this key type: not a match
    }
  }
  return found;
}

/** Strict base64 (standard alphabet, optional padding) → bytes; undefined when malformed or empty. */
export function decodeBase64Strict(value: string): Buffer | undefined {
  const v = value.trim();
  if (v === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  return Buffer.from(v, 'base64');
}

// ---------------------------------------------------------------- shared by several modules (group A)

/**
 * Content hash of a body, `sha256:<hex>`: the dedupe key of last resort for platforms that send
 * no id (a retry resends the same bytes, so it dedupes retries but not two identical events).
 */
export function bodyDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** JSON.parse that returns undefined instead of throwing: for cheap, tolerant extraction at ingress. */
export function tryParseJson(text: Buffer | string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Media type of a Content-Type value, lower-case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * JSON.parse that keeps integers beyond 2^53 exact, as their digit strings (uses the reviver's
 * source-text access, Node ≥ 21). Shopify's ids in documented samples exceed 2^53.
 * Throws NormalizeError('unparseable') like parseJson.
 */
export function parseJsonLossless(body: Buffer): unknown {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    Number.isInteger(value) &&
    context?.source !== undefined
      ? context.source
      : value;
  try {
    return JSON.parse(body.toString('utf8'), reviver) as unknown;
  } catch (err) {
    throw new NormalizeError(`body is not valid JSON: ${(err as Error).message}`, 'unparseable');
  }
}
