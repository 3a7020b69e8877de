/**
 * /v1/tenants/{tenantId}/api-keys: tenant API keys managed by API (tenant-keys.ts). Admin keys
 * only: a tenant key cannot mint or see keys. The key is in the 201 answer and nowhere else; the
 * list shows ids, names, scopes and a hint, never a secret; DELETE revokes at once on every admin
 * instance. Scopes are those of a configured "key@tenant:scopes" key (auth.ts SCOPES, or "*").
 */
import { Hono } from 'hono';
import { requireAdmin, requireScope, SCOPES, type AuthVariables } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { MAX_KEYS_PER_TENANT, type ManagedKey, type TenantKeys } from '../tenant-keys.ts';
import { Check, jsonBody, optString, unknownFields } from '../validate.ts';

const keyView = (k: ManagedKey) => ({
  id: k.id,
  tenantId: k.tenantId,
  name: k.name,
  scopes: k.scopes,
  hint: k.hint,
  createdAt: new Date(k.createdAt).toISOString(),
});

export function tenantKeyRoutes(keys: TenantKeys) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/', requireAdmin(), requireScope('tenants:write'), async (c) => {
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['scopes', 'name']);
    const name = optString(check, body, 'name', 200) ?? '';
    const scopes = body.scopes;
    if (
      !Array.isArray(scopes) ||
      scopes.length === 0 ||
      scopes.some((s) => s !== '*' && !(SCOPES as readonly unknown[]).includes(s))
    )
      check.add('scopes', `is required: a non-empty list of ${SCOPES.join(', ')} or "*"`);
    check.finish();
    const tenantId = c.get('tenant').id;
    const made = await keys.create(tenantId, { scopes: [...new Set(scopes as string[])], name });
    if (!made) throw new ApiError(409, 'conflict', `tenant ${tenantId} already has ${MAX_KEYS_PER_TENANT} API keys`);
    return c.json({ ...keyView(made.record), key: made.key }, 201);
  });

  app.get('/', requireAdmin(), requireScope('tenants:read'), async (c) =>
    c.json({ data: (await keys.list(c.get('tenant').id)).map(keyView) }),
  );

  app.delete('/:keyId', requireAdmin(), requireScope('tenants:write'), async (c) => {
    const keyId = c.req.param('keyId');
    if (!(await keys.revoke(c.get('tenant').id, keyId))) throw notFound('API key', keyId);
    return c.body(null, 204);
  });

  return app;
}
