/**
 * /v1/tenants/{tenantId}/operational-webhook: where the tenant is told that one of its endpoints
 * was disabled or keeps failing (issue 12; the dispatcher sends it, see
 * services/dispatcher/operational.ts). The tenant manages it like its endpoints (admin keys, or a
 * tenant key / portal token of this tenant with endpoints:read|write). The signing secret is
 * created by the first PUT and shown in that answer and by rotate-secret only; GET never shows it.
 * Stored in Redis under tenantKeys(prefix).operational(tenantId) (the shared contract).
 */
import { Hono } from 'hono';
import { tenantKeys, type TenantOperationalWebhook } from '../../common/contracts/tenant.ts';
import { newSecret } from '../../common/endpoints.ts';
import type { Redis } from '../../common/redis.ts';
import { redisCall } from '../../common/redis.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { Check, jsonBody, optBool, unknownFields } from '../validate.ts';

const view = (w: TenantOperationalWebhook) => ({
  url: w.url,
  enabled: w.enabled,
  updatedAt: new Date(w.updatedAt).toISOString(),
});

export function operationalWebhookRoutes(d: { redis: Redis; prefix: string; allowHttp: boolean }) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const keyOf = (tenantId: string) => tenantKeys(d.prefix).operational(tenantId);
  const load = async (tenantId: string) => {
    const raw = await redisCall(() => d.redis.get(keyOf(tenantId)));
    return raw === null ? undefined : (JSON.parse(raw) as TenantOperationalWebhook);
  };
  const save = (tenantId: string, w: TenantOperationalWebhook) =>
    redisCall(() => d.redis.set(keyOf(tenantId), JSON.stringify(w)));
  const none = (tenantId: string) =>
    new ApiError(404, 'not_found', `tenant ${tenantId} has no operational webhook (PUT one first)`);

  app.get('/', requireScope('endpoints:read'), async (c) => {
    const w = await load(c.get('tenant').id);
    if (!w) throw none(c.get('tenant').id);
    return c.json(view(w));
  });

  app.put('/', requireScope('endpoints:write'), async (c) => {
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['url', 'enabled']);
    let url: URL | undefined;
    try {
      url = typeof body.url === 'string' && body.url.length <= 2000 ? new URL(body.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && !(d.allowHttp && url.protocol === 'http:')))
      check.add('url', d.allowHttp ? 'is required: an http or https URL' : 'is required: an https URL');
    const enabled = optBool(check, body, 'enabled') ?? true;
    check.finish();
    const tenantId = c.get('tenant').id;
    const prior = await load(tenantId);
    const next: TenantOperationalWebhook = {
      url: url!.toString(),
      enabled,
      secret: prior?.secret ?? newSecret(),
      updatedAt: Date.now(),
    };
    await save(tenantId, next);
    // The secret is shown when it is created, never again (rotate-secret makes a new one).
    return prior ? c.json(view(next)) : c.json({ ...view(next), secret: next.secret }, 201);
  });

  app.post('/rotate-secret', requireScope('endpoints:write'), async (c) => {
    const tenantId = c.get('tenant').id;
    const prior = await load(tenantId);
    if (!prior) throw none(tenantId);
    const next = { ...prior, secret: newSecret(), updatedAt: Date.now() };
    await save(tenantId, next);
    return c.json({ ...view(next), secret: next.secret });
  });

  app.delete('/', requireScope('endpoints:write'), async (c) => {
    const n = await redisCall(() => d.redis.del(keyOf(c.get('tenant').id)));
    if (n === 0) throw none(c.get('tenant').id);
    return c.body(null, 204);
  });

  return app;
}
