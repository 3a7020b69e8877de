/**
 * GitLab → Change / Pipeline / Deployment (webhook events:
 * https://docs.gitlab.com/user/project/integrations/webhook_events/).
 * - push / tag_push → Change, kind push | tag, status pushed (closed when `after` is all zeros: the
 *   branch or tag was deleted), id "<project>:<ref>:<after>".
 * - merge_request → Change, id "<project>!<iid>" (the module's resource id), status by
 *   object_attributes.action: open → opened, reopen, update, merge, close; approval actions and others
 *   are `unknown` with the action kept; no action → unknown with `state` kept.
 * - pipeline → Pipeline: created|waiting_for_resource|preparing|pending|scheduled|manual → pending,
 *   running, success → succeeded, failed, canceled|canceling → canceled, skipped.
 * - deployment → Deployment: created → pending, running → in_progress, success → succeeded, failed,
 *   canceled; commit is the `short_sha` GitLab sends.
 * Issues, notes, jobs, releases, …: no canonical record.
 */
import type { Canonical, ChangeStatus, DeploymentStatus, PipelineStatus } from '../../common/canonical.ts';
import { canonical } from '../../common/canonical.ts';
import { at, statusFrom, text, type CanonicalMapping } from '../canonical.ts';

const MR_ACTION: Readonly<Record<string, ChangeStatus>> = {
  open: 'opened',
  reopen: 'reopened',
  update: 'updated',
  merge: 'merged',
  close: 'closed',
};
const PIPELINE: Readonly<Record<string, PipelineStatus>> = {
  created: 'pending',
  waiting_for_resource: 'pending',
  preparing: 'pending',
  pending: 'pending',
  scheduled: 'pending',
  manual: 'pending',
  running: 'running',
  success: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
  canceling: 'canceled',
  skipped: 'skipped',
};
const DEPLOYMENT: Readonly<Record<string, DeploymentStatus>> = {
  created: 'pending',
  running: 'in_progress',
  success: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
};

function push(ev: unknown, project: string | null, tag: boolean): Canonical | null {
  const ref = text(at(ev, 'ref'));
  const after = text(at(ev, 'after'));
  if (project === null || ref === null || after === null) return null;
  return canonical('change', {
    id: `${project}:${ref}:${after}`,
    repository: project,
    ref,
    kind: tag ? 'tag' : 'push',
    status: /^0+$/.test(after) ? 'closed' : 'pushed',
    actor: text(at(ev, 'user_username')),
    commit: after,
  });
}

function mergeRequest(ev: unknown, project: string | null): Canonical | null {
  const iid = text(at(ev, 'object_attributes.iid'));
  if (project === null || iid === null) return null;
  const action = text(at(ev, 'object_attributes.action'));
  return canonical('change', {
    id: `${project}!${iid}`,
    repository: project,
    ref: text(at(ev, 'object_attributes.source_branch')),
    kind: 'merge_request',
    status: statusFrom(MR_ACTION, action),
    providerStatus: action ?? text(at(ev, 'object_attributes.state')),
    actor: text(at(ev, 'user.username')),
    commit: text(at(ev, 'object_attributes.last_commit.id')),
    title: text(at(ev, 'object_attributes.title')),
  });
}

function pipeline(ev: unknown, project: string | null): Canonical | null {
  const id = text(at(ev, 'object_attributes.id'));
  if (id === null) return null;
  const st = text(at(ev, 'object_attributes.status'));
  return canonical('pipeline', {
    id,
    repository: project,
    ref: text(at(ev, 'object_attributes.ref')),
    kind: text(at(ev, 'object_attributes.source')) ?? 'pipeline',
    status: statusFrom(PIPELINE, st),
    providerStatus: st,
    actor: text(at(ev, 'user.username')),
    commit: text(at(ev, 'object_attributes.sha')),
  });
}

function deployment(ev: unknown, project: string | null): Canonical | null {
  const id = text(at(ev, 'deployment_id'));
  if (id === null) return null;
  const st = text(at(ev, 'status'));
  return canonical('deployment', {
    id,
    repository: project,
    ref: text(at(ev, 'ref')),
    kind: 'deployment',
    environment: text(at(ev, 'environment')),
    status: statusFrom(DEPLOYMENT, st),
    providerStatus: st,
    actor: text(at(ev, 'user.username')),
    commit: text(at(ev, 'short_sha')),
  });
}

function map(ev: unknown): Canonical | null {
  const project = text(at(ev, 'project.path_with_namespace'));
  switch (text(at(ev, 'object_kind')) ?? text(at(ev, 'event_name'))) {
    case 'push':
      return push(ev, project, false);
    case 'tag_push':
      return push(ev, project, true);
    case 'merge_request':
      return mergeRequest(ev, project);
    case 'pipeline':
      return pipeline(ev, project);
    case 'deployment':
      return deployment(ev, project);
    default:
      return null;
  }
}

const CODE = ['repository', 'ref', 'kind', 'providerStatus', 'actor', 'commit'];
export const canonicalMapping: CanonicalMapping = {
  fills: { change: [...CODE, 'title'], pipeline: CODE, deployment: [...CODE, 'environment'] },
  map: ({ payload }) => map(payload),
};
