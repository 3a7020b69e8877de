/**
 * Adobe I/O Events webhooks (Adobe Commerce / Magento eventing, AEM, Creative Cloud, custom providers).
 *
 * Verification (Adobe I/O Events docs, "Security Considerations"): every POST carries two RSA-SHA256
 * signatures of the raw payload, base64, in `x-adobe-digital-signature-1` and `-2`, made with two Adobe
 * key pairs; `x-adobe-public-key1-path` / `-2-path` name the public keys at static.adobeioevents.com.
 * The event is valid when either signature verifies. hookline never fetches URLs, so the PEM public keys
 * come from source options: options.publicKeys = [pem1, pem2, …] (each signature is tried against every
 * configured key, so rotation is "add the new key, later remove the old"). When options.clientId is set,
 * the payload's `recipient_client_id` must equal it (constant time) — Adobe's second check, which stops
 * events signed for another Adobe integration being replayed at us. `secrets` are not used (may be
 * empty). No signed timestamp: replays within the window are stopped by the event-id dedupe.
 * Residual risk: if Adobe rotates its keys and the source's publicKeys are not updated, events are
 * refused (fail closed) until they are; the key paths in the headers say which file to fetch by hand.
 *
 * Handshakes (unsigned, answered without enqueueing):
 *   - registration challenge: `GET ?challenge=<value>` → 200 `{"challenge":"<value>"}` (application/json),
 *     only for a challenge of 1–256 URL-safe characters (nothing else is reflected);
 *   - asynchronous validation: a POST whose JSON body is exactly `{"validationUrl": "…"}` and that carries
 *     no signature → 200, not enqueued. Completing it means a human GETs that URL within 5 minutes; we
 *     never call it. Answering the GET challenge avoids this path entirely.
 *
 * Dedupe key: the event UUID — body `event_id` (else `eventid`, else header `x-adobe-event-id`, else
 * CloudEvents `id`, else XDM `@id`). Adobe: "each event payload includes a unique event UUID … the same
 * UUID is in the x-adobe-event-id header"; duplicates and out-of-order delivery happen.
 * eventType: CloudEvents `type` (e.g. `com.adobe.commerce.observer.catalog_product_save_commit_after`,
 * `aem.sites.contentFragment.modified`), else XDM `@type`, else header `x-adobe-event-code`.
 * Resource: Commerce `com.adobe.commerce.{observer|plugin}.<entity>_<verb>_…` → `<entity>` (e.g.
 * `catalog_product`) with id `data.value.entity_id|id|increment_id|sku`; other CloudEvents → the type
 * minus its last segment, id `data.id|data.path`; XDM → `xdmEventEnvelope:objectType` and the object's
 * id. When no resource id is found the event is its own resource (`event`, event id).
 * Ordering: VERSION by Commerce `data.value.updated_at` (Magento writes UTC without a zone) when present;
 * NONE otherwise (Adobe does not order events).
 * occurredAt: CloudEvents `time`, else XDM `activitystreams:published`, else receivedAt.
 * Retry window: Adobe retries for 24 hours (1 min doubling, capped at 15 min) → 24 h.
 */
import type { KeyObject } from 'node:crypto';
import { optionalString, parseJsonObject, pick, toEpochMs } from '../core/parse.ts';
import { decodeBase64Strict, parsePublicKey, rsaSha256VerifyAny } from '../core/rsa.ts';
import { DAY } from '../core/timestamp.ts';
import { anyEqual, fail, header, OK } from '../core/verdict.ts';
import { NormalizeError, type ProviderModule, type RawRequest, type SourceOptions } from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const keyCache = new WeakMap<object, readonly KeyObject[]>();

function keyTexts(options: SourceOptions): unknown[] {
  const raw = options['publicKeys'];
  if (Array.isArray(raw)) return raw as unknown[];
  if (raw !== null && typeof raw === 'object') return Object.values(raw);
  return [];
}

function publicKeysOf(options: SourceOptions): readonly KeyObject[] {
  const raw = options['publicKeys'];
  if (raw === null || typeof raw !== 'object') return [];
  const cached = keyCache.get(raw);
  if (cached) return cached;
  const keys: KeyObject[] = [];
  for (const t of keyTexts(options)) {
    try {
      if (typeof t === 'string') keys.push(parsePublicKey(t));
    } catch {
      // reported by validateOptions; an unparseable key verifies nothing
    }
  }
  keyCache.set(raw, keys);
  return keys;
}

/** Problems with a source's options (empty = fine): publicKeys (PEM list) is required. */
export function validateOptions(options: SourceOptions): string[] {
  const texts = keyTexts(options);
  if (texts.length === 0) return ['adobe-io: options.publicKeys must list the Adobe I/O Events public keys (PEM)'];
  const problems: string[] = [];
  texts.forEach((t, i) => {
    try {
      if (typeof t !== 'string') throw new Error('not a string');
      parsePublicKey(t);
    } catch {
      problems.push(`adobe-io: options.publicKeys[${i}] is not a PEM public key`);
    }
  });
  if (options['clientId'] !== undefined && typeof options['clientId'] !== 'string')
    problems.push('adobe-io: options.clientId must be a string');
  return problems;
}

function isValidationPost(req: RawRequest): boolean {
  if (req.method !== 'POST' || header(req, 'x-adobe-digital-signature-1') || header(req, 'x-adobe-digital-signature-2'))
    return false;
  try {
    const v = JSON.parse(req.body.toString('utf8')) as unknown;
    return (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.keys(v).length === 1 &&
      typeof (v as Record<string, unknown>)['validationUrl'] === 'string'
    );
  } catch {
    return false;
  }
}

const COMMERCE =
  /^com\.adobe\.commerce\.(?:observer|plugin)\.(.+?)(?:_(?:save|delete|place|create|update|cancel|submit)(?:_commit)?_(?:after|before))?$/;

interface Facts {
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly resourceType: string;
  readonly resourceId: string | undefined;
}

function facts(body: Record<string, unknown>, headers: Readonly<Record<string, string>>): Facts {
  const eventId =
    optionalString(body, 'event_id') ??
    optionalString(body, 'eventid') ??
    headers['x-adobe-event-id'] ??
    optionalString(body, 'id') ??
    optionalString(body, '@id');
  const eventType = optionalString(body, 'type') ?? optionalString(body, '@type') ?? headers['x-adobe-event-code'];
  const commerce = eventType !== undefined ? COMMERCE.exec(eventType) : null;
  if (commerce?.[1]) {
    const v = pick(body, 'data.value');
    const id =
      optionalString(v, 'entity_id') ??
      optionalString(v, 'id') ??
      optionalString(v, 'increment_id') ??
      optionalString(v, 'sku');
    return { eventId, eventType, resourceType: commerce[1], resourceId: id };
  }
  const xdmType = optionalString(body, 'xdmEventEnvelope:objectType');
  if (xdmType !== undefined) {
    const obj = body['activitystreams:object'];
    const id =
      obj !== null && typeof obj === 'object'
        ? Object.entries(obj as Record<string, unknown>).find(
            ([k, val]) => /(?:^|:)(?:asset_)?id$/.test(k) && typeof val === 'string',
          )?.[1]
        : undefined;
    return { eventId, eventType, resourceType: xdmType, resourceId: typeof id === 'string' ? id : undefined };
  }
  const resourceType =
    eventType !== undefined && eventType.includes('.') ? eventType.slice(0, eventType.lastIndexOf('.')) : 'event';
  return {
    eventId,
    eventType,
    resourceType,
    resourceId: optionalString(body, 'data.id') ?? optionalString(body, 'data.path'),
  };
}

/** Magento `2022-09-06 20:37:25` (UTC, no zone) or ISO → epoch ms. */
function commerceTimeToMs(v: string): number {
  const iso = v.includes('T') ? v : v.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  validateOptions,
  name: 'adobe-io',
  signs: true,
  verification:
    'RSA-SHA256 (base64) of the raw payload in x-adobe-digital-signature-1/-2, either matching a configured Adobe public key, plus recipient_client_id check; keys are configured by hand (never fetched), no timestamp — replays stopped by event-id dedupe.',
  defaultIdempotencyWindowSeconds: 1 * DAY,
  domain: 'commerce',
  contentTypes: ['application/json', 'application/cloudevents+json'],
  extraMethods: ['GET'],

  handshake(req) {
    if (req.method === 'GET') {
      const challenge = req.url.searchParams.get('challenge');
      if (challenge !== null && /^[A-Za-z0-9._~-]{1,256}$/.test(challenge)) {
        return { status: 200, contentType: 'application/json', body: JSON.stringify({ challenge }) };
      }
      return undefined;
    }
    return isValidationPost(req)
      ? { status: 200, contentType: 'application/json', body: '{"received":true}' }
      : undefined;
  },

  verify(req, source) {
    if (req.method !== 'POST') return fail('unsupported');
    const sigs = [header(req, 'x-adobe-digital-signature-1'), header(req, 'x-adobe-digital-signature-2')].filter(
      (s) => s !== undefined,
    );
    if (sigs.length === 0) return fail('missing_signature');
    const decoded = sigs.map((s) => decodeBase64Strict(s)).filter((b) => b !== undefined);
    if (decoded.length === 0) return fail('malformed_signature');
    const keys = publicKeysOf(source.options);
    let ok = false;
    for (const sig of decoded) ok = rsaSha256VerifyAny(req.body, sig, keys) || ok;
    if (!ok) return fail('bad_signature');
    const clientId = source.options['clientId'];
    if (typeof clientId === 'string' && clientId !== '') {
      let recipient: string | undefined;
      try {
        recipient = optionalString(parseJsonObject(req.body), 'recipient_client_id');
      } catch {
        return fail('bad_token');
      }
      if (recipient === undefined || !anyEqual(recipient, [clientId])) return fail('bad_token');
    }
    return OK;
  },

  interpret(req) {
    try {
      const f = facts(parseJsonObject(req.body), req.headers);
      return {
        items: [
          {
            body: req.body,
            extracted: {
              deliveryId: f.eventId ?? `unparsed:${req.receivedAt.getTime()}`,
              ...(f.eventType === undefined ? {} : { eventType: f.eventType }),
              resourceType: f.resourceId === undefined ? 'event' : f.resourceType,
              ...(f.resourceId === undefined
                ? f.eventId === undefined
                  ? {}
                  : { resourceId: f.eventId }
                : { resourceId: f.resourceId }),
            },
          },
        ],
      };
    } catch {
      return {
        items: [
          {
            body: req.body,
            extracted: { deliveryId: header(req, 'x-adobe-event-id') ?? `unparsed:${req.receivedAt.getTime()}` },
          },
        ],
      };
    }
  },

  normalize(record) {
    const body = parseJsonObject(record.body);
    const f = facts(body, record.headers);
    if (f.eventId === undefined)
      throw new NormalizeError('adobe-io: no event id (event_id / x-adobe-event-id)', 'missing_field');
    if (f.eventType === undefined) throw new NormalizeError('adobe-io: no event type', 'missing_field');
    const timeRaw = optionalString(body, 'time') ?? optionalString(body, 'activitystreams:published');
    const time = timeRaw === undefined ? Number.NaN : toEpochMs(timeRaw);
    if (timeRaw !== undefined && Number.isNaN(time))
      throw new NormalizeError('adobe-io: event time is not a date', 'invalid_field');
    const updated = optionalString(body, 'data.value.updated_at');
    const version = updated === undefined ? Number.NaN : commerceTimeToMs(updated);
    return {
      dedupeKey: f.eventId,
      eventType: f.eventType,
      resourceType: f.resourceId === undefined ? 'event' : f.resourceType,
      resourceId: f.resourceId ?? f.eventId,
      occurredAt: Number.isNaN(time) ? record.receivedAt.getTime() : time,
      ordering: Number.isNaN(version)
        ? { kind: 'NONE', value: null, statusRank: null }
        : { kind: 'VERSION', value: version, statusRank: null },
      payload: record.body.toString('utf8'),
    };
  },
};
