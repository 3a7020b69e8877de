/**
 * /v1/sources: the inbound sources of the ingress, through the same SourceStore interface the
 * ingress reads (a writable Redis-backed one, services/common/source-store-redis.ts). Secrets are
 * write-only: responses say how many a source has, never what they are.
 */
import { Hono } from 'hono';
import type { SourceConfig } from '../../common/contracts/index.ts';
import type { WritableSourceStore } from '../../common/source-store-redis.ts';
import { ConfigError } from '../../common/errors.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { Check, jsonBody, unknownFields } from '../validate.ts';

const FIELDS = ['id', 'provider', 'secrets', 'options'];

const view = (s: SourceConfig) => ({
  id: s.id,
  provider: s.provider,
  secretCount: s.secrets.length,
  options: s.options,
  url: `/webhooks/${s.id}`,
});

/** Records which tenant a source's messages go to (admin/tenant-store.ts); null = the default tenant. */
export type SetSourceTenant = (sourceId: string, tenantId: string | null) => Promise<void>;

export const sourceTenantOf = (s: SourceConfig): string | null =>
  typeof s.options.tenant === 'string' ? s.options.tenant : null;

export function sourceRoutes(store: WritableSourceStore, setTenant: SetSourceTenant) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/', requireScope('sources:read'), (c) => c.json({ data: store.list().map(view) }));
  app.get('/:id', requireScope('sources:read'), (c) => {
    const s = store.get(c.req.param('id'));
    if (!s) throw notFound('source', c.req.param('id'));
    return c.json(view(s));
  });
  app.put('/:id', requireScope('sources:write'), async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, FIELDS);
    check.finish();
    if (body.id !== undefined && body.id !== id)
      throw new ApiError(400, 'invalid_request', 'id: must match the id in the path', [
        { path: 'id', message: 'must match the id in the path' },
      ]);
    const existing = store.get(id);
    // Secrets omitted on an update keep the current ones (they are never read back).
    const secrets = body.secrets === undefined && existing ? existing.secrets : body.secrets;
    try {
      const s = await store.put({ ...body, id, secrets });
      await setTenant(id, sourceTenantOf(s));
      return c.json(view(s), existing ? 200 : 201);
    } catch (err) {
      if (err instanceof ConfigError)
        throw new ApiError(400, 'invalid_request', err.message.replace(/^invalid sources: /, ''));
      throw err;
    }
  });
  app.delete('/:id', requireScope('sources:write'), async (c) => {
    if (!(await store.delete(c.req.param('id')))) throw notFound('source', c.req.param('id'));
    await setTenant(c.req.param('id'), null);
    return c.body(null, 204);
  });
  return app;
}
