/**
 * GET /v1/overview, GET /v1/source-stats and GET /v1/sources/{id}/stats: the console's overview
 * charts and source health, from Prometheus or the admin's sampler (overview/overview.ts lists the
 * metric names and what each figure means). Admin keys only.
 */
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../auth.ts';
import { notFound } from '../errors.ts';
import { need, type OperationsDeps } from '../operations.ts';
import { overview, sourceStats } from '../overview/overview.ts';
import { logicalTopic } from '../operations.ts';
import { Check, queryLimit } from '../validate.ts';
import { ApiError } from '../errors.ts';

export interface SourceIds {
  list(): readonly { id: string }[];
  get(id: string): unknown;
}

function metricsOf(ops: OperationsDeps | undefined) {
  const o = need(ops);
  if (!o.metrics)
    throw new ApiError(
      501,
      'not_configured',
      'no metrics source: set ADMIN_PROMETHEUS_URL or ADMIN_METRICS_TARGETS (name=url of each service /metrics)',
    );
  return { o, reader: o.metrics };
}

export function overviewRoutes(ops: OperationsDeps | undefined, sources: SourceIds) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/overview', requireScope('operations:read'), async (c) => {
    const check = new Check();
    const minutes = queryLimit(check, c.req.query('minutes'), 60, 1440);
    if (minutes < 5) check.add('minutes', 'must be an integer between 5 and 1440');
    check.finish();
    const { o, reader } = metricsOf(ops);
    const figures = await o.lag();
    return c.json(
      await overview(reader, {
        minutes,
        groupPrefix: o.groupPrefix,
        dlqNow: figures.dlq.map((d) => ({ topic: logicalTopic(o, d.topic), records: d.records })),
      }),
    );
  });
  app.get('/source-stats', requireScope('operations:read'), async (c) => {
    const { reader } = metricsOf(ops);
    const ids = sources
      .list()
      .map((s) => s.id)
      .sort();
    return c.json({ source: reader.mode, data: await sourceStats(reader, ids) });
  });
  app.get('/sources/:id/stats', requireScope('operations:read'), async (c) => {
    const id = c.req.param('id');
    if (!sources.get(id)) throw notFound('source', id);
    const { reader } = metricsOf(ops);
    const [s] = await sourceStats(reader, [id]);
    return c.json({ source: reader.mode, ...s! });
  });
  return app;
}
