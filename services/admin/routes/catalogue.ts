/** /v1/event-types: the event type catalogue. */
import { Hono } from 'hono';
import { requireAdmin, requireScope, type AuthVariables } from '../auth.ts';
import { EVENT_TYPE, type Catalogue, type EventType } from '../catalogue.ts';
import { notFound } from '../errors.ts';
import type { PayloadSchemas } from '../payload-schema.ts';
import { Check, jsonBody, optString, unknownFields } from '../validate.ts';

const view = (t: EventType) => ({
  name: t.name,
  description: t.description,
  schema: t.schema ?? null,
  createdAt: new Date(t.createdAt).toISOString(),
});

export function catalogueRoutes(catalogue: Catalogue, schemas: PayloadSchemas) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/', requireScope('endpoints:read'), async (c) => c.json({ data: (await catalogue.list()).map(view) }));
  app.put('/:name', requireAdmin(), requireScope('endpoints:write'), async (c) => {
    const name = c.req.param('name');
    const body = await jsonBody(c);
    const check = new Check();
    if (!EVENT_TYPE.test(name) || name.length > 200)
      check.add('name', 'must be dot-separated words, e.g. payment.succeeded');
    unknownFields(check, body, ['description', 'schema']);
    const description = optString(check, body, 'description', 1000) ?? '';
    const schema = body.schema === undefined || body.schema === null ? undefined : body.schema;
    if (schema !== undefined) for (const p of schemas.check(schema)) check.add('schema', p);
    check.finish();
    return c.json(
      view(await catalogue.put(schema === undefined ? { name, description } : { name, description, schema: schema })),
    );
  });
  app.delete('/:name', requireAdmin(), requireScope('endpoints:write'), async (c) => {
    const name = c.req.param('name');
    if (!(await catalogue.delete(name))) throw notFound('event type', name);
    return c.body(null, 204);
  });
  return app;
}
