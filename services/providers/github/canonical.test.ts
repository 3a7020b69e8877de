import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const as = (event: string, body: unknown) =>
  canonicalFor(provider, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), {
    headers: { 'x-github-event': event, 'x-github-delivery': 'd-1' },
  });
const repository = { full_name: 'octo/hello' };
const sender = { login: 'octocat' };
// Shapes trimmed from the payload examples on docs.github.com/en/webhooks/webhook-events-and-payloads.
const pr = (action: string, merged: boolean) => ({
  action,
  number: 5,
  pull_request: {
    number: 5,
    title: 'Fix it',
    merged,
    head: { ref: 'fix', sha: 'abc123' },
    updated_at: '2024-12-16T15:57:04Z',
  },
  repository,
  sender,
});

describe('github canonical records', () => {
  it('issues.opened and ping fixtures are no code change: no record', () => {
    assert.equal(as('issues', fixtureText('github', 'issues.opened.json')), null);
    assert.equal(as('ping', fixtureText('github', 'ping.json')), null);
  });
  it('pull_request → Change, field by field; closed+merged is merged, closed alone is closed', () => {
    assert.deepEqual(entity(as('pull_request', pr('opened', false)), 'change'), {
      id: 'octo/hello#5',
      repository: 'octo/hello',
      ref: 'fix',
      kind: 'pull_request',
      status: 'opened',
      providerStatus: 'opened',
      actor: 'octocat',
      commit: 'abc123',
      title: 'Fix it',
    });
    assert.equal(entity(as('pull_request', pr('closed', true)), 'change').status, 'merged');
    assert.equal(entity(as('pull_request', pr('closed', false)), 'change').status, 'closed');
    const labeled = entity(as('pull_request', pr('labeled', false)), 'change');
    assert.deepEqual([labeled.status, labeled.providerStatus], ['unknown', 'labeled']);
  });
  it('push → Change (push or tag)', () => {
    const body = {
      ref: 'refs/tags/v1',
      after: 'def456',
      pusher: { name: 'octo' },
      head_commit: { message: 'v1\n\nnotes' },
      repository,
      sender,
    };
    assert.deepEqual(entity(as('push', body), 'change'), {
      id: 'octo/hello:refs/tags/v1:def456',
      repository: 'octo/hello',
      ref: 'refs/tags/v1',
      kind: 'tag',
      status: 'pushed',
      providerStatus: null,
      actor: 'octo',
      commit: 'def456',
      title: 'v1',
    });
  });
  it('workflow_run → Pipeline; the conclusion decides a completed run', () => {
    const run = (status: string, conclusion: string | null) => ({
      action: status === 'completed' ? 'completed' : 'requested',
      workflow_run: {
        id: 30433642,
        name: 'Build',
        status,
        conclusion,
        head_branch: 'main',
        head_sha: 'acb5820',
        actor: sender,
      },
      repository,
      sender,
    });
    assert.deepEqual(entity(as('workflow_run', run('completed', 'success')), 'pipeline'), {
      id: '30433642',
      repository: 'octo/hello',
      ref: 'main',
      kind: 'Build',
      status: 'succeeded',
      providerStatus: 'success',
      actor: 'octocat',
      commit: 'acb5820',
    });
    assert.equal(entity(as('workflow_run', run('in_progress', null)), 'pipeline').status, 'running');
    assert.equal(entity(as('workflow_run', run('completed', 'neutral')), 'pipeline').status, 'unknown');
  });
  it('deployment_status → Deployment', () => {
    const body = {
      action: 'created',
      deployment_status: { state: 'failure', environment: 'production', creator: sender },
      deployment: { id: 145988746, ref: 'main', sha: 'f95f852', task: 'deploy', environment: 'production' },
      repository,
      sender,
    };
    assert.deepEqual(entity(as('deployment_status', body), 'deployment'), {
      id: '145988746',
      repository: 'octo/hello',
      ref: 'main',
      kind: 'deploy',
      environment: 'production',
      status: 'failed',
      providerStatus: 'failure',
      actor: 'octocat',
      commit: 'f95f852',
    });
  });
});
