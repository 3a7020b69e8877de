/**
 * WooCommerce webhooks (WC_Webhook).
 *
 * Verification: `X-WC-Webhook-Signature` = base64 HMAC-SHA256 of the raw body, key = the webhook's
 * secret as a raw string; all source secrets tried (rotation). No signed timestamp: replays are stopped
 * by the dedupe key below within the window.
 * Handshake: when a webhook is created or activated, WooCommerce POSTs an unsigned form body
 * `webhook_id=<n>` and needs a 2xx or it will not activate the hook. handshake() answers 200 to exactly
 * that shape (no signature header, body `webhook_id=<digits>`) and nothing is enqueued; anything else
 * falls through to verify().
 *
 * Topic: `X-WC-Webhook-Topic` (e.g. `order.updated`), else `X-WC-Webhook-Resource` + `.` +
 * `X-WC-Webhook-Event`. Resource type = the topic's resource (order, product, customer, coupon, …).
 *
 * Dedupe key: WooCommerce sends no stable event id (`X-WC-Webhook-Delivery-ID` is new on every send), so
 * the key is `(topic, resource id, date_modified_gmt)`: the same save of the same object for the same
 * topic is one event, wherever many times it was delivered (WooCommerce is known to fire a topic twice
 * for one save). Deleted resources arrive as `{id}` only: key `(topic, id, -)` — an object is deleted once.
 * `action.*` topics (`{action, arg}`) have no resource: key `(topic, action, receive time)`.
 * Ordering: VERSION by `date_modified_gmt` (epoch ms; WooCommerce writes it without a zone, it is UTC),
 * so a late `order.updated` never overwrites a newer one; NONE when the payload has no modification time.
 * occurredAt: date_modified_gmt, else date_created_gmt, else receivedAt (deletions, actions).
 * Retry window: WooCommerce does not retry (it disables a hook after more than 5 consecutive failures);
 * the 1-day default covers duplicate fires and manual re-sends, the key itself carries the version.
 */
import { type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { compositeKey, optionalString, parseJsonObject, pick } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { NormalizeError, type ProviderModule, type RawRequest } from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const PRESET: HmacPreset = { header: 'x-wc-webhook-signature', algorithm: 'sha256', encoding: 'base64' };

/** WooCommerce `*_gmt` fields: `2017-03-22T16:28:02` (no zone, UTC) → epoch ms; NaN if not a date. */
export function gmtToMs(v: unknown): number {
  if (typeof v !== 'string' || v === '') return Number.NaN;
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(v) ? v : `${v}Z`);
}

function topicOf(headers: Readonly<Record<string, string>>): string | undefined {
  const topic = headers['x-wc-webhook-topic'];
  if (topic) return topic;
  const resource = headers['x-wc-webhook-resource'];
  const event = headers['x-wc-webhook-event'];
  return resource && event ? `${resource}.${event}` : undefined;
}

function isPing(req: RawRequest): boolean {
  return (
    req.method === 'POST' &&
    req.headers['x-wc-webhook-signature'] === undefined &&
    /^webhook_id=\d{1,20}$/.test(req.body.toString('utf8').trim())
  );
}

interface Facts {
  readonly topic: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly dedupeKey: string;
  readonly modifiedMs: number;
  readonly occurredAt: number;
}

function facts(topic: string, body: Record<string, unknown>, receivedAtMs: number): Facts {
  const resourceType = topic.split('.')[0] ?? topic;
  if (resourceType === 'action') {
    const action = optionalString(body, 'action') ?? topic;
    return {
      topic,
      resourceType,
      resourceId: action,
      dedupeKey: compositeKey(topic, action, receivedAtMs),
      modifiedMs: Number.NaN,
      occurredAt: receivedAtMs,
    };
  }
  const id = optionalString(body, 'id');
  if (id === undefined) throw new NormalizeError('woocommerce: payload has no id', 'missing_field');
  const modifiedRaw = pick(body, 'date_modified_gmt');
  const modifiedMs = gmtToMs(modifiedRaw);
  if (modifiedRaw !== undefined && modifiedRaw !== null && Number.isNaN(modifiedMs)) {
    throw new NormalizeError('woocommerce: date_modified_gmt is not a date', 'invalid_field');
  }
  const created = gmtToMs(pick(body, 'date_created_gmt'));
  return {
    topic,
    resourceType,
    resourceId: id,
    dedupeKey: compositeKey(
      topic,
      id,
      Number.isNaN(modifiedMs) ? '-' : typeof modifiedRaw === 'string' ? modifiedRaw : '-',
    ),
    modifiedMs,
    occurredAt: !Number.isNaN(modifiedMs) ? modifiedMs : !Number.isNaN(created) ? created : receivedAtMs,
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'woocommerce',
  signs: true,
  verification:
    'HMAC-SHA256 (base64) of the raw body in X-WC-Webhook-Signature, raw-string secret, constant time, all secrets; unsigned creation ping answered 200 and not enqueued; no timestamp, replays stopped by (topic, id, date_modified) dedupe.',
  defaultIdempotencyWindowSeconds: 1 * DAY,
  domain: 'commerce',
  contentTypes: ['application/json', 'application/x-www-form-urlencoded'],

  handshake(req) {
    return isPing(req) ? { status: 200, contentType: 'application/json', body: '{"received":true}' } : undefined;
  },

  verify(req, source) {
    return verifyHmac(PRESET, req, source);
  },

  interpret(req) {
    const topic = topicOf(req.headers);
    let extracted: { deliveryId: string; eventType?: string; resourceType?: string; resourceId?: string } = {
      deliveryId: req.headers['x-wc-webhook-delivery-id'] ?? `unparsed:${req.receivedAt.getTime()}`,
      ...(topic === undefined ? {} : { eventType: topic }),
    };
    if (topic !== undefined) {
      try {
        const f = facts(topic, parseJsonObject(req.body), req.receivedAt.getTime());
        extracted = {
          deliveryId: f.dedupeKey,
          eventType: f.topic,
          resourceType: f.resourceType,
          resourceId: f.resourceId,
        };
      } catch {
        // left to the validator, which sends it to the DLQ with the reason
      }
    }
    return { items: [{ body: req.body, extracted }] };
  },

  normalize(record) {
    const topic = topicOf(record.headers);
    if (topic === undefined) throw new NormalizeError('woocommerce: no X-WC-Webhook-Topic header', 'missing_field');
    const body = parseJsonObject(record.body);
    const f = facts(topic, body, record.receivedAt.getTime());
    return {
      dedupeKey: f.dedupeKey,
      eventType: f.topic,
      resourceType: f.resourceType,
      resourceId: f.resourceId,
      occurredAt: f.occurredAt,
      ordering: Number.isNaN(f.modifiedMs)
        ? { kind: 'NONE', value: null, statusRank: null }
        : { kind: 'VERSION', value: f.modifiedMs, statusRank: null },
      payload: record.body.toString('utf8'),
    };
  },
};
