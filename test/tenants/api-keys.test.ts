/**
 * Tenant API keys managed by API, on the real stack (admin in-process, Redis): the key is shown
 * once and only its SHA-256 is stored; it reaches its own tenant with its scopes and nothing else;
 * the list carries no secret; a revocation is effective at once on a SECOND admin instance that
 * had just accepted the key; deleting the tenant revokes its keys.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningService } from '../../services/common/service.ts';
import { createRedis } from '../../services/common/redis.ts';
import { api, API_KEYS, startAdminInProcess, type Json } from '../admin/helpers.ts';
import { stackConfig, uniquePrefix } from '../helpers/env.ts';
import { tenantKit, type TenantKit } from './helpers.ts';

let t: TenantKit;
let second: RunningService;

describe('tenants: API keys managed by API', () => {
  before(async () => {
    t = await tenantKit(uniquePrefix('tenant-keys'));
    for (const id of ['acme', 'globex']) assert.equal((await t.call('POST', '/v1/tenants', { id })).status, 201);
    second = await startAdminInProcess(t.k.prefix, t.k.redisPrefix, { ADMIN_API_KEYS: API_KEYS });
  });
  after(async () => {
    await second?.stop();
    await t?.close();
  });

  it('creates (key once, hash only), scopes, list without secrets, refusals', async () => {
    assert.equal((await t.call('POST', '/v1/tenants/acme/api-keys', { scopes: [] })).status, 400);
    assert.equal((await t.call('POST', '/v1/tenants/acme/api-keys', { scopes: ['root'] })).status, 400);
    assert.equal((await t.call('POST', '/v1/tenants/nobody/api-keys', { scopes: ['*'] })).status, 404);
    const made = await t.call('POST', '/v1/tenants/acme/api-keys', { scopes: ['endpoints:read'], name: 'ci' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const key = made.body.key as string;
    assert.match(key, /^hlk_[A-Za-z0-9_-]{32}$/);
    assert.equal(made.body.tenantId, 'acme');
    assert.deepEqual(made.body.scopes, ['endpoints:read']);

    // Only the digest is in Redis.
    const redis = createRedis(stackConfig.REDIS_URL);
    await redis.connect();
    try {
      const all = await redis.keys(`${t.k.redisPrefix}*apikey*`);
      const values = await Promise.all(
        all.map(async (k) => `${k} ${JSON.stringify(await redis.hgetall(k).catch(() => redis.get(k)))}`),
      );
      assert.ok(all.length >= 2, all.join(', '));
      assert.ok(
        values.every((v) => !v.includes(key)),
        'the key itself is nowhere in Redis',
      );
      assert.ok(
        all.some((k) => k.endsWith(createHash('sha256').update(key).digest('hex'))),
        'looked up by its SHA-256',
      );
    } finally {
      redis.disconnect();
    }

    const call = (m: string, p: string, body?: unknown) => t.call(m, p, body, key);
    assert.equal((await call('GET', '/v1/tenants/acme/endpoints')).status, 200, 'its own tenant, its scope');
    assert.equal((await call('POST', '/v1/tenants/acme/endpoints', { url: 'http://127.0.0.1:9/x' })).status, 403);
    assert.equal((await call('GET', '/v1/tenants/globex/endpoints')).status, 404, 'another tenant: 404');
    assert.equal((await call('GET', '/v1/endpoints')).status, 403, 'admin-only route');
    assert.equal((await call('GET', '/v1/tenants/acme/api-keys')).status, 403, 'a tenant key cannot list keys');
    assert.equal((await t.call('GET', '/v1/tenants/acme/endpoints', undefined, `${key}x`)).status, 401);

    const list = await t.call('GET', '/v1/tenants/acme/api-keys');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((k: Json): string => k.id as string),
      [made.body.id],
    );
    assert.ok(!JSON.stringify(list.body).includes(key), 'no secret in the list');
    assert.equal(list.body.data[0].hint, `${key.slice(0, 8)}…`);
    assert.deepEqual((await t.call('GET', '/v1/tenants/globex/api-keys')).body.data, []);
  });

  it('revocation is effective at once on another admin instance', async () => {
    const made = await t.call('POST', '/v1/tenants/acme/api-keys', { scopes: ['*'] });
    const key = made.body.key as string;
    const other = api(`http://127.0.0.1:${second.port}`);
    assert.equal((await other('GET', '/v1/tenants/acme', undefined, key)).status, 200, 'accepted by the second admin');
    assert.equal((await t.call('DELETE', `/v1/tenants/globex/api-keys/${made.body.id as string}`)).status, 404);
    assert.equal((await t.call('DELETE', `/v1/tenants/acme/api-keys/${made.body.id as string}`)).status, 204);
    assert.equal((await other('GET', '/v1/tenants/acme', undefined, key)).status, 401, 'refused right after');
    assert.equal((await t.call('GET', '/v1/tenants/acme', undefined, key)).status, 401);
    assert.equal((await t.call('DELETE', `/v1/tenants/acme/api-keys/${made.body.id as string}`)).status, 404);
  });

  it('deleting the tenant revokes its keys (a tenant created again with that id does not inherit them)', async () => {
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'initech' })).status, 201);
    const made = await t.call('POST', '/v1/tenants/initech/api-keys', { scopes: ['tenants:read'] });
    const key = made.body.key as string;
    assert.equal((await t.call('GET', '/v1/tenants/initech', undefined, key)).status, 200);
    assert.equal((await t.call('DELETE', '/v1/tenants/initech')).status, 204);
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'initech' })).status, 201);
    assert.equal((await t.call('GET', '/v1/tenants/initech', undefined, key)).status, 401);
    assert.deepEqual((await t.call('GET', '/v1/tenants/initech/api-keys')).body.data, []);
  });

  it('operational webhook endpoint: secret shown once, rotatable, managed by the tenant itself', async () => {
    const tk = (await t.call('POST', '/v1/tenants/acme/api-keys', { scopes: ['endpoints:read', 'endpoints:write'] }))
      .body.key as string;
    const call = (m: string, p: string, body?: unknown) =>
      t.call(m, `/v1/tenants/acme/operational-webhook${p}`, body, tk);
    assert.equal((await call('GET', '')).status, 404, 'none yet');
    assert.equal((await call('PUT', '', { url: 'ftp://x' })).status, 400);
    const made = await call('PUT', '', { url: 'http://127.0.0.1:9/ops' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(made.body.secret as string, /^whsec_/);
    const upd = await call('PUT', '', { url: 'http://127.0.0.1:9/ops2', enabled: false });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.secret, undefined, 'not shown again');
    const got = await call('GET', '');
    assert.deepEqual([got.body.url, got.body.enabled, got.body.secret], ['http://127.0.0.1:9/ops2', false, undefined]);
    const rotated = await call('POST', '/rotate-secret');
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, made.body.secret);
    assert.equal((await t.call('GET', '/v1/tenants/globex/operational-webhook', undefined, tk)).status, 404);
    assert.equal((await call('DELETE', '')).status, 204);
    assert.equal((await call('GET', '')).status, 404);
  });
});
