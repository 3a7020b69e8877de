import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const map = (body: unknown) =>
  canonicalFor(provider, Buffer.isBuffer(body) ? body : JSON.stringify(body), {
    headers: { 'x-gitlab-event-uuid': 'u-1' },
  });
const project = { id: 1, path_with_namespace: 'group/app' };
const user = { username: 'root' };

describe('gitlab canonical records', () => {
  it('push fixture → Change, field by field', () => {
    assert.deepEqual(entity(map(fixtureText('gitlab', 'push.json')), 'change'), {
      id: 'mike/diaspora:refs/heads/master:da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      repository: 'mike/diaspora',
      ref: 'refs/heads/master',
      kind: 'push',
      status: 'pushed',
      providerStatus: null,
      actor: 'jsmith',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      title: null,
    });
  });
  it('merge_request fixture → Change, field by field', () => {
    assert.deepEqual(entity(map(fixtureText('gitlab', 'merge_request.json')), 'change'), {
      id: 'gitlabhq/gitlab-test!1',
      repository: 'gitlabhq/gitlab-test',
      ref: 'ms-viewport',
      kind: 'merge_request',
      status: 'opened',
      providerStatus: 'open',
      actor: 'root',
      commit: null,
      title: 'MS-Viewport',
    });
  });
  it('a branch deletion closes; an approval is unknown with the action kept', () => {
    const del = {
      object_kind: 'push',
      ref: 'refs/heads/x',
      after: '0000000000000000000000000000000000000000',
      project,
    };
    assert.equal(entity(map(del), 'change').status, 'closed');
    const mr = JSON.parse(fixtureText('gitlab', 'merge_request.json').toString()) as {
      object_attributes: Record<string, unknown>;
    };
    const approved = { ...mr, object_attributes: { ...mr.object_attributes, action: 'approved' } };
    const c = entity(map(approved), 'change');
    assert.deepEqual([c.status, c.providerStatus], ['unknown', 'approved']);
  });
  it('pipeline → Pipeline and deployment → Deployment (docs example shapes)', () => {
    const pipeline = {
      object_kind: 'pipeline',
      object_attributes: {
        id: 31,
        iid: 3,
        ref: 'main',
        sha: 'bcbb5ec3',
        source: 'merge_request_event',
        status: 'failed',
      },
      project,
      user,
    };
    assert.deepEqual(entity(map(pipeline), 'pipeline'), {
      id: '31',
      repository: 'group/app',
      ref: 'main',
      kind: 'merge_request_event',
      status: 'failed',
      providerStatus: 'failed',
      actor: 'root',
      commit: 'bcbb5ec3',
    });
    const deployment = {
      object_kind: 'deployment',
      status: 'running',
      deployment_id: 15,
      environment: 'staging',
      project,
      short_sha: '279484c0',
      user,
      ref: '1.0.0',
    };
    assert.deepEqual(entity(map(deployment), 'deployment'), {
      id: '15',
      repository: 'group/app',
      ref: '1.0.0',
      kind: 'deployment',
      environment: 'staging',
      status: 'in_progress',
      providerStatus: 'running',
      actor: 'root',
      commit: '279484c0',
    });
  });
});
