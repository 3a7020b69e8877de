/**
 * Twilio (Messaging and Voice webhooks and status callbacks).
 *
 * Verification: `X-Twilio-Signature` = base64 HMAC(auth token, URL + form params sorted by name,
 * each appended as name+value; repeated names: distinct values sorted). HMAC-SHA1 by default;
 * HMAC-SHA256 when `X-Twilio-Webhooks-Signature-Settings` says `algorithm=HMAC_SHA256` (same
 * key, so letting the header choose gives an attacker nothing). JSON bodies: the URL carries
 * `bodySHA256=<hex sha256(body)>`, only the URL is signed, and the body hash must match
 * (constant time). The URL is `req.url`: the ingress sets it to the source's `publicUrl` (with
 * the request's own query string) when configured, because Twilio signs the URL it called, not
 * the one behind our proxy. Like Twilio's SDK, the URL is tried with and without the default
 * port. No timestamp is signed: replays are stopped only by dedupe.
 *
 * Replies: status callbacks (MessageStatus present; or CallStatus with CallbackSource /
 * SequenceNumber, i.e. a call-progress callback) → 204 without body (Twilio ignores the body).
 * Messaging and voice webhooks → 200 empty TwiML
 * `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` (text/xml): we reply after
 * enqueueing, so no call/message instructions can be given synchronously.
 *
 * Dedupe key: `<sid>|<status>` where sid = RecordingSid (recording callbacks), else MessageSid /
 * SmsSid, else CallSid; status = RecordingStatus / MessageStatus / SmsStatus / CallStatus.
 * Window: 1 day. Twilio retries for ~15 s then calls the fallback URL (which may be us too); 1
 * day covers both plus connection-override retries, at negligible cost.
 *
 * Ordering: STATUS, value = occurredAt. Ranks (higher = later in the lifecycle):
 *   message (outbound): accepted 1, scheduled 2, queued 3, sending 4, sent 5,
 *     partially_delivered 6, delivered 7, undelivered 7, failed 7, canceled 7, read 8;
 *   message (inbound): receiving 1, received 2;
 *   call: queued 1, initiated 2, ringing 3, in-progress 4 (answered 4), completed 5, busy 5,
 *     no-answer 5, failed 5, canceled 5;
 *   recording: in-progress 1, completed 2, absent 2, failed 2.
 * A late "sent" never overwrites "delivered"; "read" (WhatsApp) follows "delivered".
 * occurredAt: `Timestamp` (call callbacks, RFC 2822) when present; messaging callbacks carry no
 * time: receivedAt.
 */
import { createHash } from 'node:crypto';
import { decodeSignature, hmac } from '../core/hmac.ts';
import { bodyDigest, compositeKey, isRecord, mediaType, parseJson, toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
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
  type SyncReply,
  type VerifyResult,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const FORM = 'application/x-www-form-urlencoded';
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export const STATUS_RANKS: Readonly<Record<'message' | 'call' | 'recording', Readonly<Record<string, number>>>> = {
  message: {
    receiving: 1,
    received: 2,
    accepted: 1,
    scheduled: 2,
    queued: 3,
    sending: 4,
    sent: 5,
    partially_delivered: 6,
    delivered: 7,
    undelivered: 7,
    failed: 7,
    canceled: 7,
    read: 8,
  },
  call: {
    queued: 1,
    initiated: 2,
    ringing: 3,
    'in-progress': 4,
    answered: 4,
    completed: 5,
    busy: 5,
    'no-answer': 5,
    failed: 5,
    canceled: 5,
  },
  recording: { 'in-progress': 1, completed: 2, absent: 2, failed: 2 },
};

/** Twilio's canonical string: URL, then each param name + value, names sorted, values sorted per name. */
function signedString(url: string, params: URLSearchParams | undefined): string {
  if (!params) return url;
  const names = [...new Set(params.keys())].sort();
  let out = url;
  for (const n of names) for (const v of [...new Set(params.getAll(n))].sort()) out += n + v;
  return out;
}

function urlVariants(url: URL): string[] {
  const href = url.href;
  if (url.port !== '') return [href, href.replace(`:${url.port}`, '')];
  const port = url.protocol === 'https:' ? ':443' : url.protocol === 'http:' ? ':80' : '';
  const withPort = port
    ? `${url.protocol}//${url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : ''}${url.hostname}${port}${url.pathname}${url.search}`
    : href;
  return [href, withPort];
}

function algorithmOf(req: RawRequest): 'sha1' | 'sha256' | undefined {
  const settings = header(req, 'x-twilio-webhooks-signature-settings');
  if (!settings) return 'sha1';
  for (const part of settings.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k === 'algorithm' && v)
      return v.toUpperCase() === 'HMAC_SHA1' ? 'sha1' : v.toUpperCase() === 'HMAC_SHA256' ? 'sha256' : undefined;
  }
  return 'sha1';
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  const raw = header(req, 'x-twilio-signature');
  if (raw === undefined) return fail('missing_signature');
  const given = decodeSignature(raw.trim(), 'base64');
  if (!given) return fail('malformed_signature');
  const algorithm = algorithmOf(req);
  if (!algorithm) return fail('unsupported');
  const isForm = mediaType(req.headers['content-type']) === FORM;
  const bodyHash = req.url.searchParams.get('bodySHA256');
  if (!isForm && bodyHash === null) return fail('malformed_signature');
  const params = isForm ? new URLSearchParams(req.body.toString('utf8')) : undefined;
  const expected: Buffer[] = [];
  for (const url of urlVariants(req.url)) {
    const content = signedString(url, params);
    for (const s of source.secrets) expected.push(hmac(algorithm, s, content));
  }
  if (!anyEqual(given, expected)) return fail('bad_signature');
  if (!isForm) {
    const actual = createHash('sha256').update(req.body).digest('hex');
    if (!anyEqual(actual, [(bodyHash ?? '').toLowerCase()])) return fail('bad_signature');
  }
  return OK;
}

function fields(body: Buffer, contentType: string | undefined): Record<string, string> | undefined {
  if (mediaType(contentType) === FORM) return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  const v = tryParseJson(body);
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number') out[k] = String(x);
  return out;
}

interface Facts {
  readonly kind: 'message' | 'call' | 'recording';
  readonly sid: string;
  readonly status: string | undefined;
  readonly isStatusCallback: boolean;
}

function factsOf(f: Record<string, string>): Facts | undefined {
  const nz = (k: string): string | undefined => (f[k] ? f[k] : undefined);
  const recording = nz('RecordingSid');
  if (recording && nz('RecordingStatus'))
    return { kind: 'recording', sid: recording, status: nz('RecordingStatus'), isStatusCallback: true };
  const message = nz('MessageSid') ?? nz('SmsSid');
  if (message) {
    return {
      kind: 'message',
      sid: message,
      status: nz('MessageStatus') ?? nz('SmsStatus'),
      isStatusCallback: nz('MessageStatus') !== undefined,
    };
  }
  const call = nz('CallSid');
  if (call) {
    const progress = nz('CallbackSource') !== undefined || nz('SequenceNumber') !== undefined;
    return { kind: 'call', sid: call, status: nz('CallStatus'), isStatusCallback: progress };
  }
  return undefined;
}

function interpret(req: RawRequest): Interpretation {
  const f = fields(req.body, req.headers['content-type']);
  const facts = f ? factsOf(f) : undefined;
  const reply: SyncReply = facts?.isStatusCallback
    ? { status: 204 }
    : { status: 200, contentType: 'text/xml', body: EMPTY_TWIML };
  return {
    items: [
      {
        body: req.body,
        extracted: facts
          ? {
              deliveryId: compositeKey(facts.sid, facts.status),
              eventType: `${facts.kind}.${facts.status ?? 'unknown'}`,
              resourceType: facts.kind,
              resourceId: facts.sid,
            }
          : { deliveryId: bodyDigest(req.body) },
      },
    ],
    reply,
  };
}

function normalize(record: RawRecord): NormalizedFields {
  let f: Record<string, string> | undefined;
  if (mediaType(record.contentType) === FORM) f = fields(record.body, record.contentType);
  else {
    const v = parseJson(record.body);
    if (!isRecord(v)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
    f = fields(record.body, record.contentType);
  }
  if (!f) throw new NormalizeError('unreadable body', 'unparseable');
  const facts = factsOf(f);
  if (!facts) throw new NormalizeError('missing required field MessageSid / CallSid / RecordingSid', 'missing_field');
  if (!facts.status) throw new NormalizeError(`missing status field for ${facts.kind}`, 'missing_field');
  let occurredAt = record.receivedAt.getTime();
  if (f.Timestamp) {
    occurredAt = toEpochMs(f.Timestamp);
    if (!Number.isFinite(occurredAt)) throw new NormalizeError('Timestamp is not a time', 'invalid_field');
  }
  return {
    dedupeKey: compositeKey(facts.sid, facts.status),
    eventType: `${facts.kind}.${facts.status}`,
    resourceType: facts.kind,
    resourceId: facts.sid,
    occurredAt,
    ordering: { kind: 'STATUS', value: occurredAt, statusRank: STATUS_RANKS[facts.kind][facts.status] ?? 0 },
    payload: mediaType(record.contentType) === FORM ? JSON.stringify(f) : record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'twilio',
  signs: true,
  verification:
    'X-Twilio-Signature HMAC-SHA1 (or SHA-256 per signature settings) over the public URL + sorted form params, or URL with bodySHA256 plus body-hash check for JSON; no signed timestamp, so replays are stopped only by sid|status dedupe.',
  defaultIdempotencyWindowSeconds: DAY,
  domain: 'messaging',
  contentTypes: [FORM, 'application/json'],
  verify,
  interpret,
  normalize,
};
