/**
 * GitHub.
 *
 * Verification: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body with the raw
 * secret. The legacy SHA-1 `X-Hub-Signature` is not accepted. GitHub signs no timestamp, so a
 * captured request can be replayed: only X-GitHub-Delivery dedupe (within the window) stops it.
 *
 * Bodies: JSON, or form-encoded with the JSON in `payload=` (webhook content type
 * "application/x-www-form-urlencoded"); the payload stored is the inner JSON text either way.
 *
 * Dedupe key: `X-GitHub-Delivery` (a manual redelivery keeps the same GUID). GitHub does not
 * retry automatically; the 3-day default window covers manual redeliveries made soon after.
 *
 * eventType: `X-GitHub-Event`, plus `.${action}` when the body has one ("pull_request.opened").
 * `ping` (sent when a hook is created) is accepted and enqueued like any event, as "ping"
 * on resource hook/<hook_id>, so the pipeline sees the hook is alive; consumers may ignore it.
 *
 * Resource (first that applies):
 * - issue / pull_request (also their comments and reviews): `<owner/repo>#<number>`, type
 *   "issue" or "pull_request";
 * - anything else with a repository: type "repository", id full_name;
 * - ping: "hook"/hook_id (checked first);
 * - organization events: "organization"/login; app events: "installation"/id;
 * - otherwise "github"/"global".
 *
 * Ordering: VERSION on the subject's `updated_at` (issue, pull_request) in ms when present, so
 * a late "edited" never overwrites a newer state; NONE otherwise (push, ping, …).
 * occurredAt: GitHub sends no event time: the subject's updated_at where it exists, else
 * head_commit.timestamp (push), else receivedAt.
 */
import { type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { bodyDigest, isRecord, mediaType, parseForm, parseJson, pick, toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { header } from '../core/verdict.ts';
import { tryParseJson } from '../../common/json.ts';
import {
  NormalizeError,
  type Extracted,
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

const PRESET: HmacPreset = { header: 'x-hub-signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' };

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  return verifyHmac(PRESET, req, source);
}

/** The event JSON text: the body, or the `payload` field of a form body. */
function eventText(body: Buffer, contentType: string | undefined): string | undefined {
  if (mediaType(contentType) === 'application/x-www-form-urlencoded') return parseForm(body).payload;
  return body.toString('utf8');
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

interface Facts {
  readonly eventType: string;
  readonly resourceType: string;
  readonly resourceId: string;
  /** The issue / pull request whose updated_at orders events, if any. */
  readonly subject?: Record<string, unknown>;
}

function facts(event: string, ev: Record<string, unknown>): Facts {
  const action = str(ev.action);
  const eventType = action ? `${event}.${action}` : event;
  if (event === 'ping' && str(ev.hook_id))
    return { eventType, resourceType: 'hook', resourceId: str(ev.hook_id) ?? '' };
  const repo = str(pick(ev, 'repository.full_name'));
  const pr = ev.pull_request;
  const issue = ev.issue;
  if (repo && isRecord(pr) && str(pr.number)) {
    return { eventType, resourceType: 'pull_request', resourceId: `${repo}#${str(pr.number)}`, subject: pr };
  }
  if (repo && isRecord(issue) && str(issue.number)) {
    // Issue comments on pull requests arrive with `issue.pull_request` set: same resource as the PR.
    const type = isRecord(issue.pull_request) ? 'pull_request' : 'issue';
    return { eventType, resourceType: type, resourceId: `${repo}#${str(issue.number)}`, subject: issue };
  }
  if (repo) return { eventType, resourceType: 'repository', resourceId: repo };
  const org = str(pick(ev, 'organization.login'));
  if (org) return { eventType, resourceType: 'organization', resourceId: org };
  const inst = str(pick(ev, 'installation.id'));
  if (inst) return { eventType, resourceType: 'installation', resourceId: inst };
  return { eventType, resourceType: 'github', resourceId: 'global' };
}

function interpret(req: RawRequest): Interpretation {
  const text = eventText(req.body, req.headers['content-type']);
  const ev = text === undefined ? undefined : tryParseJson(text);
  const event = header(req, 'x-github-event');
  const deliveryId = header(req, 'x-github-delivery') ?? bodyDigest(req.body);
  const f = event && isRecord(ev) ? facts(event, ev) : undefined;
  const extracted: Extracted = f
    ? { deliveryId, eventType: f.eventType, resourceType: f.resourceType, resourceId: f.resourceId }
    : { deliveryId, ...(event ? { eventType: event } : {}) };
  return { items: [{ body: req.body, extracted }] };
}

function normalize(record: RawRecord): NormalizedFields {
  const event = record.headers['x-github-event'];
  if (!event) throw new NormalizeError('missing header x-github-event', 'missing_field');
  const delivery = record.headers['x-github-delivery'] ?? record.deliveryId;
  const text = eventText(record.body, record.contentType);
  if (text === undefined) throw new NormalizeError('form body without payload field', 'missing_field');
  const ev = parseJson(Buffer.from(text));
  if (!isRecord(ev)) throw new NormalizeError('payload is not a JSON object', 'unexpected_payload');
  const f = facts(event, ev);
  const updated = f.subject ? toEpochMs(f.subject.updated_at) : Number.NaN;
  const pushed = toEpochMs(pick(ev, 'head_commit.timestamp'));
  const occurredAt = Number.isFinite(updated)
    ? updated
    : Number.isFinite(pushed)
      ? pushed
      : record.receivedAt.getTime();
  const ordering: Ordering = Number.isFinite(updated)
    ? { kind: 'VERSION', value: updated, statusRank: null }
    : { kind: 'NONE', value: null, statusRank: null };
  return {
    dedupeKey: delivery,
    eventType: f.eventType,
    resourceType: f.resourceType,
    resourceId: f.resourceId,
    occurredAt,
    ordering,
    payload: text,
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'github',
  signs: true,
  verification:
    'X-Hub-Signature-256 HMAC-SHA256 of the raw body (any configured secret); no signed timestamp, so replays are stopped only by X-GitHub-Delivery dedupe within the window.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'devops',
  contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
  verify,
  interpret,
  normalize,
};
