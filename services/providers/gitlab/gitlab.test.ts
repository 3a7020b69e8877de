import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  nowSeconds,
  test,
} from '../testing.ts';
import { provider, validateOptions } from './index.ts';

const TOKEN = 'glpat-like-secret-token';
const OLD = 'previous-token';
const body = fixture('gitlab', 'merge_request.json').toString('utf8');
const SIGNING = `whsec_${randomBytes(32).toString('base64')}`;

function signed(ts = nowSeconds(), secret = SIGNING): Record<string, string> {
  const id = 'msg_01J9ZK3Q';
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': new Webhook(secret).sign(id, new Date(ts * 1000), body),
  };
}

describe('gitlab verify: X-Gitlab-Token', () => {
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid token', headers: { 'x-gitlab-token': TOKEN }, want: true },
    { name: 'wrong token', headers: { 'x-gitlab-token': 'guess' }, want: 'bad_token' },
    { name: 'token prefix only', headers: { 'x-gitlab-token': TOKEN.slice(0, 5) }, want: 'bad_token' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'rotated: old token accepted', headers: { 'x-gitlab-token': OLD }, secrets: [TOKEN, OLD], want: true },
  ];
  for (const c of cases) {
    test(c.name, () =>
      assertVerify(
        provider.verify(makeRequest({ headers: c.headers, body }), makeSource('gitlab', c.secrets ?? [TOKEN])),
        c.want,
      ),
    );
  }
  test('token is a sensitive header', () => assert.deepEqual(provider.sensitiveHeaders, ['x-gitlab-token']));
});

describe('gitlab verify: signing token (Standard Webhooks, oracle-signed)', () => {
  const source = makeSource('gitlab', [SIGNING], { gitlabSigning: true });
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid', headers: signed(), want: true },
    {
      name: 'tampered body',
      headers: signed(),
      body: body.replace('MS-Viewport', 'MS-Viewpor'),
      want: 'bad_signature',
    },
    {
      name: 'wrong secret',
      headers: signed(nowSeconds(), `whsec_${randomBytes(32).toString('base64')}`),
      want: 'bad_signature',
    },
    {
      name: 'missing headers (token alone is not enough)',
      headers: { 'x-gitlab-token': SIGNING },
      want: 'missing_signature',
    },
    { name: 'stale', headers: signed(nowSeconds() - 600), want: 'stale_timestamp' },
    { name: 'future', headers: signed(nowSeconds() + 600), want: 'future_timestamp' },
  ];
  for (const c of cases) {
    test(c.name, () =>
      assertVerify(provider.verify(makeRequest({ headers: c.headers, body: c.body ?? body }), source), c.want),
    );
  }
  test('rotated signing secrets', () => {
    const old = `whsec_${randomBytes(32).toString('base64')}`;
    assertVerify(
      provider.verify(
        makeRequest({ headers: signed(nowSeconds(), old), body }),
        makeSource('gitlab', [SIGNING, old], { gitlabSigning: true }),
      ),
      true,
    );
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions({ gitlabSigning: true }), []);
    assert.equal(validateOptions({ gitlabSigning: 'yes' }).length, 1);
  });
});

describe('gitlab interpret/normalize', () => {
  const source = makeSource('gitlab', [TOKEN]);
  const headers = {
    'x-gitlab-event': 'Merge Request Hook',
    'idempotency-key': 'f1c4d1d6-0c6b-4c7d-9d57-1b2b6d0f8f3a',
    'x-gitlab-event-uuid': 'e1',
  };
  test('interpret: Idempotency-Key wins over Event-UUID', () => {
    const out = provider.interpret(makeRequest({ headers, body }), source);
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: headers['idempotency-key'],
      eventType: 'merge_request.open',
      resourceType: 'merge_request',
      resourceId: 'gitlabhq/gitlab-test!1',
    });
  });
  test('normalize: merge request (docs example)', () => {
    const n = provider.normalize(makeRecord('gitlab', body, { headers }), source);
    assert.equal(n.dedupeKey, headers['idempotency-key']);
    assert.equal(n.eventType, 'merge_request.open');
    assert.equal(n.resourceId, 'gitlabhq/gitlab-test!1');
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: Date.parse('2013-12-03T17:23:34Z'), statusRank: null });
  });
  test('normalize: push (docs example), Event-UUID fallback, project resource, receivedAt', () => {
    const rec = makeRecord('gitlab', fixture('gitlab', 'push.json'), {
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'uuid-1' },
    });
    const n = provider.normalize(rec, source);
    assert.equal(n.dedupeKey, 'uuid-1');
    assert.equal(n.eventType, 'push');
    assert.equal(n.resourceType, 'project');
    assert.equal(n.resourceId, 'mike/diaspora');
    assert.equal(n.occurredAt, rec.receivedAt.getTime());
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });
  test('normalize: "2013-12-03 17:23:34 UTC" style dates parse', () => {
    const b = body.replaceAll('2013-12-03T17:23:34Z', '2013-12-03 17:23:34 UTC');
    assert.equal(
      provider.normalize(makeRecord('gitlab', b, { headers }), source).occurredAt,
      Date.parse('2013-12-03T17:23:34Z'),
    );
  });
  const broken: {
    name: string;
    body: string;
    headers?: Record<string, string>;
    reason: 'unparseable' | 'missing_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: '{{', reason: 'unparseable' },
    { name: 'array', body: '[]', reason: 'unexpected_payload' },
    { name: 'no dedupe header', body, headers: { 'x-gitlab-event': 'Merge Request Hook' }, reason: 'missing_field' },
    {
      name: 'no object_kind and no event header',
      body: '{"a":1}',
      headers: { 'idempotency-key': 'k' },
      reason: 'missing_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () => provider.normalize(makeRecord('gitlab', c.body, { headers: c.headers ?? headers }), source),
        c.reason,
      ));
  }
});
