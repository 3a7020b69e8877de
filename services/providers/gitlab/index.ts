/**
 * GitLab.
 *
 * Verification, per source:
 * - default: `X-Gitlab-Token` (the hook's secret token, sent in clear) compared in constant time
 *   against every configured secret. Residual risk: the token itself travels with every request
 *   (TLS only), and nothing binds it to the body or a time: anyone who sees one request can forge
 *   others. Prefer signing where the GitLab version offers it.
 * - `options.gitlabSigning: true`: GitLab's signing token (Standard Webhooks format: webhook-id /
 *   webhook-timestamp / webhook-signature v1, whsec_ secrets) is verified INSTEAD (±tolerance
 *   both directions); X-Gitlab-Token is then not required.
 *
 * Dedupe key: `Idempotency-Key` (stable across retries, GitLab 17.4+), else
 * `X-Gitlab-Event-UUID`, else `webhook-id`. Window: GitLab documents auto-disabling, not its
 * retry schedule: 3 days (project default for unknown schedules).
 *
 * eventType: body `object_kind` (else `event_name`, else the X-Gitlab-Event header), plus
 * `.${object_attributes.action}` when present ("merge_request.open").
 * Resource: merge requests `<path_with_namespace>!<iid>`, issues (and notes on them) `…#<iid>`,
 * pipelines `…/pipelines/<id>`, otherwise the project (path_with_namespace, else project_id),
 * else "instance" (system hooks).
 * Ordering: VERSION on `object_attributes.updated_at` (ms) for merge requests and issues; NONE
 * otherwise. occurredAt: object_attributes.updated_at, else created_at, else receivedAt.
 */
import { bodyDigest, isRecord, parseJson, pick, toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { anyEqual, fail, header, OK } from '../core/verdict.ts';
import { tryParseJson } from '../../common/json.ts';
import { verifyStandardWebhook } from '../core/standard-webhooks.ts';
import {
  NormalizeError,
  type Interpretation,
  type NormalizedFields,
  type Ordering,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
  type VerifyResult,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

export function validateOptions(options: SourceOptions): string[] {
  const s = options.gitlabSigning;
  return s === undefined || typeof s === 'boolean' ? [] : ['gitlabSigning must be a boolean'];
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  if (source.options.gitlabSigning === true) return verifyStandardWebhook(req, source);
  const token = header(req, 'x-gitlab-token');
  if (token === undefined) return fail('missing_signature');
  return anyEqual(token, source.secrets) ? OK : fail('bad_token');
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function deliveryIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return headers['idempotency-key'] || headers['x-gitlab-event-uuid'] || headers['webhook-id'] || undefined;
}

interface Facts {
  readonly eventType: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly versioned: boolean;
}

function facts(ev: Record<string, unknown>, eventHeader: string | undefined): Facts | undefined {
  const kind = str(ev.object_kind) ?? str(ev.event_name) ?? eventHeader;
  if (!kind) return undefined;
  const action = str(pick(ev, 'object_attributes.action'));
  const eventType = action ? `${kind}.${action}` : kind;
  const project = str(pick(ev, 'project.path_with_namespace')) ?? str(ev.project_id) ?? str(pick(ev, 'project.id'));
  const iid = str(pick(ev, 'object_attributes.iid'));
  if (project && kind === 'merge_request' && iid) {
    return { eventType, resourceType: 'merge_request', resourceId: `${project}!${iid}`, versioned: true };
  }
  if (project && (kind === 'issue' || kind === 'work_item') && iid) {
    return { eventType, resourceType: 'issue', resourceId: `${project}#${iid}`, versioned: true };
  }
  if (project && kind === 'note') {
    const mr = str(pick(ev, 'merge_request.iid'));
    if (mr) return { eventType, resourceType: 'merge_request', resourceId: `${project}!${mr}`, versioned: false };
    const issue = str(pick(ev, 'issue.iid'));
    if (issue) return { eventType, resourceType: 'issue', resourceId: `${project}#${issue}`, versioned: false };
  }
  const pipeline = str(pick(ev, 'object_attributes.id'));
  if (project && kind === 'pipeline' && pipeline) {
    return { eventType, resourceType: 'pipeline', resourceId: `${project}/pipelines/${pipeline}`, versioned: false };
  }
  if (project) return { eventType, resourceType: 'project', resourceId: project, versioned: false };
  return { eventType, resourceType: 'instance', resourceId: 'instance', versioned: false };
}

function interpret(req: RawRequest): Interpretation {
  const ev = tryParseJson(req.body);
  const f = isRecord(ev) ? facts(ev, header(req, 'x-gitlab-event')) : undefined;
  const deliveryId = deliveryIdOf(req.headers) ?? bodyDigest(req.body);
  return {
    items: [
      {
        body: req.body,
        extracted: f
          ? { deliveryId, eventType: f.eventType, resourceType: f.resourceType, resourceId: f.resourceId }
          : { deliveryId },
      },
    ],
  };
}

function normalize(record: RawRecord): NormalizedFields {
  const dedupeKey = deliveryIdOf(record.headers);
  if (!dedupeKey) throw new NormalizeError('missing Idempotency-Key / X-Gitlab-Event-UUID header', 'missing_field');
  const ev = parseJson(record.body);
  if (!isRecord(ev)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  const f = facts(ev, record.headers['x-gitlab-event']);
  if (!f) throw new NormalizeError('missing required field object_kind', 'missing_field');
  const updated = toEpochMs(pick(ev, 'object_attributes.updated_at'));
  const created = toEpochMs(pick(ev, 'object_attributes.created_at'));
  const ordering: Ordering =
    f.versioned && Number.isFinite(updated)
      ? { kind: 'VERSION', value: updated, statusRank: null }
      : { kind: 'NONE', value: null, statusRank: null };
  return {
    dedupeKey,
    eventType: f.eventType,
    resourceType: f.resourceType,
    resourceId: f.resourceId,
    occurredAt: Number.isFinite(updated) ? updated : Number.isFinite(created) ? created : record.receivedAt.getTime(),
    ordering,
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'gitlab',
  signs: true,
  verification:
    'X-Gitlab-Token compared in constant time with every configured secret (a bearer token: not bound to body or time), or, with gitlabSigning, the Standard Webhooks v1 HMAC with ±tolerance timestamp.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'devops',
  contentTypes: ['application/json'],
  verify,
  interpret,
  normalize,
  validateOptions,
  sensitiveHeaders: ['x-gitlab-token'],
};
