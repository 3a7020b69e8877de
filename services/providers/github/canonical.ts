/**
 * GitHub → Change / Pipeline / Deployment (webhook event payloads:
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads).
 * - pull_request → Change, id "<owner/repo>#<number>" (the resource id the module orders by), status by
 *   action: opened, reopened, synchronize|edited → updated, closed → merged when `pull_request.merged`
 *   is true, else closed; other actions (labeled, assigned, review_requested, …) are `unknown` with the
 *   action kept.
 * - push → Change, kind push (refs/heads/…) or tag (refs/tags/…), status pushed, id
 *   "<owner/repo>:<ref>:<after>". A branch or tag deletion (`deleted: true`) is kind …, status closed.
 * - workflow_run → Pipeline: status queued|requested|waiting|pending → pending, in_progress → running,
 *   completed → by conclusion (success, failure|timed_out|startup_failure → failed, cancelled, skipped);
 *   neutral, stale and action_required are `unknown`, raw value kept.
 * - deployment_status → Deployment: state pending|queued → pending, in_progress, success, failure|error
 *   → failed; inactive is `unknown` (superseded, not a result).
 * Everything else (issues, ping, stars, …) has no canonical record.
 */
import type { Canonical, DeploymentStatus, PipelineStatus } from '../../common/canonical.ts';
import { canonical } from '../../common/canonical.ts';
import { at, statusFrom, text, type CanonicalMapping } from '../canonical.ts';

const PR_ACTION = { opened: 'opened', reopened: 'reopened', synchronize: 'updated', edited: 'updated' } as const;
const RUN_STATUS: Readonly<Record<string, PipelineStatus>> = {
  queued: 'pending',
  requested: 'pending',
  waiting: 'pending',
  pending: 'pending',
  in_progress: 'running',
};
const RUN_CONCLUSION: Readonly<Record<string, PipelineStatus>> = {
  success: 'succeeded',
  failure: 'failed',
  timed_out: 'failed',
  startup_failure: 'failed',
  cancelled: 'canceled',
  skipped: 'skipped',
};
const DEPLOY_STATE: Readonly<Record<string, DeploymentStatus>> = {
  pending: 'pending',
  queued: 'pending',
  in_progress: 'in_progress',
  success: 'succeeded',
  failure: 'failed',
  error: 'failed',
};

function pullRequest(ev: unknown, repo: string | null): Canonical | null {
  const number = text(at(ev, 'pull_request.number'));
  if (repo === null || number === null) return null;
  const action = text(at(ev, 'action'));
  const merged = at(ev, 'pull_request.merged') === true;
  return canonical('change', {
    id: `${repo}#${number}`,
    repository: repo,
    ref: text(at(ev, 'pull_request.head.ref')),
    kind: 'pull_request',
    status: action === 'closed' ? (merged ? 'merged' : 'closed') : statusFrom(PR_ACTION, action),
    providerStatus: action,
    actor: text(at(ev, 'sender.login')),
    commit: text(at(ev, 'pull_request.head.sha')),
    title: text(at(ev, 'pull_request.title')),
  });
}

function push(ev: unknown, repo: string | null): Canonical | null {
  const ref = text(at(ev, 'ref'));
  const after = text(at(ev, 'after'));
  if (repo === null || ref === null || after === null) return null;
  const title = text(at(ev, 'head_commit.message'));
  return canonical('change', {
    id: `${repo}:${ref}:${after}`,
    repository: repo,
    ref,
    kind: ref.startsWith('refs/tags/') ? 'tag' : 'push',
    status: at(ev, 'deleted') === true ? 'closed' : 'pushed',
    actor: text(at(ev, 'pusher.name')) ?? text(at(ev, 'sender.login')),
    commit: after,
    title: title === null ? null : (title.split('\n')[0] ?? null),
  });
}

function workflowRun(ev: unknown, repo: string | null): Canonical | null {
  const run = at(ev, 'workflow_run');
  const id = text(at(run, 'id'));
  if (id === null) return null;
  const st = text(at(run, 'status'));
  const conclusion = text(at(run, 'conclusion'));
  return canonical('pipeline', {
    id,
    repository: repo,
    ref: text(at(run, 'head_branch')),
    kind: text(at(run, 'name')) ?? 'workflow_run',
    status: st === 'completed' ? statusFrom(RUN_CONCLUSION, conclusion) : statusFrom(RUN_STATUS, st),
    providerStatus: st === 'completed' ? conclusion : st,
    actor: text(at(run, 'actor.login')) ?? text(at(ev, 'sender.login')),
    commit: text(at(run, 'head_sha')),
  });
}

function deploymentStatus(ev: unknown, repo: string | null): Canonical | null {
  const id = text(at(ev, 'deployment.id'));
  if (id === null) return null;
  const state = text(at(ev, 'deployment_status.state'));
  return canonical('deployment', {
    id,
    repository: repo,
    ref: text(at(ev, 'deployment.ref')),
    kind: text(at(ev, 'deployment.task')),
    environment: text(at(ev, 'deployment_status.environment')) ?? text(at(ev, 'deployment.environment')),
    status: statusFrom(DEPLOY_STATE, state),
    providerStatus: state,
    actor: text(at(ev, 'deployment_status.creator.login')) ?? text(at(ev, 'sender.login')),
    commit: text(at(ev, 'deployment.sha')),
  });
}

function map(ev: unknown, eventType: string): Canonical | null {
  const repo = text(at(ev, 'repository.full_name'));
  switch (eventType.split('.')[0]) {
    case 'pull_request':
      return pullRequest(ev, repo);
    case 'push':
      return push(ev, repo);
    case 'workflow_run':
      return workflowRun(ev, repo);
    case 'deployment_status':
      return deploymentStatus(ev, repo);
    default:
      return null;
  }
}

const CODE = ['repository', 'ref', 'kind', 'providerStatus', 'actor', 'commit'];
export const canonicalMapping: CanonicalMapping = {
  fills: { change: [...CODE, 'title'], pipeline: CODE, deployment: [...CODE, 'environment'] },
  map: ({ payload, fields }) => map(payload, fields.eventType),
};
