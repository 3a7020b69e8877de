/**
 * The canonical-mapping contract and the small readers every provider's canonical.ts uses. A mapping
 * reads the event's payload (parsed here once, with every non-integer or unsafe number kept as its
 * source text, so decimals never pass through a float) and returns one canonical record, or null when
 * the event is not one of the canonical entities (a ping, a setup intent). It never guesses: a value
 * it cannot find stays null, a status it does not know is `unknown` with the raw value kept.
 */
import type { Canonical, Entity } from '../common/canonical.ts';
import { isRecord, toEpochMs } from './core/parse.ts';
import { NormalizeError, type NormalizedFields, type SourceConfig } from './types.ts';

export interface CanonicalInput {
  /** The payload JSON (NormalizedFields.payload) parsed by parseExact. */
  readonly payload: unknown;
  readonly fields: NormalizedFields;
  readonly source: SourceConfig;
}

export interface CanonicalMapping {
  /** Entity → the record fields this provider fills (README tables; a test holds every fixture to it). */
  readonly fills: Partial<Readonly<Record<Entity, readonly string[]>>>;
  /** The canonical record of one event; null when it is none. Throws NormalizeError on malformed values. */
  map(input: CanonicalInput): Canonical | null;
}

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;
const exactNumbers: Reviver = (_k, v, ctx) =>
  typeof v === 'number' && !Number.isSafeInteger(v) && ctx?.source !== undefined ? ctx.source : v;

/** JSON.parse keeping non-integer and unsafe numbers as their exact source text. */
export function parseExact(text: string): unknown {
  try {
    return JSON.parse(text, exactNumbers) as unknown;
  } catch (err) {
    throw new NormalizeError(`payload is not valid JSON: ${(err as Error).message}`, 'unparseable');
  }
}

/** Dot-path read that also indexes arrays ("lines.0.sku"). */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isRecord(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** A non-empty string (numbers as their text), else null. */
export function text(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Epoch ms from ISO-8601 or epoch s/ms; null when absent; NormalizeError when present but not a time. */
export function time(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const ms = toEpochMs(v);
  if (!Number.isFinite(ms)) throw new NormalizeError(`${JSON.stringify(v)} is not a time`, 'invalid_field');
  return Math.trunc(ms);
}

/** Epoch seconds (Stripe `created`) → ms; null when absent. */
export function seconds(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v * 1000 : null;
}

/** A flat string map of a metadata object (values as text; nested values as JSON text). */
export function metadataOf(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  }
  return out;
}

/** Looks a provider status up in a table; anything not in it is `unknown`. Never guesses. */
export function statusFrom<S extends string>(table: Readonly<Record<string, S>>, raw: string | null): S | 'unknown' {
  return raw !== null && Object.hasOwn(table, raw) ? (table[raw] as S) : 'unknown';
}

/** What the validator calls after normalize(): the provider's canonical record of the event, or null. */
export function canonicalOf(
  mapping: CanonicalMapping | undefined,
  fields: NormalizedFields,
  source: SourceConfig,
): Canonical | null {
  if (!mapping) return null;
  return mapping.map({ payload: parseExact(fields.payload), fields, source });
}

/** A list of {key, value} objects (WooCommerce meta_data, Shopify note_attributes) → a string map. */
export function pairsOf(list: unknown, keyPath: string, valuePath: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list as unknown[]) {
    const k = text(at(item, keyPath));
    const v = at(item, valuePath);
    if (k !== null && (typeof v === 'string' || typeof v === 'number')) out[k] = String(v);
  }
  return out;
}
