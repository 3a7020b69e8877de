/**
 * A preset for unsigned JSON senders (PostNL, AFAS, …): a shared token after the source's IP
 * allowlist, and a generic JSON mapping from options.mapping over the module's defaults. A provider
 * built on it is one call: tokenJsonModule(name, domain, verification, defaults).
 */
import { compositeKey, optionalString, parseJsonObject, pick, toEpochMs } from './core/parse.ts';
import { DAY } from './core/timestamp.ts';
import { tokenLocationsOf, verifySharedToken } from './core/token.ts';
import { NormalizeError, type Domain, type ProviderModule, type SourceOptions } from './types.ts';

/** options.mapping: where the envelope facts are in the sender's JSON (dot paths; `=literal` for constants). */
export interface GenericMapping {
  readonly eventType?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly occurredAt?: string;
  readonly version?: string;
  /** Paths whose values make the dedupe key (the event time is always appended); default eventType, resourceId. */
  readonly dedupe?: readonly string[];
  /** Top-level fields removed from the stored payload (tokens, passphrases). */
  readonly stripFields?: readonly string[];
}

function mappingOf(options: SourceOptions, defaults: GenericMapping): GenericMapping {
  const m = options['mapping'];
  return m !== null && typeof m === 'object' && !Array.isArray(m)
    ? { ...defaults, ...(m as GenericMapping) }
    : defaults;
}

function valueAt(body: unknown, spec: string | undefined): string | undefined {
  if (spec === undefined) return undefined;
  for (const alt of spec.split('|')) {
    if (alt.startsWith('=')) return alt.slice(1);
    const v = optionalString(body, alt);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Dedupe key: the mapped dedupe paths' values, then the event time (receive time when none is mapped). */
function dedupeKeyOf(body: unknown, m: GenericMapping, receivedAtMs: number): string {
  const parts = (m.dedupe ?? [m.eventType, m.resourceId]).map((p) => valueAt(body, p));
  return compositeKey(...parts, valueAt(body, m.occurredAt) ?? receivedAtMs);
}

function validateMapping(name: string, options: SourceOptions): string[] {
  const m = options['mapping'];
  if (m === undefined) return [];
  if (m === null || typeof m !== 'object' || Array.isArray(m))
    return [`${name}: options.mapping must be an object of dot paths`];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    const ok =
      k === 'dedupe' || k === 'stripFields'
        ? Array.isArray(v) && v.every((x) => typeof x === 'string')
        : typeof v === 'string';
    if (!ok) problems.push(`${name}: options.mapping.${k} has the wrong type`);
  }
  return problems;
}

/**
 * A ProviderModule for an unsigned JSON sender: shared token + IP allowlist, generic mapping.
 * Paths may list alternatives with `|` (`id|barcode`); `=text` is a constant.
 */
export function tokenJsonModule(
  name: string,
  domain: Domain,
  verification: string,
  defaults: GenericMapping,
): ProviderModule & { validateOptions(o: SourceOptions): string[] } {
  return {
    name,
    signs: false,
    verification,
    defaultIdempotencyWindowSeconds: 3 * DAY,
    domain,
    contentTypes: ['application/json'],
    sensitiveHeaders: ['x-webhook-token'],
    validateOptions: (o) => validateMapping(name, o),

    verify(req, source) {
      return verifySharedToken(req, source, tokenLocationsOf(source));
    },

    interpret(req, source) {
      const m = mappingOf(source.options, defaults);
      try {
        const body = parseJsonObject(req.body);
        const eventType = valueAt(body, m.eventType);
        const resourceType = valueAt(body, m.resourceType);
        const resourceId = valueAt(body, m.resourceId);
        const key = dedupeKeyOf(body, m, req.receivedAt.getTime());
        return {
          items: [
            {
              body: req.body,
              extracted: {
                deliveryId: key,
                ...(eventType === undefined ? {} : { eventType }),
                ...(resourceType === undefined ? {} : { resourceType }),
                ...(resourceId === undefined ? {} : { resourceId }),
              },
            },
          ],
        };
      } catch {
        return { items: [{ body: req.body, extracted: { deliveryId: `unparsed:${req.receivedAt.getTime()}` } }] };
      }
    },

    normalize(record, source) {
      const m = mappingOf(source.options, defaults);
      const body = parseJsonObject(record.body);
      const need = (field: keyof GenericMapping): string => {
        const v = valueAt(body, m[field] as string | undefined);
        if (v === undefined)
          throw new NormalizeError(`${name}: missing ${String(m[field])} (mapping.${field})`, 'missing_field');
        return v;
      };
      const eventType = need('eventType');
      const resourceType = need('resourceType');
      const resourceId = need('resourceId');
      const timeRaw = valueAt(body, m.occurredAt);
      const occurredAt = timeRaw === undefined ? record.receivedAt.getTime() : toEpochMs(timeRaw);
      if (Number.isNaN(occurredAt))
        throw new NormalizeError(`${name}: ${String(m.occurredAt)} is not a time`, 'invalid_field');
      const versionRaw = m.version !== undefined ? pick(body, m.version) : undefined;
      const version =
        versionRaw === undefined ? Number.NaN : typeof versionRaw === 'number' ? versionRaw : toEpochMs(versionRaw);
      const dedupeKey = dedupeKeyOf(body, m, record.receivedAt.getTime());
      const payload: Record<string, unknown> = { ...body };
      for (const f of m.stripFields ?? []) delete payload[f];
      return {
        dedupeKey,
        eventType,
        resourceType,
        resourceId,
        occurredAt,
        ordering: Number.isNaN(version)
          ? { kind: 'NONE', value: null, statusRank: null }
          : { kind: 'VERSION', value: version, statusRank: null },
        payload: JSON.stringify(payload),
      };
    },
  };
}
