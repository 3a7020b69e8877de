import assert from 'node:assert/strict';
import { sign, verify as octokitVerify } from '@octokit/webhooks-methods';
import { verifyHmac } from '../core/hmac.ts';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  test,
} from '../testing.ts';
import { provider } from './index.ts';

const SECRET = 'gh-secret-current';
const OLD = 'gh-secret-old';
const body = fixture('github', 'issues.opened.json').toString('utf8');
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

describe('github verify', () => {
  test('documented test vector (octokit and ours agree)', async () => {
    const secret = "It's a Secret to Everybody";
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(await sign(secret, 'Hello, World!'), expected);
    const req = makeRequest({ headers: { 'x-hub-signature-256': expected }, body: 'Hello, World!' });
    assertVerify(provider.verify(req, makeSource('github', [secret])), true);
  });

  test('table', async () => {
    const good = await sign(SECRET, body);
    const old = await sign(OLD, body);
    const cases: {
      name: string;
      headers: Record<string, string | undefined>;
      body?: string;
      secrets?: string[];
      want: true | string;
    }[] = [
      { name: 'valid (oracle-signed)', headers: { 'x-hub-signature-256': good }, want: true },
      {
        name: 'tampered body',
        headers: { 'x-hub-signature-256': good },
        body: body.replace('Spelling', 'Spellin'),
        want: 'bad_signature',
      },
      { name: 'wrong secret', headers: { 'x-hub-signature-256': await sign('nope', body) }, want: 'bad_signature' },
      { name: 'missing header', headers: {}, want: 'missing_signature' },
      { name: 'legacy sha1 header only', headers: { 'x-hub-signature': 'sha1=0000' }, want: 'missing_signature' },
      { name: 'no sha256= prefix', headers: { 'x-hub-signature-256': good.slice(7) }, want: 'malformed_signature' },
      {
        name: 'rotated: old secret accepted',
        headers: { 'x-hub-signature-256': old },
        secrets: [SECRET, OLD],
        want: true,
      },
      {
        name: 'rotated: new secret accepted',
        headers: { 'x-hub-signature-256': good },
        secrets: [OLD, SECRET],
        want: true,
      },
    ];
    for (const c of cases) {
      const req = makeRequest({ headers: c.headers, body: c.body ?? body });
      assertVerify(provider.verify(req, makeSource('github', c.secrets ?? [SECRET])), c.want, c.name);
    }
    assert.equal(await octokitVerify(SECRET, body, good), true);
  });

  test('form-encoded body: signature is over the raw form bytes', async () => {
    const form = `payload=${encodeURIComponent(body)}`;
    const req = makeRequest({ headers: { 'x-hub-signature-256': await sign(SECRET, form) }, body: form });
    assertVerify(provider.verify(req, makeSource('github', [SECRET])), true);
  });

  test('core preset cross-check (not the module)', () => {
    const req = makeRequest({ headers: { 'x-hub-signature-256': 'sha256=00' }, body });
    assertVerify(
      verifyHmac(
        { header: 'x-hub-signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' },
        req,
        makeSource('github', [SECRET]),
      ),
      'bad_signature',
    );
  });
});

describe('github interpret', () => {
  const source = makeSource('github', [SECRET]);
  test('issues.opened', () => {
    const req = makeRequest({
      headers: { 'x-github-event': 'issues', 'x-github-delivery': DELIVERY, 'content-type': 'application/json' },
      body,
    });
    assert.deepEqual(provider.interpret(req, source).items[0]?.extracted, {
      deliveryId: DELIVERY,
      eventType: 'issues.opened',
      resourceType: 'issue',
      resourceId: 'Codertocat/Hello-World#1',
    });
  });
  test('ping is enqueued like any event (default reply)', () => {
    const req = makeRequest({
      headers: { 'x-github-event': 'ping', 'x-github-delivery': DELIVERY },
      body: fixture('github', 'ping.json'),
    });
    const out = provider.interpret(req, source);
    assert.equal(out.reply, undefined);
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: DELIVERY,
      eventType: 'ping',
      resourceType: 'hook',
      resourceId: '109948940',
    });
  });
});

describe('github normalize', () => {
  const source = makeSource('github', [SECRET]);
  const headers = { 'x-github-event': 'issues', 'x-github-delivery': DELIVERY };
  test('issues.opened (octokit example)', () => {
    const n = provider.normalize(makeRecord('github', body, { headers }), source);
    assert.equal(n.dedupeKey, DELIVERY);
    assert.equal(n.eventType, 'issues.opened');
    assert.equal(n.resourceType, 'issue');
    assert.equal(n.resourceId, 'Codertocat/Hello-World#1');
    assert.equal(n.occurredAt, Date.parse('2019-05-15T15:20:18Z'));
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: Date.parse('2019-05-15T15:20:18Z'), statusRank: null });
  });
  test('form body: payload is the inner JSON', () => {
    const rec = makeRecord('github', `payload=${encodeURIComponent(body)}`, {
      headers,
      contentType: 'application/x-www-form-urlencoded',
    });
    const n = provider.normalize(rec, source);
    assert.equal(n.payload, body);
    assert.equal(n.resourceId, 'Codertocat/Hello-World#1');
  });
  test('ping (octokit example): hook resource, no ordering, receivedAt', () => {
    const rec = makeRecord('github', fixture('github', 'ping.json'), {
      headers: { ...headers, 'x-github-event': 'ping' },
    });
    const n = provider.normalize(rec, source);
    assert.equal(n.eventType, 'ping');
    assert.equal(n.resourceType, 'hook');
    assert.equal(n.occurredAt, rec.receivedAt.getTime());
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });
  test('unknown event passes with its type', () => {
    const n = provider.normalize(
      makeRecord('github', '{"action":"created","repository":{"full_name":"a/b"}}', {
        headers: { ...headers, 'x-github-event': 'brand_new' },
      }),
      source,
    );
    assert.equal(n.eventType, 'brand_new.created');
    assert.equal(n.resourceId, 'a/b');
  });
  const broken: {
    name: string;
    body: string;
    headers?: Record<string, string>;
    ct?: string;
    reason: 'unparseable' | 'missing_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: '{', reason: 'unparseable' },
    { name: 'array', body: '[1]', reason: 'unexpected_payload' },
    { name: 'no X-GitHub-Event', body, headers: { 'x-github-delivery': DELIVERY }, reason: 'missing_field' },
    { name: 'form without payload', body: 'foo=bar', ct: 'application/x-www-form-urlencoded', reason: 'missing_field' },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () =>
          provider.normalize(
            makeRecord('github', c.body, { headers: c.headers ?? headers, contentType: c.ct ?? 'application/json' }),
            source,
          ),
        c.reason,
      ));
  }
});
