/** /v1/event-types: the event type catalogue. */
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../auth.ts';
import { EVENT_TYPE, type Catalogue, type EventType } from '../catalogue.ts';
import { notFound } from '../errors.ts';
import { Check, jsonBody, optString, unknownFields } from '../validate.ts';

const view = (t: EventType) => ({
  name: t.name,
  description: t.description,
  createdAt: new Date(t.createdAt).toISOString(),
});

export function catalogueRoutes(catalogue: Catalogue) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/', requireScope('endpoints:read'), async (c) => c.json({ data: (await catalogue.list()).map(view) }));
  app.put('/:name', requireScope('endpoints:write'), async (c) => {
    const name = c.req.param('name');
    const body = await jsonBody(c);
    const check = new Check();
    if (!EVENT_TYPE.test(name) || name.length > 200)
      check.add('name', 'must be dot-separated words, e.g. payment.succeeded');
    unknownFields(check, body, ['description']);
    const description = optString(check, body, 'description', 1000) ?? '';
    check.finish();
    return c.json(view(await catalogue.put({ name, description })));
  });
  app.delete('/:name', requireScope('endpoints:write'), async (c) => {
    const name = c.req.param('name');
    if (!(await catalogue.delete(name))) throw notFound('event type', name);
    return c.body(null, 204);
  });
  return app;
}
