/**
 * Shopify.
 *
 * Verification: `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body, keyed with the
 * app's client secret as a raw string. Shopify signs no timestamp: replays are stopped only by
 * X-Shopify-Webhook-Id dedupe within the window.
 *
 * Dedupe key: `X-Shopify-Webhook-Id` (stable across Shopify's retries).
 * Window: 2 days. Shopify retries 8 times over 4 hours; 2 days covers that with a wide margin
 * for our own outages, manual "resend" from the partner dashboard the next day and clock skew,
 * at a negligible Redis cost (one key per webhook).
 *
 * eventType: the topic header (`orders/updated`); resourceType: the topic's first segment
 * (`orders`); resourceId: body `id` (kept exact beyond 2^53: Shopify's sample ids exceed it), else `shop_id` / the `X-Shopify-Shop-Domain` header
 * (shop-level topics such as app/uninstalled and the GDPR topics).
 *
 * Ordering: VERSION by the resource's `updated_at` (ms); when the body has none, by
 * `X-Shopify-Triggered-At`; NONE when neither exists. An older update never overwrites a newer one.
 * occurredAt: X-Shopify-Triggered-At, else updated_at, else created_at, else receivedAt.
 */
import { type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { bodyDigest, isRecord, parseJsonLossless, pick, toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { header } from '../core/verdict.ts';
import {
  NormalizeError,
  type Interpretation,
  type NormalizedFields,
  type Ordering,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type VerifyResult,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const PRESET: HmacPreset = { header: 'x-shopify-hmac-sha256', algorithm: 'sha256', encoding: 'base64' };

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  return verifyHmac(PRESET, req, source);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function resourceIdOf(body: unknown, headers: Readonly<Record<string, string>>): string | undefined {
  return str(pick(body, 'id')) ?? str(pick(body, 'shop_id')) ?? headers['x-shopify-shop-domain'];
}

function tryParse(body: Buffer): unknown {
  try {
    return parseJsonLossless(body);
  } catch {
    return undefined;
  }
}

function interpret(req: RawRequest): Interpretation {
  const body = tryParse(req.body);
  const topic = header(req, 'x-shopify-topic');
  const resourceType = topic?.split('/')[0];
  const resourceId = resourceIdOf(body, req.headers);
  return {
    items: [
      {
        body: req.body,
        extracted: {
          deliveryId: header(req, 'x-shopify-webhook-id') ?? bodyDigest(req.body),
          ...(topic === undefined ? {} : { eventType: topic }),
          ...(resourceType ? { resourceType } : {}),
          ...(resourceId === undefined ? {} : { resourceId }),
        },
      },
    ],
  };
}

function normalize(record: RawRecord): NormalizedFields {
  const webhookId = record.headers['x-shopify-webhook-id'];
  if (!webhookId) throw new NormalizeError('missing header x-shopify-webhook-id', 'missing_field');
  const topic = record.headers['x-shopify-topic'];
  if (!topic) throw new NormalizeError('missing header x-shopify-topic', 'missing_field');
  const body = parseJsonLossless(record.body);
  if (!isRecord(body)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  const resourceId = resourceIdOf(body, record.headers);
  if (resourceId === undefined) throw new NormalizeError('missing required field id', 'missing_field');
  const updated = toEpochMs(body.updated_at);
  const triggered = toEpochMs(record.headers['x-shopify-triggered-at']);
  const created = toEpochMs(body.created_at);
  const version = Number.isFinite(updated) ? updated : triggered;
  const ordering: Ordering = Number.isFinite(version)
    ? { kind: 'VERSION', value: version, statusRank: null }
    : { kind: 'NONE', value: null, statusRank: null };
  const occurredAt = [triggered, updated, created].find((t) => Number.isFinite(t)) ?? record.receivedAt.getTime();
  return {
    dedupeKey: webhookId,
    eventType: topic,
    resourceType: topic.split('/')[0] || topic,
    resourceId,
    occurredAt,
    ordering,
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'shopify',
  signs: true,
  verification:
    'X-Shopify-Hmac-Sha256 base64 HMAC-SHA256 of the raw body (any configured secret); no signed timestamp, so replays are stopped only by X-Shopify-Webhook-Id dedupe within the window.',
  defaultIdempotencyWindowSeconds: 2 * DAY,
  domain: 'commerce',
  contentTypes: ['application/json'],
  verify,
  interpret,
  normalize,
};
