/**
 * Slack (Events API, slash commands, interactivity).
 *
 * Verification: `X-Slack-Signature: v0=<hex>` = HMAC-SHA256(signing secret,
 * `v0:${X-Slack-Request-Timestamp}:${rawBody}`); the timestamp must be within ±tolerance
 * (default 5 min) in BOTH directions (Bolt only rejects old ones).
 * Handshake: `ssl_check=1` form posts are unsigned: answered 200 without verifying or enqueuing
 * (matched narrowly: form body with ssl_check=1 and neither `command` nor `payload`).
 *
 * Requests and replies:
 * - Events API (JSON) `url_verification`: verified, nothing enqueued, reply
 *   `{"challenge": …}` (application/json).
 * - Events API `event_callback`: one item; default reply.
 * - Slash commands (form, `command=`): enqueued; reply 200 with an empty body, or
 *   `options.ackText` as text/plain (shown to the user). Results go later via response_url.
 * - Interactivity (form, `payload=` JSON): enqueued; reply 200 empty. Note: block_suggestion
 *   (options load) and view_submission with response_action need content in the synchronous
 *   reply and cannot be served by an async pipeline: they are acknowledged empty.
 *
 * Dedupe keys: Events API `event_id` (Slack retries up to 3 times ≈ 0, 1, 5 min, same event_id;
 * `X-Slack-Retry-Num`/`X-Slack-Retry-Reason` stay in the audit headers). Slash commands:
 * `trigger_id`. Interactivity: `trigger_id` when present (block_actions, shortcuts,
 * view_submission), else `type|view.id|view.hash` (view_closed), else the body hash.
 * Slash commands and interactivity are not retried by Slack; the window (1 day) is driven by
 * Events API retries (≈6 min) with margin for manual replays.
 *
 * Resource: channel id when the event is about a channel (event.channel, event.item.channel,
 * event.channel.id, channel_id, payload channel.id / container.channel_id), else the team.
 * Ordering: NONE: Slack events are messages and actions, not versions of one object.
 * occurredAt: event_time (s) for Events API; interactivity action_ts; slash commands carry no
 * time: receivedAt.
 */
import { type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { bodyDigest, compositeKey, isRecord, mediaType, parseForm, parseJson, pick } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { tryParseJson } from '../../common/json.ts';
import {
  NormalizeError,
  type Extracted,
  type Interpretation,
  type NormalizedFields,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
  type SyncReply,
  type VerifyResult,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const FORM = 'application/x-www-form-urlencoded';

const PRESET: HmacPreset = {
  header: 'x-slack-signature',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'v0=',
  timestampHeader: 'x-slack-request-timestamp',
  signedContent: (req, ts) => Buffer.concat([Buffer.from(`v0:${ts ?? ''}:`), req.body]),
};

export function validateOptions(options: SourceOptions): string[] {
  const t = options.ackText;
  return t === undefined || (typeof t === 'string' && t.length <= 3000)
    ? []
    : ['ackText must be a string (≤ 3000 chars)'];
}

function handshake(req: RawRequest): SyncReply | undefined {
  if (mediaType(req.headers['content-type']) !== FORM) return undefined;
  const form = parseForm(req.body);
  if (form.ssl_check !== '1' || form.command !== undefined || form.payload !== undefined) return undefined;
  return { status: 200 };
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  return verifyHmac(PRESET, req, source);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Where the event is: a channel if it is about one, else the team. */
function resourceOf(...candidates: (string | undefined)[]): { resourceType: string; resourceId: string } | undefined {
  const [channel, team] = [candidates.slice(0, -1).find((c) => c !== undefined), candidates[candidates.length - 1]];
  if (channel) return { resourceType: 'channel', resourceId: channel };
  if (team) return { resourceType: 'team', resourceId: team };
  return undefined;
}

interface Facts {
  readonly dedupeKey: string | undefined;
  readonly eventType: string | undefined;
  readonly resource: { resourceType: string; resourceId: string } | undefined;
  readonly occurredAt: number;
  readonly payload: string;
}

function eventFacts(ev: Record<string, unknown>, body: Buffer): Facts {
  const channel = pick(ev, 'event.channel');
  return {
    dedupeKey: str(ev.event_id),
    // event_callback: the inner event's type; other envelopes (app_rate_limited…): their own type.
    eventType: ev.type === 'event_callback' ? str(pick(ev, 'event.type')) : str(ev.type),
    resource: resourceOf(
      typeof channel === 'string' ? channel : str(pick(channel, 'id')),
      str(pick(ev, 'event.item.channel')),
      str(pick(ev, 'event.channel_id')),
      str(ev.team_id) ?? str(ev.context_team_id),
    ),
    // event_time is documented as epoch seconds.
    occurredAt: typeof ev.event_time === 'number' ? ev.event_time * 1000 : Number.NaN,
    payload: body.toString('utf8'),
  };
}

function commandFacts(form: Record<string, string>): Facts {
  return {
    dedupeKey: form.trigger_id || undefined,
    eventType: 'slash_command',
    resource: resourceOf(form.channel_id || undefined, form.team_id || undefined),
    occurredAt: Number.NaN,
    payload: JSON.stringify(form),
  };
}

function interactionFacts(p: Record<string, unknown>, text: string): Facts {
  const type = str(p.type);
  const viewId = str(pick(p, 'view.id'));
  const actionTs = str(pick(p, 'actions.0.action_ts')) ?? str(p.action_ts);
  return {
    dedupeKey:
      str(p.trigger_id) ?? (type && viewId ? compositeKey(type, viewId, str(pick(p, 'view.hash'))) : undefined),
    eventType: type,
    resource: resourceOf(str(pick(p, 'channel.id')), str(pick(p, 'container.channel_id')), str(pick(p, 'team.id'))),
    occurredAt: actionTs ? Number(actionTs) * 1000 : Number.NaN,
    payload: text,
  };
}

/** Tolerant parse for the ingress; undefined when the body is not one of Slack's shapes. */
function factsOf(body: Buffer, contentType: string | undefined): Facts | 'url_verification' | undefined {
  if (mediaType(contentType) === FORM) {
    const form = parseForm(body);
    if (form.payload !== undefined) {
      const p = tryParseJson(form.payload);
      return isRecord(p) ? interactionFacts(p, form.payload) : undefined;
    }
    return form.command !== undefined ? commandFacts(form) : undefined;
  }
  const ev = tryParseJson(body);
  if (!isRecord(ev)) return undefined;
  if (ev.type === 'url_verification') return 'url_verification';
  return eventFacts(ev, body);
}

function interpret(req: RawRequest, source: SourceConfig): Interpretation {
  const contentType = req.headers['content-type'];
  if (mediaType(contentType) !== FORM) {
    const ev = tryParseJson(req.body);
    if (isRecord(ev) && ev.type === 'url_verification') {
      return {
        items: [],
        reply: {
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({ challenge: str(ev.challenge) ?? '' }),
        },
      };
    }
  }
  const f = factsOf(req.body, contentType);
  const facts = f === 'url_verification' ? undefined : f;
  const extracted: Extracted = {
    deliveryId: facts?.dedupeKey ?? bodyDigest(req.body),
    ...(facts?.eventType ? { eventType: facts.eventType } : {}),
    ...(facts?.resource ?? {}),
  };
  const items = [{ body: req.body, extracted }];
  if (mediaType(contentType) !== FORM) return { items };
  const ack = source.options.ackText;
  const reply: SyncReply =
    typeof ack === 'string' && ack !== '' && facts?.eventType === 'slash_command'
      ? { status: 200, contentType: 'text/plain; charset=utf-8', body: ack }
      : { status: 200 };
  return { items, reply };
}

function normalize(record: RawRecord): NormalizedFields {
  let facts: Facts;
  if (mediaType(record.contentType) === FORM) {
    const form = parseForm(record.body);
    if (form.payload !== undefined) {
      const p = parseJson(Buffer.from(form.payload));
      if (!isRecord(p)) throw new NormalizeError('interactivity payload is not a JSON object', 'unexpected_payload');
      facts = interactionFacts(p, form.payload);
      if (!facts.eventType) throw new NormalizeError('missing required field payload.type', 'missing_field');
    } else if (form.command !== undefined) {
      facts = commandFacts(form);
    } else {
      throw new NormalizeError('form body is neither a slash command nor an interaction', 'unexpected_payload');
    }
  } else {
    const ev = parseJson(record.body);
    if (!isRecord(ev)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
    if (ev.type === 'url_verification')
      throw new NormalizeError('url_verification is a handshake, not an event', 'unexpected_payload');
    facts = eventFacts(ev, record.body);
    if (!facts.eventType) throw new NormalizeError('missing required field event.type', 'missing_field');
    if (ev.type === 'event_callback') {
      if (!facts.dedupeKey) throw new NormalizeError('missing required field event_id', 'missing_field');
      if (!Number.isFinite(facts.occurredAt))
        throw new NormalizeError('missing required field event_time', 'missing_field');
    }
  }
  const dedupeKey = facts.dedupeKey ?? (facts.eventType === 'slash_command' ? undefined : bodyDigest(record.body));
  if (!dedupeKey) throw new NormalizeError('missing required field event_id / trigger_id', 'missing_field');
  if (!facts.resource) throw new NormalizeError('missing required field team_id', 'missing_field');
  return {
    dedupeKey,
    eventType: facts.eventType ?? 'unknown',
    resourceType: facts.resource.resourceType,
    resourceId: facts.resource.resourceId,
    occurredAt: Number.isFinite(facts.occurredAt) ? facts.occurredAt : record.receivedAt.getTime(),
    ordering: { kind: 'NONE', value: null, statusRank: null },
    payload: facts.payload,
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'slack',
  signs: true,
  verification:
    'X-Slack-Signature v0 HMAC-SHA256 over `v0:ts:body` (any configured signing secret), timestamp ±tolerance both directions; only ssl_check is answered unsigned (nothing enqueued).',
  defaultIdempotencyWindowSeconds: DAY,
  domain: 'messaging',
  contentTypes: ['application/json', FORM],
  handshake,
  verify,
  interpret,
  normalize,
  validateOptions,
};
