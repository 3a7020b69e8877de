/**
 * Stripe.
 *
 * Verification: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over
 * `${t}.${rawBody}` with the endpoint secret used as-is (including `whsec_`). Any v1 entry may
 * match any configured secret (Stripe sends several v1 entries while a secret is rolled; we
 * accept several secrets for our own rotation). `t` must be within the tolerance in BOTH
 * directions (the Stripe SDK only rejects old ones). v0/other schemes are ignored.
 *
 * Dedupe key: the event `id` (evt_…), stable across Stripe's retries (live mode: up to 3 days).
 *
 * Resource: `data.object.object` / `data.object.id` (e.g. payment_intent / pi_…). Objects
 * without an id (balance) use the connected `account` id, or "self".
 *
 * Ordering: STATUS. value = event `created` in ms; statusRank from `data.object.status` for
 * objects whose status has a forward-only progression (table STATUS_RANKS below), else 0.
 * Ranks are tiers, not one rank per status: PaymentIntents legitimately loop
 * (processing → requires_payment_method after a failed attempt → requires_confirmation …), so
 * all non-terminal states share tier 1 and are ordered by `created`; requires_capture (2) can
 * only end in a terminal state (3). A late "processing" therefore never overwrites "succeeded",
 * but a real retry loop is not mistaken for a stale event. Subscriptions are deliberately not
 * ranked (active ↔ past_due goes both ways).
 *
 * occurredAt = `created` (Stripe always sends it).
 */
import { hmac } from '../core/hmac.ts';
import { bodyDigest, isRecord, parseJsonObject, pick, requireString } from '../core/parse.ts';
import { checkTimestamp, DAY, strictInt } from '../core/timestamp.ts';
import { anyEqual, fail, header, OK } from '../core/verdict.ts';
import { tryParseJson } from '../../common/json.ts';
import {
  NormalizeError,
  type Interpretation,
  type NormalizedFields,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type VerifyResult,
} from '../types.ts';
import { rankOf, type StatusRanks } from '../core/status.ts';
import { canonicalMapping } from './canonical.ts';

/** statusRank per data.object.object → status. Unlisted objects/statuses rank 0. */
export const STATUS_RANKS: Readonly<Record<string, StatusRanks>> = {
  payment_intent: {
    requires_payment_method: 1,
    requires_confirmation: 1,
    requires_action: 1,
    processing: 1,
    requires_capture: 2,
    succeeded: 3,
    canceled: 3,
  },
  setup_intent: {
    requires_payment_method: 1,
    requires_confirmation: 1,
    requires_action: 1,
    processing: 1,
    succeeded: 3,
    canceled: 3,
  },
  charge: { pending: 1, succeeded: 2, failed: 2 },
  refund: { pending: 1, requires_action: 1, succeeded: 2, failed: 2, canceled: 2 },
  // A payout shown as paid can still turn failed later (Stripe docs), so failed ranks above paid.
  payout: { pending: 1, in_transit: 2, paid: 3, canceled: 3, failed: 4 },
  // draft → open → (uncollectible →) paid | void.
  invoice: { draft: 1, open: 2, uncollectible: 3, paid: 4, void: 4 },
  'checkout.session': { open: 1, complete: 2, expired: 2 },
};

function parseHeader(value: string): { t: string | undefined; v1: string[] } {
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of value.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') v1.push(v);
  }
  return { t, v1 };
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  const raw = header(req, 'stripe-signature');
  if (raw === undefined) return fail('missing_signature');
  const { t, v1 } = parseHeader(raw);
  if (t === undefined || v1.length === 0) return fail('malformed_signature');
  const ts = strictInt(t);
  if (Number.isNaN(ts)) return fail('malformed_signature');
  const time = checkTimestamp(ts, req, source);
  if (!time.ok) return time;
  const given = v1.filter((s) => /^[0-9a-fA-F]{64}$/.test(s)).map((s) => Buffer.from(s, 'hex'));
  if (given.length === 0) return fail('malformed_signature');
  const signed = Buffer.concat([Buffer.from(`${t}.`), req.body]);
  const expected = source.secrets.map((s) => hmac('sha256', s, signed));
  let ok = false;
  for (const g of given) ok = anyEqual(g, expected) || ok;
  return ok ? OK : fail('bad_signature');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function interpret(req: RawRequest): Interpretation {
  const ev = tryParseJson(req.body);
  const id = str(pick(ev, 'id'));
  const eventType = str(pick(ev, 'type'));
  const resourceType = str(pick(ev, 'data.object.object'));
  const resourceId = str(pick(ev, 'data.object.id'));
  return {
    items: [
      {
        body: req.body,
        extracted: {
          deliveryId: id ?? bodyDigest(req.body),
          ...(eventType === undefined ? {} : { eventType }),
          ...(resourceType === undefined ? {} : { resourceType }),
          ...(resourceId === undefined ? {} : { resourceId }),
        },
      },
    ],
  };
}

function normalize(record: RawRecord): NormalizedFields {
  const ev = parseJsonObject(record.body);
  const id = requireString(ev, 'id');
  const eventType = requireString(ev, 'type');
  const created = pick(ev, 'created');
  if (created === undefined) throw new NormalizeError('missing required field created', 'missing_field');
  if (typeof created !== 'number' || !Number.isInteger(created)) {
    throw new NormalizeError('created is not an integer', 'invalid_field');
  }
  const obj = pick(ev, 'data.object');
  if (!isRecord(obj)) throw new NormalizeError('missing required field data.object', 'missing_field');
  const resourceType = requireString(obj, 'object');
  const resourceId = str(obj.id) ?? str(ev.account) ?? 'self';
  const status = str(obj.status);
  const rank = rankOf(STATUS_RANKS[resourceType] ?? {}, status);
  const occurredAt = created * 1000;
  return {
    dedupeKey: id,
    eventType,
    resourceType,
    resourceId,
    occurredAt,
    ordering: { kind: 'STATUS', value: occurredAt, statusRank: rank },
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  name: 'stripe',
  signs: true,
  verification:
    'Stripe-Signature HMAC-SHA256 over `t.body` (any v1, any configured secret), t within ±tolerance; residual risk: a replay inside the tolerance window is caught only by event-id dedupe.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'payments',
  domainRoutes: [{ eventType: 'customer.*', domain: 'crm' }],
  contentTypes: ['application/json'],
  verify,
  interpret,
  normalize,
  canonical: canonicalMapping,
};
