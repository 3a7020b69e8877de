/** Parsing helpers of the validator side (and cheap extraction at ingress); NormalizeError on bad input. */
import { createHash } from 'node:crypto';
import { NormalizeError } from '../types.ts';

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

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

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

/**
 * Content hash of a body, `sha256:<hex>`: the dedupe key of last resort for platforms that send
 * no id (a retry resends the same bytes, so it dedupes retries but not two identical events).
 */
export function bodyDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** Media type of a Content-Type value, lower-case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** parseJsonLossless without throwing: undefined for a body that is not JSON (cheap extraction at ingress). */
export function tryParseJsonLossless(body: Buffer): unknown {
  try {
    return parseJsonLossless(body);
  } catch {
    return undefined;
  }
}
