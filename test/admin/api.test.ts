/**
 * The admin API over HTTP against the real Redis/Kafka: auth (401/403), the OpenAPI document
 * (valid structure, refs resolve, lists exactly the served routes), validation messages and the
 * error shape, endpoints CRUD + pagination + pause/resume, secrets and rotation, the event type
 * catalogue, and sources through the same store the ingress reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdminApp } from '../../services/admin/app.ts';
import { parseApiKeys } from '../../services/admin/auth.ts';
import { openapi } from '../../services/admin/openapi.ts';
import { createRedis } from '../../services/common/redis.ts';
import { openRedisSourceStore } from '../../services/common/source-store-redis.ts';
import type { RunningService } from '../../services/common/service.ts';
import { getProvider } from '../../services/providers/index.ts';
import { clearRedisPrefix, provision, stackConfig, testLogger, uniquePrefix } from '../helpers/env.ts';
import { OUTBOUND_TOPICS } from '../dispatcher/helpers.ts';
import { api, KEYS, startAdminInProcess, type Api, type Json } from './helpers.ts';

const prefix = uniquePrefix('admin-api');
const redisPrefix = `${prefix}hl:`;
let svc: RunningService;
let call: Api;
let base: string;

describe('admin API', () => {
  before(async () => {
    await provision(prefix, OUTBOUND_TOPICS);
    svc = await startAdminInProcess(prefix, redisPrefix);
    base = `http://127.0.0.1:${svc.port}`;
    call = api(base);
  });
  after(async () => {
    await svc?.stop();
    await clearRedisPrefix(redisPrefix);
  });

  describe('auth', () => {
    it('401 without a key or with a wrong one, in the stable error shape', async () => {
      const none = await call('GET', '/v1/endpoints', undefined, '');
      assert.equal(none.status, 401);
      assert.deepEqual(Object.keys(none.body.error).sort(), ['code', 'message']);
      assert.equal(none.body.error.code, 'unauthorized');
      const wrong = await call('GET', '/v1/endpoints', undefined, 'not-a-key-0123456789');
      assert.equal(wrong.status, 401);
    });

    it('403 when the key lacks the scope', async () => {
      const r = await call('POST', '/v1/endpoints', { url: 'https://example.com/h' }, KEYS.read);
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'forbidden');
      assert.match(r.body.error.message, /endpoints:write/);
      assert.equal((await call('GET', '/v1/endpoints', undefined, KEYS.read)).status, 200);
    });

    it('refuses bad key configuration naming the variable', () => {
      assert.throws(() => parseApiKeys('short:*'), /ADMIN_API_KEYS: every key must be at least 16/);
      assert.throws(() => parseApiKeys('0123456789abcdef:endpoints:fly'), /unknown scope "endpoints:fly"/);
      assert.throws(() => parseApiKeys('0123456789abcdef'), /has no scopes/);
    });
  });

  describe('OpenAPI document', () => {
    it('is served without auth and is a structurally valid OpenAPI 3.1 document', async () => {
      const res = await fetch(`${base}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as typeof openapi;
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.info.title && doc.info.version);
      const refs: string[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            if (k === '$ref') refs.push(x as string);
            else walk(x);
          }
      };
      walk(doc);
      for (const r of refs) {
        const [, , section, name] = r.split('/');
        assert.ok((doc.components as Json)[section!]?.[name!], `$ref ${r} resolves`);
      }
      for (const [path, item] of Object.entries(doc.paths)) {
        const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        for (const [method, o] of Object.entries(item as Record<string, Json>)) {
          if (method === 'parameters') continue;
          assert.ok(['get', 'post', 'put', 'patch', 'delete'].includes(method), `${method} ${path}`);
          assert.ok(Object.keys(o.responses).length > 0, `${method} ${path} has responses`);
          for (const code of Object.keys(o.responses)) assert.match(code, /^[1-5]\d\d$/);
          assert.ok(o.responses['401'] && o.responses['403'], `${method} ${path} documents 401/403`);
          const all: { in: string; name: string }[] = [...((item as Json).parameters ?? []), ...(o.parameters ?? [])];
          const declared = all.filter((p) => p.in === 'path').map((p) => p.name);
          assert.deepEqual(declared.sort(), [...params].sort(), `${method} ${path} declares its path parameters`);
          for (const s of o.security ?? [])
            for (const k of Object.keys(s)) assert.ok((doc.components.securitySchemes as Json)[k]);
        }
      }
    });

    it('lists exactly the routes the app serves', () => {
      const keys = parseApiKeys(`${KEYS.all}:*`);
      const stub = {} as never;
      const app = createAdminApp({
        keys,
        store: stub,
        catalogue: stub,
        sources: stub,
        log: stub,
        retry: stub,
        send: stub,
        breakers: stub,
        tenantKeys: stub,
        operationalWebhooks: stub,
        allowHttp: false,
        graceMs: 0,
        maxRecover: 1,
        logger: testLogger,
        tenants: {} as never,
        publisher: {} as never,
        undelivered: {} as never,
        schemas: {} as never,
        limiter: {} as never,
        openCatalogue: false,
        retryAfterSeconds: 1,
      });
      const served = new Set(
        app.routes
          .filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1'))
          .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
      );
      const documented = new Set(
        Object.entries(openapi.paths).flatMap(([p, item]) =>
          Object.keys(item)
            .filter((m) => m !== 'parameters')
            .map((m) => `${m} ${p}`),
        ),
      );
      assert.deepEqual([...served].sort(), [...documented].sort());
    });
  });

  describe('endpoints', () => {
    it('validates with clear messages', async () => {
      const r = await call('POST', '/v1/endpoints', {
        url: 'ftp://x',
        eventTypes: ['ok.type', 'bad type'],
        headers: { 'webhook-id': 'x' },
        rateLimitPerSecond: 0,
        colour: 'red',
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'invalid_request');
      const paths = r.body.error.details.map((d: { path: string }) => d.path).sort();
      assert.deepEqual(paths, ['colour', 'eventTypes[1]', 'headers.webhook-id', 'rateLimitPerSecond', 'url']);
      const notJson = await fetch(`${base}/v1/endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.all}`, 'content-type': 'application/json' },
        body: '{nope',
      });
      assert.equal(notJson.status, 400);
      assert.equal(((await notJson.json()) as Json).error.code, 'invalid_json');
    });

    it('requires https unless the deployment allows http', async () => {
      const keys = parseApiKeys(`${KEYS.all}:*`);
      const store = { create: () => Promise.reject(new Error('not reached')) } as never;
      const app = createAdminApp({
        keys,
        store,
        catalogue: {} as never,
        sources: {} as never,
        log: {} as never,
        retry: {} as never,
        send: {} as never,
        breakers: {} as never,
        tenantKeys: {} as never,
        operationalWebhooks: {} as never,
        allowHttp: false,
        graceMs: 0,
        maxRecover: 1,
        logger: testLogger,
        tenants: {} as never,
        publisher: {} as never,
        undelivered: {} as never,
        schemas: {} as never,
        limiter: {} as never,
        openCatalogue: false,
        retryAfterSeconds: 1,
      });
      const res = await app.request('/v1/endpoints', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.all}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://example.com/h' }),
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as Json).error.message, 'url: must be an https URL');
    });

    it('create, get, list with pagination, update, pause/resume, delete', async () => {
      const created: Json[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await call('POST', '/v1/endpoints', {
          url: `https://example.com/hook/${i}`,
          description: `n${i}`,
          eventTypes: ['payment.*', 'refund.created'],
          headers: { 'X-Tenant': 't' },
          rateLimitPerSecond: 10,
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.match(r.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
        assert.ok(Buffer.from(r.body.secret.slice(6), 'base64').length >= 24);
        assert.deepEqual(r.body.headers, { 'x-tenant': 't' });
        created.push(r.body);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: Json } = await call(
          'GET',
          `/v1/endpoints?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(page.status, 200);
        assert.ok(page.body.data.length <= 2);
        assert.equal(page.body.data[0]?.secret, undefined, 'no secret in listings');
        for (const e of page.body.data as { id: string }[]) seen.push(e.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      const createdIds: string[] = created.map((c: { id: string }) => c.id);
      assert.deepEqual(
        seen.filter((id) => createdIds.includes(id)),
        createdIds,
        'every endpoint once, in creation order',
      );

      const id = created[0].id;
      const patched = await call('PATCH', `/v1/endpoints/${id}`, {
        description: 'changed',
        eventTypes: ['*'],
        rateLimitPerSecond: null,
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.description, 'changed');
      assert.deepEqual(patched.body.eventTypes, ['*']);
      assert.equal(patched.body.rateLimitPerSecond, null);
      assert.equal(patched.body.url, 'https://example.com/hook/0');

      const paused = await call('POST', `/v1/endpoints/${id}/pause`);
      assert.deepEqual([paused.body.enabled, paused.body.disabledReason], [false, 'paused']);
      const resumed = await call('POST', `/v1/endpoints/${id}/resume`);
      assert.deepEqual([resumed.body.enabled, resumed.body.disabledReason], [true, null]);

      assert.equal((await call('DELETE', `/v1/endpoints/${id}`)).status, 204);
      const gone = await call('GET', `/v1/endpoints/${id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'not_found');
    });

    it('shows the secret on request and rotates it with a grace period (default 24 h)', async () => {
      const c = await call('POST', '/v1/endpoints', { url: 'https://example.com/rot' });
      const shown = await call('GET', `/v1/endpoints/${c.body.id}/secret`);
      assert.deepEqual(shown.body, { secret: c.body.secret, previous: [] });
      assert.equal(
        (await call('GET', `/v1/endpoints/${c.body.id}/secret`, undefined, KEYS.read)).status,
        403,
        'read scope cannot see secrets',
      );
      const rotated = await call('POST', `/v1/endpoints/${c.body.id}/secret/rotate`);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, c.body.secret);
      assert.equal(rotated.body.previous[0].secret, c.body.secret);
      const grace = Date.parse(rotated.body.previous[0].expiresAt) - Date.now();
      assert.ok(grace > 86_300_000 && grace <= 86_400_000, `grace ${grace}`);
      const short = await call('POST', `/v1/endpoints/${c.body.id}/secret/rotate`, { graceSeconds: 60 });
      assert.equal(short.body.previous.length, 2);
      assert.ok(
        short.body.previous.every((p: { expiresAt: string }) => Date.parse(p.expiresAt) - Date.now() <= 60_000),
      );
    });
  });

  it('keeps an event type catalogue', async () => {
    assert.equal(
      (await call('PUT', '/v1/event-types/payment.succeeded', { description: 'A payment went through' })).status,
      200,
    );
    await call('PUT', '/v1/event-types/refund.created', { description: 'A refund was created' });
    const list = await call('GET', '/v1/event-types', undefined, KEYS.read);
    assert.deepEqual(
      list.body.data.map((t: { name: string }) => t.name),
      ['payment.succeeded', 'refund.created'],
    );
    assert.equal((await call('PUT', '/v1/event-types/bad name', { description: '' })).status, 400);
    assert.equal((await call('DELETE', '/v1/event-types/refund.created')).status, 204);
    assert.equal((await call('DELETE', '/v1/event-types/refund.created')).status, 404);
  });

  it('manages sources through the store the ingress reads; secrets are write-only', async () => {
    const put = await call('PUT', '/v1/sources/stripe-eu', {
      provider: 'stripe',
      secrets: ['whsec_test_secret'],
      options: { toleranceSeconds: 300 },
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.deepEqual(put.body, {
      id: 'stripe-eu',
      provider: 'stripe',
      secretCount: 1,
      options: { toleranceSeconds: 300 },
      url: '/webhooks/stripe-eu',
    });
    const bad = await call('PUT', '/v1/sources/nope', { provider: 'no-such-provider' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /unknown provider "no-such-provider"/);
    const noSecret = await call('PUT', '/v1/sources/stripe-x', { provider: 'stripe' });
    assert.equal(noSecret.status, 400);
    assert.match(noSecret.body.error.message, /no secret/);
    const update = await call('PUT', '/v1/sources/stripe-eu', {
      provider: 'stripe',
      options: { toleranceSeconds: 120 },
    });
    assert.equal(update.status, 200);
    assert.equal(update.body.secretCount, 1, 'omitted secrets are kept');

    // What the ingress sees: its own SourceStore over the same Redis keys.
    const redis = createRedis(stackConfig.REDIS_URL);
    await redis.connect();
    const ingressView = await openRedisSourceStore({ redis, prefix: redisPrefix, lookup: getProvider });
    assert.deepEqual(ingressView.get('stripe-eu')?.secrets, ['whsec_test_secret']);
    assert.equal(ingressView.get('stripe-eu')?.options.toleranceSeconds, 120);
    assert.equal((await call('DELETE', '/v1/sources/stripe-eu')).status, 204);
    await ingressView.reload();
    assert.equal(ingressView.get('stripe-eu'), undefined);
    await ingressView.close();
    redis.disconnect();
    assert.deepEqual((await call('GET', '/v1/sources', undefined, KEYS.read)).body.data, []);
  });
});
