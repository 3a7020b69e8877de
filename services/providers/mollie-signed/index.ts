/**
 * Mollie next-gen webhooks (Webhooks API subscriptions, "event" objects).
 *
 * Verification: `X-Mollie-Signature` = hex HMAC-SHA256 of the raw body, key = the subscription's shared
 * secret used as a raw string (Mollie docs, "Webhooks: Best practices": HMAC of the raw request body,
 * timing-safe compare). Mollie's clients send the value as `sha256=<hex>`; a bare `<hex>` is accepted
 * too. All source secrets are tried (rotation). There is no signed timestamp, so a captured request can be
 * replayed: the dedupe on the event id makes a replay within the idempotency window a no-op.
 *
 * Payload (Webhook Events API object): `{resource:"event", id:"event_…", type:"payment-link.paid",
 * entityId:"pl_…", createdAt, _embedded:{entity:{…}}?, _links}`. The snapshot (`_embedded.entity`) is
 * optional ("simple" payloads omit it): downstream re-fetches when it is absent.
 *
 * Dedupe key: body `id` (event_…). Resource: the entity id's Mollie prefix (tr_ → payment, pl_ →
 * payment-link, …) else the event type's first segment; resource id = `entityId`.
 * Ordering: NONE — Mollie events carry only `createdAt` (second resolution, no sequence); two events of
 * one entity in the same second could not be ordered, so the sequencer applies arrival order and the
 * consumer trusts the (re-fetched) entity state.
 * occurredAt: `createdAt`.
 * Retry window: not confirmed in Mollie's docs → 3 days (project default for unknowns).
 */
import { type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { optionalString, parseJsonObject, requireString, toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { resourceTypeOf } from '../mollie/index.ts';
import { NormalizeError, type ProviderModule, type RawRequest } from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const PRESET: HmacPreset = { header: 'x-mollie-signature', algorithm: 'sha256', encoding: 'hex' };

/** `sha256=<hex>` or `<hex>` → the same request with the prefix removed, for the generic verifier. */
function withoutPrefix(req: RawRequest): RawRequest {
  const v = req.headers['x-mollie-signature'];
  if (v === undefined || !/^sha256=/i.test(v.trim())) return req;
  return { ...req, headers: { ...req.headers, 'x-mollie-signature': v.trim().slice(7) } };
}

function resourceOf(type: string | undefined, entityId: string | undefined): string {
  const byId = entityId !== undefined ? resourceTypeOf(entityId) : 'mollie-object';
  if (byId !== 'mollie-object') return byId;
  return type?.split('.')[0] || 'mollie-object';
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'mollie-signed',
  signs: true,
  verification:
    'HMAC-SHA256 (hex) of the raw body in X-Mollie-Signature with the raw-string secret, constant time, all secrets; no signed timestamp, so replays are stopped only by event-id dedupe within the window.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'payments',
  contentTypes: ['application/json'],

  verify(req, source) {
    return verifyHmac(PRESET, withoutPrefix(req), source);
  },

  interpret(req) {
    let id: string | undefined;
    let type: string | undefined;
    let entityId: string | undefined;
    try {
      const body = JSON.parse(req.body.toString('utf8')) as unknown;
      id = optionalString(body, 'id');
      type = optionalString(body, 'type');
      entityId = optionalString(body, 'entityId');
    } catch {
      // unparseable: still enqueued (it was signed); the validator sends it to the DLQ with the reason
    }
    return {
      items: [
        {
          body: req.body,
          extracted: {
            deliveryId: id ?? `unparsed:${req.receivedAt.getTime()}`,
            ...(type === undefined ? {} : { eventType: type }),
            resourceType: resourceOf(type, entityId),
            ...(entityId === undefined ? {} : { resourceId: entityId }),
          },
        },
      ],
    };
  },

  normalize(record) {
    const body = parseJsonObject(record.body);
    const id = requireString(body, 'id');
    const type = requireString(body, 'type');
    const entityId = requireString(body, 'entityId');
    const occurredAt = toEpochMs(requireString(body, 'createdAt'));
    if (Number.isNaN(occurredAt)) throw new NormalizeError('mollie-signed: createdAt is not a date', 'invalid_field');
    return {
      dedupeKey: id,
      eventType: type,
      resourceType: resourceOf(type, entityId),
      resourceId: entityId,
      occurredAt,
      ordering: { kind: 'NONE', value: null, statusRank: null },
      payload: record.body.toString('utf8'),
    };
  },
};
