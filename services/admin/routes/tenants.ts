/**
 * /v1/tenants: create (the id is the platform's own customer id), get, list with cursor paging,
 * update (name, metadata, limits, retention), delete, and portal tokens. Admin keys manage
 * tenants; a tenant key or portal token may read its own tenant. tenantGuard resolves
 * /v1/tenants/{tenantId}/... for every nested route: another tenant's id, or one that does not
 * exist, answers the same 404, so a tenant key cannot even learn which ids exist.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { TENANT_ID, type Tenant, type TenantLimits } from '../../common/contracts/tenant.ts';
import { requireAdmin, requireScope, SCOPES, type AuthVariables, type Scope } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { PORTAL_MAX_TTL_S, PORTAL_MIN_TTL_S, PORTAL_SCOPES, type PortalTokens } from '../portal-token.ts';
import type { TenantKeys } from '../tenant-keys.ts';
import type { TenantPatch, TenantStore } from '../tenant-store.ts';
import { tenantKeyRoutes } from './tenant-keys.ts';
import { Check, jsonBody, optInt, optString, queryLimit, unknownFields } from '../validate.ts';

const DAY_MS = 86_400_000;

export const tenantView = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  metadata: t.metadata,
  limits: t.limits,
  retentionDays: t.retentionMs / DAY_MS,
  createdAt: new Date(t.createdAt).toISOString(),
  updatedAt: new Date(t.updatedAt).toISOString(),
});

/** 404 unless the tenant exists and the key may see it; sets c.var.tenant. */
export function tenantGuard(store: TenantStore): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function tenantGuardMiddleware(c, next) {
    const id = c.req.param('tenantId') ?? '';
    const key = c.get('apiKey');
    const tenant = key.tenantId === null || key.tenantId === id ? await store.get(id) : undefined;
    if (!tenant) throw notFound('tenant', id);
    c.set('tenant', tenant);
    await next();
  };
}

function readMetadata(check: Check, v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return void check.add('metadata', 'must be an object of string values');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 50) return void check.add('metadata', 'at most 50 entries');
  for (const [k, val] of entries)
    if (k.length > 100 || typeof val !== 'string' || val.length > 1000)
      check.add(`metadata.${k}`, 'keys of at most 100 and string values of at most 1000 characters');
  return Object.fromEntries(entries) as Record<string, string>;
}

function readLimits(check: Check, v: unknown): Partial<TenantLimits> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return void check.add('limits', 'must be an object');
  const body = v as Record<string, unknown>;
  const inner = new Check();
  unknownFields(inner, body, ['maxEndpoints', 'publishPerSecond', 'maxPayloadBytes']);
  const out: { -readonly [K in keyof TenantLimits]?: TenantLimits[K] } = {};
  const maxEndpoints = optInt(inner, body, 'maxEndpoints', 0, 100_000);
  if (maxEndpoints !== undefined && maxEndpoints !== null) out.maxEndpoints = maxEndpoints;
  const rate = optInt(inner, body, 'publishPerSecond', 1, 1_000_000, true);
  if (rate !== undefined) out.publishPerSecond = rate;
  const size = optInt(inner, body, 'maxPayloadBytes', 64, 4 * 1024 * 1024);
  if (size !== undefined && size !== null) out.maxPayloadBytes = size;
  for (const p of inner.problems) check.add(`limits.${p.path}`, p.message);
  return out;
}

function readPatch(check: Check, body: Record<string, unknown>): TenantPatch {
  const patch: { -readonly [K in keyof TenantPatch]: TenantPatch[K] } = {};
  const name = optString(check, body, 'name', 200);
  if (name !== undefined) patch.name = name;
  const metadata = readMetadata(check, body.metadata);
  if (metadata !== undefined) patch.metadata = metadata;
  const limits = readLimits(check, body.limits);
  if (limits !== undefined) patch.limits = limits as TenantLimits;
  const days = optInt(check, body, 'retentionDays', 1, 400);
  if (days !== undefined && days !== null) patch.retentionMs = days * DAY_MS;
  return patch;
}

const FIELDS = ['name', 'metadata', 'limits', 'retentionDays'];

export function tenantRoutes(store: TenantStore, portal: PortalTokens | undefined, keys: TenantKeys) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/', requireAdmin(), requireScope('tenants:write'), async (c) => {
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['id', ...FIELDS]);
    if (typeof body.id !== 'string' || !TENANT_ID.test(body.id))
      check.add('id', `is required: your own customer id, matching ${TENANT_ID.source}`);
    const patch = readPatch(check, body);
    check.finish();
    const t = await store.create({ ...patch, id: body.id as string });
    if (!t) throw new ApiError(409, 'conflict', `tenant ${String(body.id)} already exists`);
    return c.json(tenantView(t), 201);
  });

  app.get('/', requireAdmin(), requireScope('tenants:read'), async (c) => {
    const check = new Check();
    const limit = queryLimit(check, c.req.query('limit'));
    const cursor = c.req.query('cursor');
    if (cursor !== undefined && !TENANT_ID.test(cursor)) check.add('cursor', 'is not a cursor returned by this API');
    check.finish();
    const page = await store.list({ cursor, limit });
    return c.json({ data: page.data.map(tenantView), nextCursor: page.nextCursor });
  });

  app.use('/:tenantId', tenantGuard(store));
  app.use('/:tenantId/portal-token', tenantGuard(store));
  app.use('/:tenantId/api-keys', tenantGuard(store));
  app.use('/:tenantId/api-keys/*', tenantGuard(store));
  app.route('/:tenantId/api-keys', tenantKeyRoutes(keys));
  app.get('/:tenantId', requireScope('tenants:read'), (c) => c.json(tenantView(c.get('tenant'))));

  app.patch('/:tenantId', requireAdmin(), requireScope('tenants:write'), async (c) => {
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, FIELDS);
    const patch = readPatch(check, body);
    check.finish();
    const t = await store.update(c.get('tenant').id, patch);
    if (!t) throw notFound('tenant', c.get('tenant').id);
    return c.json(tenantView(t));
  });

  app.delete('/:tenantId', requireAdmin(), requireScope('tenants:write'), async (c) => {
    if (!(await store.delete(c.get('tenant').id))) throw notFound('tenant', c.get('tenant').id);
    await keys.revokeAll(c.get('tenant').id);
    return c.body(null, 204);
  });

  app.post('/:tenantId/portal-token', requireAdmin(), requireScope('tenants:write'), async (c) => {
    if (!portal)
      throw new ApiError(501, 'not_configured', 'portal tokens need ADMIN_PORTAL_SECRET set on the admin service');
    const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['ttlSeconds', 'scopes']);
    const ttl = optInt(check, body, 'ttlSeconds', PORTAL_MIN_TTL_S, PORTAL_MAX_TTL_S) ?? 3600;
    let scopes: Scope[] = [...PORTAL_SCOPES];
    if (body.scopes !== undefined) {
      if (!Array.isArray(body.scopes) || body.scopes.some((s) => !(PORTAL_SCOPES as readonly unknown[]).includes(s)))
        check.add('scopes', `must be a subset of ${PORTAL_SCOPES.join(', ')}`);
      else scopes = (body.scopes as string[]).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    }
    check.finish();
    const { token, expiresAt } = portal.issue(c.get('tenant').id, scopes, ttl);
    return c.json({ token, tenantId: c.get('tenant').id, scopes, expiresAt: new Date(expiresAt).toISOString() }, 201);
  });

  return app;
}
