/**
 * Bol.com Retailer API subscriptions (webhook push messages).
 *
 * Verification: Bol signs the raw body with RSA-SHA256 (PKCS#1 v1.5) and sends
 * `Signature: keyId=<id>, algorithm="rsa-sha256", signature=<base64>` (secondary source; Bol's key API is
 * `GET /retailer/subscriptions/signature-keys`, returning base64 SPKI public keys by id). hookline never
 * calls external APIs, so the public keys come from source options:
 *   options.publicKeys = { "<keyId>": "<PEM or base64 SPKI DER>", … }
 * The signature is checked against the key named by keyId only; an unknown keyId fails
 * (`bad_signature`). Rotation: configure the new key id next to the old before Bol switches.
 * `secrets` are not used by this module (Bol signs with its private key; nothing is shared) and may be
 * empty; `signs` is true. No signed timestamp: replays are stopped by the dedupe key within the window.
 *
 * Payload: `{retailerId, timestamp, event:{resource, type, resourceId}}` — thin: downstream re-fetches
 * the resource (e.g. GET shipment by id) for details.
 * Dedupe key: Bol sends no event id: `(resource, type, resourceId, timestamp)`.
 * Ordering: VERSION by `timestamp` (epoch ms) per resource: an older notification never overrides a newer.
 * occurredAt: `timestamp`. eventType: `<resource>.<type>` (e.g. `SHIPMENT.UPDATE_TRANSPORT_EVENT`).
 * Retry window: Bol retries 10 times within 10 minutes, then disables the subscription → 1 hour default
 * (the 10 minutes plus margin for our own slow acknowledgements).
 */
import { compositeKey, parseJsonObject, requireString, toEpochMs } from '../core/parse.ts';
import { decodeBase64Strict, parsePublicKey, rsaSha256VerifyAny } from '../core/rsa.ts';
import { fail, header, OK } from '../core/verdict.ts';
import { NormalizeError, type ProviderModule, type SourceOptions } from '../types.ts';
import type { KeyObject } from 'node:crypto';
import { canonicalMapping } from './canonical.ts';

const keyCache = new WeakMap<object, ReadonlyMap<string, KeyObject>>();

function publicKeysOf(options: SourceOptions): ReadonlyMap<string, KeyObject> {
  const raw = options['publicKeys'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return new Map();
  const cached = keyCache.get(raw);
  if (cached) return cached;
  const map = new Map<string, KeyObject>();
  for (const [id, text] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof text !== 'string') continue;
    try {
      map.set(id, parsePublicKey(text));
    } catch {
      // reported by validateOptions at start-up; an unparseable key verifies nothing
    }
  }
  keyCache.set(raw, map);
  return map;
}

/** Problems with a source's options (empty = fine): publicKeys must map key ids to parseable public keys. */
export function validateOptions(options: SourceOptions): string[] {
  const raw = options['publicKeys'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    return ['bol: options.publicKeys must be an object { keyId: PEM or base64 SPKI public key } with at least one key'];
  }
  const problems: string[] = [];
  for (const [id, text] of Object.entries(raw as Record<string, unknown>)) {
    try {
      if (typeof text !== 'string') throw new Error('not a string');
      parsePublicKey(text);
    } catch {
      problems.push(`bol: options.publicKeys["${id}"] is not a public key (PEM or base64 SPKI DER)`);
    }
  }
  return problems;
}

/** `keyId=abc, algorithm="rsa-sha256", signature=b64` → parameters (quotes removed), or undefined. */
export function parseSignatureHeader(value: string): Readonly<Record<string, string>> | undefined {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^\s"]*))\s*$/.exec(part);
    if (!m?.[1]) return undefined;
    out[m[1].toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return out;
}

interface BolEvent {
  readonly resource: string;
  readonly type: string;
  readonly resourceId: string;
  readonly timestamp: string;
}

function eventOf(body: Record<string, unknown>): BolEvent {
  return {
    resource: requireString(body, 'event.resource'),
    type: requireString(body, 'event.type'),
    resourceId: requireString(body, 'event.resourceId'),
    timestamp: requireString(body, 'timestamp'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  validateOptions,
  name: 'bol',
  signs: true,
  verification:
    'RSA-SHA256 signature of the raw body (Signature header, keyId → public key from options.publicKeys); no shared secret and no signed timestamp, replays stopped by (resource, type, resourceId, timestamp) dedupe.',
  defaultIdempotencyWindowSeconds: 3600,
  domain: 'commerce',
  contentTypes: ['application/json'],

  verify(req, source) {
    const raw = header(req, 'signature');
    if (raw === undefined) return fail('missing_signature');
    const params = parseSignatureHeader(raw);
    const keyId = params?.['keyid'];
    const algorithm = params?.['algorithm'];
    const sig = params?.['signature'] !== undefined ? decodeBase64Strict(params['signature']) : undefined;
    if (!keyId || !sig || (algorithm !== undefined && algorithm.toLowerCase() !== 'rsa-sha256')) {
      return fail('malformed_signature');
    }
    const key = publicKeysOf(source.options).get(keyId);
    if (!key) return fail('bad_signature');
    return rsaSha256VerifyAny(req.body, sig, [key]) ? OK : fail('bad_signature');
  },

  interpret(req) {
    try {
      const e = eventOf(parseJsonObject(req.body));
      return {
        items: [
          {
            body: req.body,
            extracted: {
              deliveryId: compositeKey(e.resource, e.type, e.resourceId, e.timestamp),
              eventType: `${e.resource}.${e.type}`,
              resourceType: e.resource,
              resourceId: e.resourceId,
            },
          },
        ],
      };
    } catch {
      return { items: [{ body: req.body, extracted: { deliveryId: `unparsed:${req.receivedAt.getTime()}` } }] };
    }
  },

  normalize(record) {
    const e = eventOf(parseJsonObject(record.body));
    const at = toEpochMs(e.timestamp);
    if (Number.isNaN(at)) throw new NormalizeError('bol: timestamp is not a date', 'invalid_field');
    return {
      dedupeKey: compositeKey(e.resource, e.type, e.resourceId, e.timestamp),
      eventType: `${e.resource}.${e.type}`,
      resourceType: e.resource,
      resourceId: e.resourceId,
      occurredAt: at,
      ordering: { kind: 'VERSION', value: at, statusRank: null },
      payload: record.body.toString('utf8'),
    };
  },
};
