/**
 * Standard Webhooks (https://www.standardwebhooks.com), also used by GitLab signing tokens.
 *
 * Verification: `webhook-id`, `webhook-timestamp` (unix s, within ±tolerance, default 5 min, BOTH
 * directions), `webhook-signature`: space-separated `v1,<base64>` entries (several while the
 * sender rotates), HMAC-SHA256 over `${id}.${timestamp}.${body}` keyed with the base64-decoded
 * secret (`whsec_` prefix stripped; a secret with no key bytes never matches). Any v1 entry may
 * match any configured secret. `v1a,` (ed25519) entries are ignored: a request carrying only v1a
 * entries fails 'unsupported'. Signing and parsing live in common/standard-webhooks.ts, shared
 * with the dispatcher's outbound signing.
 *
 * Dedupe key: `webhook-id` (stable across the sender's retries; the spec's example schedule spans
 * ≈3 days, hence the window).
 *
 * Payload mapping (shared mapping.ts, overridable by source options): eventTypePath "type",
 * occurredAtPath "timestamp" (when the body has no timestamp, occurredAt = receivedAt),
 * resourceIdPath "data.id", resourceType from resourceType/resourceTypePath options, else
 * `data.type` if a string, else the first segment of the event type ("contact.created" →
 * "contact"). Ordering: NONE unless the source sets sequencePath/versionPath/statusPath.
 * Canonical: a Trade when the source sets options.canonicalTrade (trade-mapping.ts), else none.
 */
import { pick } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { header } from '../core/verdict.ts';
import { tryParseJson } from '../../common/json.ts';
import { verifyStandardWebhook } from '../core/standard-webhooks.ts';
import { validateTradeOptions, tradeMapping } from '../trade-mapping.ts';
import { extractMapped, mappingOf, normalizeMapped, validateMapping, type FieldMapping } from '../mapping.ts';
import type {
  Interpretation,
  NormalizedFields,
  ProviderModule,
  RawRecord,
  RawRequest,
  SourceConfig,
  SourceOptions,
} from '../types.ts';

const DEFAULTS: FieldMapping = { eventTypePath: 'type', occurredAtPath: 'timestamp', resourceIdPath: 'data.id' };

function mapping(options: SourceOptions, parsed: unknown): FieldMapping {
  const m = mappingOf(options, DEFAULTS);
  if (m.resourceType !== undefined || m.resourceTypePath !== undefined) return m;
  if (typeof pick(parsed, 'data.type') === 'string') return { ...m, resourceTypePath: 'data.type' };
  const type = pick(parsed, m.eventTypePath ?? 'type');
  const prefix = typeof type === 'string' ? type.split('.')[0] : undefined;
  return prefix ? { ...m, resourceType: prefix } : m;
}

export function validateOptions(options: SourceOptions): string[] {
  return [...validateMapping(options), ...validateTradeOptions(options)];
}

function interpret(req: RawRequest, source: SourceConfig): Interpretation {
  const parsed = tryParseJson(req.body);
  const facts = extractMapped(req.body, req.headers['content-type'], req.headers, mapping(source.options, parsed));
  return {
    items: [{ body: req.body, extracted: { ...facts, deliveryId: header(req, 'webhook-id') ?? facts.deliveryId } }],
  };
}

function normalize(record: RawRecord, source: SourceConfig): NormalizedFields {
  const parsed = tryParseJson(record.body);
  let m = mapping(source.options, parsed);
  // The spec recommends but does not require a body timestamp: without one, occurredAt = receivedAt.
  if (source.options.occurredAtPath === undefined && pick(parsed, 'timestamp') === undefined) {
    const { occurredAtPath: _unused, ...rest } = m;
    m = rest;
  }
  return normalizeMapped(
    {
      body: record.body,
      contentType: record.contentType,
      headers: record.headers,
      receivedAt: record.receivedAt,
      dedupeKey: record.headers['webhook-id'] ?? record.deliveryId,
    },
    m,
  );
}

export const provider: ProviderModule = {
  canonical: tradeMapping,
  name: 'standard-webhooks',
  signs: true,
  verification:
    'Standard Webhooks v1 HMAC-SHA256 over `id.timestamp.body` (whsec_ base64 key, any v1 entry, any secret), timestamp ±tolerance; v1a (ed25519) not verified; residual risk: replay inside the window is caught by webhook-id dedupe.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'other',
  domainRoutes: [
    // A generic sender carries any kind of event; one that sends trading sequences uses the
    // event types `trade.*` / `quote.*` by convention.
    { eventType: 'trade.*', domain: 'trading' },
    { eventType: 'quote.*', domain: 'trading' },
  ],
  contentTypes: ['application/json'],
  verify: verifyStandardWebhook,
  interpret,
  normalize,
  validateOptions,
};
