/**
 * GET /v1/events/search: the event explorer (explorer.ts says how it searches and why). Admin keys
 * only. `q` is an event id, a provider delivery id, a resource key or a trace id; `kind` forces one
 * reading (default: detected — 32 hex digits = trace id, `a:b:c` = resource key, else event or
 * delivery id). The window starts at `since` (default 24 h ago) and at most `maxScan` records are
 * read; the answer says how many (`scanned`) and whether it stopped early (`truncated`).
 */
import { Hono } from 'hono';
import { requireScope, type AuthVariables } from '../auth.ts';
import { KINDS, detectKind, searchEvents, type Kind } from '../explorer.ts';
import type { DeliveryLog } from '../log-store.ts';
import { need, type OperationsDeps } from '../operations.ts';
import { Check, parseTime, queryLimit } from '../validate.ts';

const DAY = 86_400_000;

export function eventRoutes(ops: OperationsDeps | undefined, log: DeliveryLog) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/search', requireScope('operations:read'), async (c) => {
    const o = need(ops);
    const q = c.req.query();
    const check = new Check();
    const text = (q.q ?? '').trim();
    if (text === '' || text.length > 500)
      check.add('q', 'required: an event id, delivery id, resource key or trace id');
    if (q.kind !== undefined && !(KINDS as readonly string[]).includes(q.kind))
      check.add('kind', `must be one of ${KINDS.join(', ')}`);
    const since = parseTime(check, 'since', q.since) ?? Date.now() - DAY;
    if (since < Date.now() - 30 * DAY) check.add('since', 'must be within the last 30 days');
    const maxScan = queryLimit(check, q.maxScan, 100_000, 1_000_000);
    const limit = queryLimit(check, q.limit, 20, 100);
    check.finish();
    const result = await searchEvents(
      { ops: o, log, traceUrl: o.traceUrl },
      {
        q: text,
        kind: (q.kind as Kind | undefined) ?? detectKind(text),
        since,
        maxScan,
        maxEvents: limit,
        timeoutMs: 30_000,
      },
    );
    return c.json(result);
  });
  return app;
}
