/**
 * Microsoft Teams outgoing webhook.
 *
 * Verification: `Authorization: HMAC <base64>` = base64 HMAC-SHA256 of the raw body, keyed with
 * the base64-DECODED security token Teams showed when the webhook was created. No timestamp is
 * signed: replays are stopped only by Activity-id dedupe within the window.
 *
 * Reply: synchronous, within Teams' 5 s limit: `{"type":"message","text":<options.replyText ??
 * "Received">}` (application/json), posted by Teams into the thread. The reply is sent after the
 * event is durably enqueued, so it acknowledges receipt only: processing results cannot be
 * returned this way (outgoing webhooks cannot post later without a bot).
 *
 * Dedupe key: the Activity `id` (unconfirmed as stable across retries: Teams documents no retry).
 * Window: Teams documents no retry schedule: 3 days, the project default for unknown schedules.
 * Resource: conversation / `conversation.id` (the channel thread); eventType: the Activity `type`
 * ("message"). Ordering: NONE (messages are not versions of one object).
 * occurredAt: the Activity `timestamp`, else `localTimestamp`, else receivedAt.
 *
 * Authorization is dropped from stored headers (sensitiveHeaders): it is a MAC, not the token,
 * but it is useless for audit and there is no reason to keep authentication material around.
 */
import { type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { bodyDigest, isRecord, parseJson, pick, toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { tryParseJson } from '../../common/json.ts';
import {
  NormalizeError,
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

const PRESET: HmacPreset = {
  header: 'authorization',
  algorithm: 'sha256',
  encoding: 'base64',
  prefix: 'HMAC ',
  secretEncoding: 'base64',
};

export const DEFAULT_REPLY_TEXT = 'Received';

export function validateOptions(options: SourceOptions): string[] {
  const t = options.replyText;
  return t === undefined || (typeof t === 'string' && t.length <= 28_000)
    ? []
    : ['replyText must be a string (≤ 28 000 chars)'];
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  return verifyHmac(PRESET, req, source);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function interpret(req: RawRequest, source: SourceConfig): Interpretation {
  const a = tryParseJson(req.body);
  const eventType = str(pick(a, 'type'));
  const conversation = str(pick(a, 'conversation.id'));
  const text = typeof source.options.replyText === 'string' ? source.options.replyText : DEFAULT_REPLY_TEXT;
  return {
    items: [
      {
        body: req.body,
        extracted: {
          deliveryId: str(pick(a, 'id')) ?? bodyDigest(req.body),
          ...(eventType === undefined ? {} : { eventType }),
          ...(conversation === undefined ? {} : { resourceType: 'conversation', resourceId: conversation }),
        },
      },
    ],
    reply: { status: 200, contentType: 'application/json', body: JSON.stringify({ type: 'message', text }) },
  };
}

function normalize(record: RawRecord): NormalizedFields {
  const a = parseJson(record.body);
  if (!isRecord(a)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  const id = str(a.id);
  if (!id) throw new NormalizeError('missing required field id', 'missing_field');
  const type = str(a.type);
  if (!type) throw new NormalizeError('missing required field type', 'missing_field');
  const conversation = str(pick(a, 'conversation.id'));
  if (!conversation) throw new NormalizeError('missing required field conversation.id', 'missing_field');
  const raw = a.timestamp ?? a.localTimestamp;
  const t = toEpochMs(raw);
  if (raw !== undefined && !Number.isFinite(t)) throw new NormalizeError('timestamp is not a time', 'invalid_field');
  return {
    dedupeKey: id,
    eventType: type,
    resourceType: 'conversation',
    resourceId: conversation,
    occurredAt: Number.isFinite(t) ? t : record.receivedAt.getTime(),
    ordering: { kind: 'NONE', value: null, statusRank: null },
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'teams',
  signs: true,
  verification:
    'Authorization HMAC: base64 HMAC-SHA256 of the raw body keyed with the base64-decoded security token (any configured token); no signed timestamp, so replays are stopped only by Activity-id dedupe.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'messaging',
  contentTypes: ['application/json'],
  verify,
  interpret,
  normalize,
  validateOptions,
  sensitiveHeaders: ['authorization'],
};
