/**
 * Coinbase Commerce (crypto payments: charges).
 *
 * Verification: `X-CC-Webhook-Signature` = hex HMAC-SHA256 of the raw request body, keyed with the
 * webhook shared secret (Settings > Notifications) as a raw string, compared in constant time against
 * every source secret. Source: https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security
 * ("This header contains the SHA256 HMAC signature of the raw request payload, computed using your
 * webhook shared secret as the key") and .../webhooks-overview. No signed timestamp: replays are
 * stopped by event-id dedupe within the window.
 *
 * Body: `{id, scheduled_for, event:{id, resource:"event", type:"charge:<status>", api_version,
 * created_at, data:<charge>}}`. Dedupe key: `event.id` (a UUID, the same across retries).
 * Resource: `charge` / `event.data.id` (else `event.data.code`). eventType: `event.type`.
 * Ordering: STATUS by the charge lifecycle (created 1 < pending 2 < delayed 3 < confirmed|failed 4 <
 * resolved 5), value = event.created_at — a late charge:pending never follows charge:confirmed.
 * occurredAt: event.created_at.
 * Retry window: Coinbase retries "with an exponential backoff for up to three days" → 4 days.
 */
import { verifyHmac, type HmacPreset } from '../core/hmac.ts';
import { bodyDigest, isRecord, parseJsonLossless, pick, toEpochMs, tryParseJsonLossless } from '../core/parse.ts';
import { rankOf, statusRanksProblems } from '../core/status.ts';
import { DAY } from '../core/timestamp.ts';
import {
  NormalizeError,
  type Interpretation,
  type NormalizedFields,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const PRESET: HmacPreset = { header: 'x-cc-webhook-signature', algorithm: 'sha256', encoding: 'hex' };

export const STATUS_RANKS: Readonly<Record<string, number>> = {
  'charge:created': 1,
  'charge:pending': 2,
  'charge:delayed': 3,
  'charge:confirmed': 4,
  'charge:failed': 4,
  'charge:resolved': 5,
};

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function facts(body: unknown) {
  return {
    eventId: str(pick(body, 'event.id')),
    eventType: str(pick(body, 'event.type')),
    resourceType: str(pick(body, 'event.data.resource')) ?? 'charge',
    resourceId: str(pick(body, 'event.data.id')) ?? str(pick(body, 'event.data.code')),
    createdAt: str(pick(body, 'event.created_at')),
  };
}

function interpret(req: RawRequest): Interpretation {
  const body = tryParseJsonLossless(req.body);
  const f = facts(body);
  return {
    items: [
      {
        body: req.body,
        extracted: {
          deliveryId: f.eventId ?? bodyDigest(req.body),
          ...(f.eventType === undefined ? {} : { eventType: f.eventType }),
          ...(f.resourceId === undefined ? {} : { resourceType: f.resourceType, resourceId: f.resourceId }),
        },
      },
    ],
  };
}

function normalize(record: RawRecord, source: SourceConfig): NormalizedFields {
  const body = parseJsonLossless(record.body);
  if (!isRecord(body)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  const f = facts(body);
  if (f.eventId === undefined) throw new NormalizeError('missing required field event.id', 'missing_field');
  if (f.eventType === undefined) throw new NormalizeError('missing required field event.type', 'missing_field');
  if (f.resourceId === undefined) throw new NormalizeError('missing required field event.data.id', 'missing_field');
  const created = f.createdAt === undefined ? record.receivedAt.getTime() : toEpochMs(f.createdAt);
  if (!Number.isFinite(created)) throw new NormalizeError('event.created_at is not a time', 'invalid_field');
  return {
    dedupeKey: f.eventId,
    eventType: f.eventType,
    resourceType: f.resourceType,
    resourceId: f.resourceId,
    occurredAt: created,
    ordering: { kind: 'STATUS', value: created, statusRank: rankOf(STATUS_RANKS, f.eventType, source.options) },
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'coinbase-commerce',
  signs: true,
  verification:
    'X-CC-Webhook-Signature hex HMAC-SHA256 of the raw body (any configured secret, constant time); no signed timestamp, so replays are stopped by event.id dedupe within the window.',
  defaultIdempotencyWindowSeconds: 4 * DAY,
  domain: 'payments',
  contentTypes: ['application/json'],
  verify: (req, source) => verifyHmac(PRESET, req, source),
  interpret,
  normalize,
  validateOptions: (o: SourceOptions) => statusRanksProblems('coinbase-commerce', 'event types', o),
};
