/**
 * Configurable field mapping for platforms without a module of their own (generic-hmac,
 * shared-token) and for Standard Webhooks payloads: JSON paths in the source options say where
 * the event id, type, resource, time and ordering value are.
 *
 * Options (all optional, all dot paths into the parsed body):
 * - eventIdPath: the platform's event id → dedupe key. Else eventIdHeader (a request header kept in
 *   the audit headers). Else the body's sha256 (dedupes retries of the same bytes only).
 * - eventTypePath, or eventType (constant); default "webhook".
 * - resourceType (constant) or resourceTypePath; default "event".
 * - resourceIdPath; when absent every event is its own resource (resourceId = dedupe key).
 * - occurredAtPath: ISO-8601 or epoch s/ms; when absent occurredAt = receivedAt.
 * - ordering, at most one of:
 *   - sequencePath → SEQUENCE: contiguous integers per resource (exchange/trading feeds);
 *   - versionPath → VERSION: integer version or a timestamp (an older value never wins);
 *   - statusPath + statusRanks ({status: rank}) → STATUS, value = occurredAt;
 *   none → NONE.
 * Bodies: JSON object, or application/x-www-form-urlencoded (converted to a JSON object).
 */
import { bodyDigest, isRecord, mediaType, parseForm, parseJson, pick, toEpochMs } from './core/parse.ts';
import { tryParseJson } from '../common/json.ts';
import {
  NormalizeError,
  type Extracted,
  type Interpretation,
  type NormalizedFields,
  type Ordering,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
} from './types.ts';
import { rankOf } from './core/status.ts';

export interface FieldMapping {
  readonly eventIdPath?: string;
  readonly eventIdHeader?: string;
  readonly eventTypePath?: string;
  readonly eventType?: string;
  readonly resourceType?: string;
  readonly resourceTypePath?: string;
  readonly resourceIdPath?: string;
  readonly occurredAtPath?: string;
  readonly sequencePath?: string;
  readonly versionPath?: string;
  readonly statusPath?: string;
  readonly statusRanks?: Readonly<Record<string, number>>;
}

const STRING_KEYS = [
  'eventIdPath',
  'eventIdHeader',
  'eventTypePath',
  'eventType',
  'resourceType',
  'resourceTypePath',
  'resourceIdPath',
  'occurredAtPath',
  'sequencePath',
  'versionPath',
  'statusPath',
] as const;

/** Problems with the mapping options (empty = fine). Called by the modules' validateOptions. */
export function validateMapping(options: SourceOptions): string[] {
  const problems: string[] = [];
  for (const key of STRING_KEYS) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === ''))
      problems.push(`${key} must be a non-empty string`);
  }
  const orderings = (['sequencePath', 'versionPath', 'statusPath'] as const).filter((k) => options[k] !== undefined);
  if (orderings.length > 1) problems.push(`only one of ${orderings.join(', ')} may be set`);
  if (orderings.length === 1 && options.resourceIdPath === undefined) {
    problems.push(`${orderings[0]} needs resourceIdPath: ordering is per resource`);
  }
  if (options.statusPath !== undefined) {
    const ranks = options.statusRanks;
    if (!isRecord(ranks) || Object.values(ranks).some((r) => typeof r !== 'number' || !Number.isInteger(r))) {
      problems.push('statusPath needs statusRanks: an object of status → integer rank');
    }
  } else if (options.statusRanks !== undefined) {
    problems.push('statusRanks without statusPath');
  }
  if (options.resourceType !== undefined && options.resourceTypePath !== undefined) {
    problems.push('set resourceType or resourceTypePath, not both');
  }
  if (options.eventType !== undefined && options.eventTypePath !== undefined) {
    problems.push('set eventType or eventTypePath, not both');
  }
  return problems;
}

/** The mapping part of a source's options (call validateMapping first). */
export function mappingOf(options: SourceOptions, defaults: FieldMapping = {}): FieldMapping {
  const out: Record<string, unknown> = { ...defaults };
  for (const key of STRING_KEYS) if (typeof options[key] === 'string') out[key] = options[key];
  if (isRecord(options.statusRanks)) out.statusRanks = options.statusRanks;
  return out;
}

/** Parses a JSON object or form body; NormalizeError for anything else. */
export function parseObjectBody(body: Buffer, contentType: string): Record<string, unknown> {
  if (mediaType(contentType) === 'application/x-www-form-urlencoded') return parseForm(body);
  const v = parseJson(body);
  if (!isRecord(v)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  return v;
}

/** Same as parseObjectBody, but undefined instead of throwing (ingress extraction is tolerant). */
export function tryParseObjectBody(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  if (mediaType(contentType) === 'application/x-www-form-urlencoded') return parseForm(body);
  const v = tryParseJson(body);
  return isRecord(v) ? v : undefined;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** The dedupe key by the mapping rule, tolerant (ingress) or strict (validator). */
function dedupeKeyOf(
  parsed: Record<string, unknown> | undefined,
  body: Buffer,
  headers: Readonly<Record<string, string>>,
  m: FieldMapping,
  strict: boolean,
): string {
  if (m.eventIdPath) {
    const id = scalar(pick(parsed, m.eventIdPath));
    if (id !== undefined) return id;
    if (strict) throw new NormalizeError(`missing required field ${m.eventIdPath}`, 'missing_field');
  } else if (m.eventIdHeader) {
    const id = headers[m.eventIdHeader.toLowerCase()];
    if (id) return id;
    if (strict) throw new NormalizeError(`missing header ${m.eventIdHeader}`, 'missing_field');
  }
  return bodyDigest(body);
}

/** Cheap facts for the ingress; never throws (a body that does not parse is enqueued and DLQ'd later). */
export function extractMapped(
  body: Buffer,
  contentType: string | undefined,
  headers: Readonly<Record<string, string>>,
  m: FieldMapping,
): Extracted {
  const parsed = tryParseObjectBody(body, contentType);
  const deliveryId = dedupeKeyOf(parsed, body, headers, m, false);
  const eventType = m.eventType ?? (m.eventTypePath ? scalar(pick(parsed, m.eventTypePath)) : undefined);
  const resourceType = m.resourceType ?? (m.resourceTypePath ? scalar(pick(parsed, m.resourceTypePath)) : undefined);
  const resourceId = m.resourceIdPath ? scalar(pick(parsed, m.resourceIdPath)) : undefined;
  return {
    deliveryId,
    ...(eventType === undefined ? {} : { eventType }),
    ...(resourceType === undefined ? {} : { resourceType }),
    ...(resourceId === undefined ? {} : { resourceId }),
  };
}

function requireAt(parsed: unknown, path: string): string {
  const v = scalar(pick(parsed, path));
  if (v === undefined) throw new NormalizeError(`missing required field ${path}`, 'missing_field');
  return v;
}

function orderingOf(parsed: Record<string, unknown>, m: FieldMapping, occurredAt: number): Ordering {
  if (m.sequencePath) {
    const raw = pick(parsed, m.sequencePath);
    if (raw === undefined || raw === null || raw === '') {
      throw new NormalizeError(`missing required field ${m.sequencePath}`, 'missing_field');
    }
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      throw new NormalizeError(`${m.sequencePath} is not an integer`, 'invalid_field');
    }
    return { kind: 'SEQUENCE', value: n, statusRank: null };
  }
  if (m.versionPath) {
    const raw = pick(parsed, m.versionPath);
    if (raw === undefined || raw === null || raw === '') {
      throw new NormalizeError(`missing required field ${m.versionPath}`, 'missing_field');
    }
    // Integers (and integer strings) are versions as-is; other strings are timestamps.
    const n =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : toEpochMs(raw);
    if (!Number.isFinite(n)) throw new NormalizeError(`${m.versionPath} is not a version`, 'invalid_field');
    return { kind: 'VERSION', value: n, statusRank: null };
  }
  if (m.statusPath && m.statusRanks) {
    const status = requireAt(parsed, m.statusPath);
    return { kind: 'STATUS', value: occurredAt, statusRank: rankOf(m.statusRanks, status) };
  }
  return { kind: 'NONE', value: null, statusRank: null };
}

export interface MapContext {
  readonly body: Buffer;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly receivedAt: Date;
  /** Overrides the mapping's dedupe rule (Standard Webhooks: the webhook-id header). */
  readonly dedupeKey?: string;
}

/** Validator side: strict mapping of one body; NormalizeError for anything missing or malformed. */
export function normalizeMapped(ctx: MapContext, m: FieldMapping): NormalizedFields {
  const parsed = parseObjectBody(ctx.body, ctx.contentType);
  const dedupeKey = ctx.dedupeKey ?? dedupeKeyOf(parsed, ctx.body, ctx.headers, m, true);
  const eventType = m.eventType ?? (m.eventTypePath ? requireAt(parsed, m.eventTypePath) : 'webhook');
  const resourceType = m.resourceType ?? (m.resourceTypePath ? requireAt(parsed, m.resourceTypePath) : 'event');
  const resourceId = m.resourceIdPath ? requireAt(parsed, m.resourceIdPath) : dedupeKey;
  let occurredAt = ctx.receivedAt.getTime();
  if (m.occurredAtPath) {
    const raw = pick(parsed, m.occurredAtPath);
    if (raw === undefined || raw === null || raw === '') {
      throw new NormalizeError(`missing required field ${m.occurredAtPath}`, 'missing_field');
    }
    occurredAt = toEpochMs(raw);
    if (!Number.isFinite(occurredAt)) throw new NormalizeError(`${m.occurredAtPath} is not a time`, 'invalid_field');
  }
  const isForm = mediaType(ctx.contentType) === 'application/x-www-form-urlencoded';
  return {
    dedupeKey,
    eventType,
    resourceType,
    resourceId,
    occurredAt,
    ordering: orderingOf(parsed, m, occurredAt),
    payload: isForm ? JSON.stringify(parsed) : ctx.body.toString('utf8'),
  };
}

/** interpret() of a module whose fields come from the source's mapping options (generic-hmac, shared-token). */
export function interpretMapped(req: RawRequest, source: SourceConfig): Interpretation {
  return {
    items: [
      {
        body: req.body,
        extracted: extractMapped(req.body, req.headers['content-type'], req.headers, mappingOf(source.options)),
      },
    ],
  };
}

/** normalize() of a module whose fields come from the source's mapping options. */
export function normalizeMappedRecord(record: RawRecord, source: SourceConfig): NormalizedFields {
  return normalizeMapped(
    { body: record.body, contentType: record.contentType, headers: record.headers, receivedAt: record.receivedAt },
    mappingOf(source.options),
  );
}
