/**
 * HubSpot (app webhooks; the body is a JSON ARRAY of up to 100 events).
 *
 * Verification, by `options.hubspotSignatureVersions` (default ["v3"], the strictest: v1/v2
 * sign no timestamp, so a captured request replays forever, and v1 does not even bind the URL):
 * - v3: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(client secret,
 *   method + URI + body + timestamp), `X-HubSpot-Request-Timestamp` in ms, within ±tolerance in
 *   BOTH directions (HubSpot's SDK rejects only old ones). URI = req.url as HubSpot called it
 *   (publicUrl behind a proxy) with HubSpot's listed %-escapes decoded, as its docs require.
 * - v2: `X-HubSpot-Signature` with `X-HubSpot-Signature-Version: v2` = hex SHA-256(secret +
 *   method + URI + body).
 * - v1: `X-HubSpot-Signature` (version v1) = hex SHA-256(secret + body).
 * When v3 headers are present and v3 is allowed they are checked (a bad v3 is not rescued by a v1).
 * A version not enabled for the source → 'unsupported'.
 *
 * interpret() splits the array: one item per element, body = that element's JSON bytes
 * (re-serialized from the verified request; integers beyond 2^53 kept exact), batchIndex = index.
 *
 * Dedupe key / deliveryId: `${portalId}|${subscriptionId}|${eventId}`. HubSpot documents eventId
 * as "not guaranteed to be unique" on its own; the triple is what stays constant across retries
 * (attemptNumber changes). Window: HubSpot retries up to 10 times over ~24 h (2°): 3 days.
 *
 * Resource: objectTypeId (new platform, e.g. "0-1") or the subscriptionType prefix
 * ("contact.propertyChange" → "contact"), id = objectId (fromObjectId for association events).
 * Ordering: VERSION on `occurredAt` (ms) per object: an older change never overwrites a newer one.
 * Caveat: propertyChange events for DIFFERENT properties of one object share the resource, so an
 * older change of property A arriving after a newer change of B counts as stale; consumers that
 * need every property change should re-read the object (HubSpot payloads are thin anyway).
 * occurredAt: `occurredAt` (always sent).
 */
import { createHash } from 'node:crypto';
import { decodeSignature, hmac } from '../core/hmac.ts';
import { bodyDigest, isRecord, parseJsonLossless, pick } from '../core/parse.ts';
import { checkTimestamp, DAY, strictInt } from '../core/timestamp.ts';
import { anyEqual, fail, header, OK } from '../core/verdict.ts';
import {
  NormalizeError,
  type IngressItem,
  type Interpretation,
  type NormalizedFields,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
  type VerifyResult,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

type Version = 'v1' | 'v2' | 'v3';
const VERSIONS: readonly Version[] = ['v1', 'v2', 'v3'];

export function validateOptions(options: SourceOptions): string[] {
  const v = options.hubspotSignatureVersions;
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => !VERSIONS.includes(x as Version))) {
    return ['hubspotSignatureVersions must be a non-empty array of "v1" | "v2" | "v3"'];
  }
  return [];
}

function allowed(source: SourceConfig): readonly Version[] {
  const v = source.options.hubspotSignatureVersions;
  return Array.isArray(v) ? v.filter((x): x is Version => VERSIONS.includes(x as Version)) : ['v3'];
}

// HubSpot: "decode these URL-encoded characters in the URI" before signing (v3).
const DECODE: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function hubspotUri(url: URL): string {
  return url.href.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODE[m.toUpperCase()] ?? m);
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  const versions = allowed(source);
  const v3 = header(req, 'x-hubspot-signature-v3');
  if (v3 !== undefined && versions.includes('v3')) {
    const ts = header(req, 'x-hubspot-request-timestamp');
    if (ts === undefined) return fail('missing_signature');
    const ms = strictInt(ts);
    if (Number.isNaN(ms)) return fail('malformed_signature');
    const time = checkTimestamp(ms / 1000, req, source);
    if (!time.ok) return time;
    const given = decodeSignature(v3.trim(), 'base64');
    if (!given) return fail('malformed_signature');
    const content = Buffer.concat([
      Buffer.from(req.method.toUpperCase() + hubspotUri(req.url)),
      req.body,
      Buffer.from(ts),
    ]);
    return anyEqual(
      given,
      source.secrets.map((s) => hmac('sha256', s, content)),
    )
      ? OK
      : fail('bad_signature');
  }
  const legacy = header(req, 'x-hubspot-signature');
  if (legacy === undefined) return fail(v3 !== undefined ? 'unsupported' : 'missing_signature');
  const version = (header(req, 'x-hubspot-signature-version') ?? 'v1').toLowerCase() as Version;
  if (!VERSIONS.includes(version) || version === 'v3') return fail('malformed_signature');
  if (!versions.includes(version)) return fail('unsupported');
  const given = decodeSignature(legacy.trim(), 'hex');
  if (!given) return fail('malformed_signature');
  const prefix = version === 'v2' ? req.method.toUpperCase() + req.url.href : '';
  const expected = source.secrets.map((s) =>
    createHash('sha256')
      .update(Buffer.concat([Buffer.from(s + prefix), req.body]))
      .digest(),
  );
  return anyEqual(given, expected) ? OK : fail('bad_signature');
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function dedupeKeyOf(ev: unknown): string | undefined {
  const eventId = str(pick(ev, 'eventId'));
  return eventId === undefined
    ? undefined
    : `${str(pick(ev, 'portalId')) ?? ''}|${str(pick(ev, 'subscriptionId')) ?? ''}|${eventId}`;
}

function resourceOf(ev: unknown): { resourceType: string; resourceId: string } | undefined {
  const type = str(pick(ev, 'objectTypeId')) ?? str(pick(ev, 'subscriptionType'))?.split('.')[0];
  const id = str(pick(ev, 'objectId')) ?? str(pick(ev, 'fromObjectId'));
  return type && id ? { resourceType: type, resourceId: id } : undefined;
}

function interpret(req: RawRequest): Interpretation {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(req.body);
  } catch {
    return { items: [{ body: req.body, extracted: { deliveryId: bodyDigest(req.body) } }] };
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  const items: IngressItem[] = events.map((ev, i) => {
    const body = Buffer.from(JSON.stringify(ev));
    const eventType = str(pick(ev, 'subscriptionType'));
    return {
      body,
      batchIndex: i,
      extracted: {
        deliveryId: dedupeKeyOf(ev) ?? bodyDigest(body),
        ...(eventType === undefined ? {} : { eventType }),
        ...(resourceOf(ev) ?? {}),
      },
    };
  });
  return { items };
}

function normalize(record: RawRecord): NormalizedFields {
  const ev = parseJsonLossless(record.body);
  if (!isRecord(ev)) throw new NormalizeError('item is not a JSON object', 'unexpected_payload');
  const dedupeKey = dedupeKeyOf(ev);
  if (!dedupeKey) throw new NormalizeError('missing required field eventId', 'missing_field');
  const eventType = str(ev.subscriptionType);
  if (!eventType) throw new NormalizeError('missing required field subscriptionType', 'missing_field');
  const resource = resourceOf(ev);
  if (!resource) throw new NormalizeError('missing required field objectId', 'missing_field');
  if (ev.occurredAt === undefined) throw new NormalizeError('missing required field occurredAt', 'missing_field');
  if (typeof ev.occurredAt !== 'number' || !Number.isFinite(ev.occurredAt)) {
    throw new NormalizeError('occurredAt is not epoch ms', 'invalid_field');
  }
  return {
    dedupeKey,
    eventType,
    ...resource,
    occurredAt: ev.occurredAt,
    ordering: { kind: 'VERSION', value: ev.occurredAt, statusRank: null },
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'hubspot',
  signs: true,
  verification:
    'HubSpot v3 HMAC-SHA256 over method+URI+body+timestamp with ±tolerance (v1/v2 SHA-256 only if enabled per source: no timestamp, replayable); batch split per event, dedupe portalId|subscriptionId|eventId.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'crm',
  contentTypes: ['application/json'],
  verify,
  interpret,
  normalize,
  validateOptions,
};
