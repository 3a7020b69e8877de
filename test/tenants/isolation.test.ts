/**
 * Tenant isolation, generated from the OpenAPI document so a new route cannot be forgotten: every
 * method of every /v1/tenants/{tenantId}... path is called with tenant acme's key (and with an
 * acme portal token) against tenant globex's real ids, and must answer 404; every path with an
 * endpoint id is also called under acme's own tenant id with globex's endpoint id (404). Filters
 * (endpointId) and cursors are checked the same way, admin-only routes refuse tenant keys (403),
 * and globex's data is unchanged at the end.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openapi } from '../../services/admin/openapi.ts';
import type { Json } from '../admin/helpers.ts';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import { endpointFor, publish, TENANT_KEYS, tenantKit, type TenantKit } from './helpers.ts';

let t: TenantKit;
let globex: { endpointId: string; messageId: string; secret: string; keyId: string };
let acmeEndpoint: string;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Every documented (method, path) under /v1/tenants/{tenantId}. */
const tenantRoutes = Object.entries(openapi.paths as Record<string, Record<string, unknown>>)
  .filter(([p]) => p.startsWith('/v1/tenants/{tenantId}'))
  .flatMap(([p, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((m) => ({
      method: m.toUpperCase(),
      path: p,
      adminOnly: String((item[m] as { description?: string }).description).includes('Admin keys only'),
    })),
  );

/** A body each route would accept from its own tenant, so only the tenant check can refuse it. */
const bodyFor = (path: string): Json =>
  path.endsWith('/recover')
    ? { since: new Date(0).toISOString() }
    : path.endsWith('/messages')
      ? { eventType: 'invoice.paid', payload: { id: 'x' } }
      : path.endsWith('/endpoints')
        ? { url: 'http://127.0.0.1:9/hook' }
        : path.endsWith('/api-keys')
          ? { scopes: ['*'] }
          : {};

const fill = (path: string, ids: { tenantId: string; id: string; messageId: string; keyId?: string }) =>
  path
    .replace('{tenantId}', ids.tenantId)
    .replace('{id}', ids.id)
    .replace('{messageId}', ids.messageId)
    .replace('{keyId}', ids.keyId ?? globex.keyId);

describe('tenant isolation: every tenant route × method refuses another tenant’s ids with 404', () => {
  before(async () => {
    t = await tenantKit(uniquePrefix('tenant-iso'));
    for (const id of ['acme', 'globex']) assert.equal((await t.call('POST', '/v1/tenants', { id })).status, 201);
    assert.equal((await t.call('PUT', '/v1/event-types/invoice.paid', {})).status, 200);
    const g = await endpointFor(t, 'globex', ['invoice.*']);
    acmeEndpoint = (await endpointFor(t, 'acme', ['invoice.*'])).id;
    await sleep(300);
    const p = await publish(t, 'globex', { eventType: 'invoice.paid', payload: { id: 'g1' } });
    assert.equal(p.status, 202);
    await eventually(
      async () => {
        const d = await t.call('GET', `/v1/tenants/globex/endpoints/${g.id}/messages/${p.body.messageId as string}`);
        return d.status === 200 ? true : undefined;
      },
      20_000,
      'globex delivery logged',
    );
    const ops = await t.call('PUT', '/v1/tenants/globex/operational-webhook', { url: 'http://127.0.0.1:9/ops' });
    assert.equal(ops.status, 201);
    const key = await t.call('POST', '/v1/tenants/globex/api-keys', { scopes: ['endpoints:read'], name: 'ci' });
    assert.equal(key.status, 201);
    globex = {
      endpointId: g.id,
      messageId: p.body.messageId as string,
      secret: g.r.secrets[0]!,
      keyId: key.body.id as string,
    };
  });
  after(async () => {
    await t?.close();
  });

  it('the table covers the tenant routes of the document', () => {
    assert.ok(tenantRoutes.length >= 15, `only ${tenantRoutes.length} routes`);
    for (const r of [
      'POST /v1/tenants/{tenantId}/messages',
      'GET /v1/tenants/{tenantId}/deliveries',
      'POST /v1/tenants/{tenantId}/api-keys',
      'GET /v1/tenants/{tenantId}/api-keys',
      'DELETE /v1/tenants/{tenantId}/api-keys/{keyId}',
      'PUT /v1/tenants/{tenantId}/operational-webhook',
      'POST /v1/tenants/{tenantId}/operational-webhook/rotate-secret',
    ])
      assert.ok(
        tenantRoutes.some((x) => `${x.method} ${x.path}` === r),
        r,
      );
  });

  it('with a tenant key: another tenant’s id → 404 on every route and method', async () => {
    const portal = await t.call('POST', '/v1/tenants/acme/portal-token', { ttlSeconds: 600 });
    assert.equal(portal.status, 201);
    const tokens = { key: TENANT_KEYS.acme, portal: portal.body.token as string };
    const wrong: string[] = [];
    for (const [who, key] of Object.entries(tokens))
      for (const r of tenantRoutes) {
        const other = fill(r.path, { tenantId: 'globex', id: globex.endpointId, messageId: globex.messageId });
        const res = await t.call(
          r.method,
          other,
          r.method === 'GET' || r.method === 'DELETE' ? undefined : bodyFor(r.path),
          key,
        );
        if (res.status !== 404) wrong.push(`${who} ${r.method} ${other} → ${res.status}`);
        if (!r.path.includes('{id}')) continue;
        const mixed = fill(r.path, { tenantId: 'acme', id: globex.endpointId, messageId: globex.messageId });
        const res2 = await t.call(
          r.method,
          mixed,
          r.method === 'GET' || r.method === 'DELETE' ? undefined : bodyFor(r.path),
          key,
        );
        if (res2.status !== 404) wrong.push(`${who} ${r.method} ${mixed} → ${res2.status}`);
      }
    assert.deepEqual(wrong, []);
  });

  it('control: the same GET routes answer 200 to globex’s own key (the 404s above are not missing routes)', async () => {
    const gets = tenantRoutes.filter((r) => r.method === 'GET' && !r.adminOnly);
    assert.ok(gets.length >= 6);
    for (const r of gets) {
      const path = fill(r.path, { tenantId: 'globex', id: globex.endpointId, messageId: globex.messageId });
      const own = path.endsWith('/messages') ? `${path}?undeliveredForMinutes=0` : path; // its required query
      assert.equal((await t.call('GET', own, undefined, TENANT_KEYS.globex)).status, 200, own);
    }
  });

  it('filters and cursors stay inside the tenant', async () => {
    const byOther = await t.call(
      'GET',
      `/v1/tenants/acme/deliveries?endpointId=${globex.endpointId}`,
      undefined,
      TENANT_KEYS.acme,
    );
    assert.equal(byOther.status, 404);
    const byMsg = await t.call(
      'GET',
      `/v1/tenants/acme/deliveries?messageId=${globex.messageId}`,
      undefined,
      TENANT_KEYS.acme,
    );
    assert.deepEqual(byMsg.body.data, []);
    const list = await t.call('GET', `/v1/tenants/acme/endpoints?limit=250&cursor=ep_0`, undefined, TENANT_KEYS.acme);
    assert.deepEqual(
      list.body.data.map((e: Json): string => e.id as string),
      [acmeEndpoint],
    );
    const globexPage = await t.call('GET', '/v1/tenants/globex/deliveries?limit=1', undefined, TENANT_KEYS.globex);
    assert.equal(globexPage.body.data.length, 1);
    const cursor = `${Date.now() + 60_000}~${globex.endpointId}|${globex.messageId}`;
    const withCursor = await t.call(
      'GET',
      `/v1/tenants/acme/deliveries?cursor=${encodeURIComponent(cursor)}`,
      undefined,
      TENANT_KEYS.acme,
    );
    assert.equal(withCursor.status, 200);
    assert.ok(withCursor.body.data.every((s: Json) => s.endpointId !== globex.endpointId));
  });

  it('admin-only routes refuse tenant keys (403); tampered or expired portal tokens are 401', async () => {
    for (const [m, p] of [
      ['GET', '/v1/endpoints'],
      ['GET', `/v1/endpoints/${globex.endpointId}`],
      ['GET', '/v1/deliveries'],
      ['GET', '/v1/sources'],
      ['GET', '/v1/tenants'],
      ['POST', '/v1/tenants'],
      ['PATCH', '/v1/tenants/acme'],
      ['DELETE', '/v1/tenants/acme'],
      ['POST', '/v1/tenants/acme/portal-token'],
      ['POST', '/v1/tenants/acme/api-keys'],
      ['GET', '/v1/tenants/acme/api-keys'],
      ['DELETE', '/v1/tenants/acme/api-keys/key_0000000000000000'],
      ['PUT', '/v1/event-types/x.y'],
      // The operations API (console backend): admin keys only.
      ['GET', '/v1/dead-letters?topic=webhooks.dlq'],
      ['GET', '/v1/dead-letters/x?topic=webhooks.dlq'],
      ['POST', '/v1/dead-letters/redrive'],
      ['POST', '/v1/replay'],
      ['GET', '/v1/consumer-groups'],
      ['GET', '/v1/events/search?q=x'],
      ['GET', '/v1/overview'],
      ['GET', '/v1/source-stats'],
      ['GET', '/v1/sources/x/stats'],
    ] as const)
      assert.equal(
        (await t.call(m, p, m === 'GET' || m === 'DELETE' ? undefined : { id: 'x' }, TENANT_KEYS.acme)).status,
        403,
        `${m} ${p}`,
      );
    const own = await t.call('GET', '/v1/tenants/acme/endpoints', undefined, TENANT_KEYS.acme);
    assert.equal(own.status, 200);
    const portal = await t.call('POST', '/v1/tenants/acme/portal-token', {
      ttlSeconds: 60,
      scopes: ['endpoints:read'],
    });
    const token = portal.body.token as string;
    assert.equal((await t.call('GET', '/v1/tenants/acme/endpoints', undefined, token)).status, 200);
    assert.equal((await t.call('GET', '/v1/tenants/acme/deliveries', undefined, token)).status, 403, 'scope narrowed');
    // A character inside the signature: the last one carries 2 unused bits, so changing it can leave
    // the decoded bytes as they were (a false failure about 1 run in 16).
    const tampered = `${token.slice(0, -5)}${token.at(-5) === 'A' ? 'B' : 'A'}${token.slice(-4)}`;
    assert.equal((await t.call('GET', '/v1/tenants/acme/endpoints', undefined, tampered)).status, 401);
    assert.equal((await t.call('POST', '/v1/tenants/acme/portal-token', { ttlSeconds: 5 })).status, 400);
  });

  it('globex’s endpoint is untouched', async () => {
    const ep = await t.call('GET', `/v1/tenants/globex/endpoints/${globex.endpointId}`, undefined, TENANT_KEYS.globex);
    assert.equal(ep.status, 200);
    assert.equal(ep.body.enabled, true);
    const secret = await t.call(
      'GET',
      `/v1/tenants/globex/endpoints/${globex.endpointId}/secret`,
      undefined,
      TENANT_KEYS.globex,
    );
    assert.equal(secret.body.secret, globex.secret);
    assert.equal((await t.call('GET', '/v1/tenants/globex', undefined, TENANT_KEYS.globex)).status, 200);
    const keys = await t.call('GET', '/v1/tenants/globex/api-keys');
    assert.deepEqual(
      keys.body.data.map((k: Json): string => k.id as string),
      [globex.keyId],
      'globex’s API key was not revoked',
    );
    const ops = await t.call('GET', '/v1/tenants/globex/operational-webhook', undefined, TENANT_KEYS.globex);
    assert.equal(ops.body.url, 'http://127.0.0.1:9/ops', 'globex’s operational webhook unchanged');
  });
});
