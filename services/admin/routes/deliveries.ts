/**
 * The delivery log and its actions: query (endpoint, status, event type, time), one message's
 * attempts at one endpoint, manual retry of one message to one endpoint, and bulk recover (retry
 * every failed message to an endpoint since a time). Retries are OutboundEvents with endpointId
 * set, produced on outbound.events keyed by the resource: the dispatcher delivers them in the
 * resource's lane, after anything still pending for it, with the same webhook-id.
 * Mounted for admin keys at /v1 and, scoped, at /v1/tenants/{tenantId}: there every filter,
 * path id and action is confined to the tenant's endpoints (another tenant's endpoint → 404), and
 * a manual retry sends only a message the endpoint already had in its log.
 */
import { Hono } from 'hono';
import { publishedResourceKey } from '../../common/contracts/publish.ts';
import type { EndpointStore } from '../../common/endpoints.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import { tenantScope } from './scope.ts';
import { ApiError, notFound } from '../errors.ts';
import type { DeliveryLog, Status, StoredMessage, Summary } from '../log-store.ts';
import { Check, jsonBody, parseTime, queryLimit, unknownFields } from '../validate.ts';

export interface DeliveryRouteDeps {
  readonly log: DeliveryLog;
  readonly store: EndpointStore;
  /** Produces the messages again (in this order), addressed to one endpoint. */
  readonly retry: (msgs: readonly StoredMessage[], endpointId: string) => Promise<void>;
  /** Most messages one recover call re-sends. */
  readonly maxRecover: number;
  /** Mounted under /v1/tenants/{tenantId} (c.var.tenant set by tenantGuard). */
  readonly scoped: boolean;
}

const STATUSES: readonly Status[] = ['SUCCEEDED', 'FAILED', 'DEAD'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const summaryView = (s: Summary) => ({
  endpointId: s.endpointId,
  messageId: s.messageId,
  eventType: s.eventType,
  resourceKey: s.resourceKey,
  status: s.status,
  attempts: s.attempts ?? 0,
  lastAttemptAt: iso(s.lastAttemptAt),
  lastStatusCode: s.lastStatusCode,
  lastError: s.lastError,
  nextAttemptAt: iso(s.nextAttemptAt),
});

export function deliveryRoutes(d: DeliveryRouteDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const { tenantIdOf: scope, loadEndpoint: load } = tenantScope(d.store, d.scoped);

  app.get('/deliveries', requireScope('deliveries:read'), async (c) => {
    const check = new Check();
    const q = c.req.query();
    const limit = queryLimit(check, q.limit);
    const status = q.status === undefined ? undefined : q.status.split(',').map((s) => s.trim().toUpperCase());
    for (const s of status ?? [])
      if (!(STATUSES as readonly string[]).includes(s))
        check.add('status', `must be one or more of ${STATUSES.join(', ')}`);
    const since = parseTime(check, 'since', q.since);
    const until = parseTime(check, 'until', q.until);
    if (q.cursor !== undefined && !/^\d+~.+$/.test(q.cursor))
      check.add('cursor', 'is not a cursor returned by this API');
    if (q.resourceId !== undefined && !d.scoped) check.add('resourceId', 'needs a tenant: use resourceKey here');
    check.finish();
    const tenantId = scope(c);
    if (q.endpointId !== undefined && tenantId !== undefined) await load(c, q.endpointId);
    const page = await d.log.query({
      tenantId,
      resourceKey:
        q.resourceId !== undefined && tenantId !== undefined
          ? publishedResourceKey(tenantId, q.resourceId, '')
          : q.resourceKey,
      messageId: q.messageId,
      endpointId: q.endpointId,
      status: status as Status[] | undefined,
      eventType: q.eventType,
      since,
      until,
      limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(summaryView), nextCursor: page.nextCursor });
  });

  app.get('/endpoints/:id/messages/:messageId', requireScope('deliveries:read'), async (c) => {
    const { id, messageId } = c.req.param();
    if (d.scoped) await load(c, id);
    const summary = await d.log.summary(id, messageId);
    if (!summary) throw notFound('delivery of message', `${messageId} to endpoint ${id}`);
    const [attempts, message] = await Promise.all([d.log.attempts(id, messageId), d.log.message(messageId)]);
    return c.json({
      ...summaryView(summary),
      payload: message?.payload ?? null,
      attemptLog: attempts.map((a) => ({
        attempt: a.attempt,
        outcome: a.outcome,
        trigger: a.trigger,
        attemptedAt: iso(a.attemptedAt),
        durationMs: a.durationMs,
        statusCode: a.statusCode,
        responseExcerpt: a.responseExcerpt,
        error: a.error,
        nextAttemptAt: iso(a.nextAttemptAt),
        url: a.url,
      })),
    });
  });

  app.post('/endpoints/:id/messages/:messageId/retry', requireScope('deliveries:retry'), async (c) => {
    const { id, messageId } = c.req.param();
    await load(c, id);
    // Scoped: only a message this endpoint already had (never another tenant's message).
    if (d.scoped && !(await d.log.summary(id, messageId)))
      throw notFound('delivery of message', `${messageId} to endpoint ${id}`);
    const msg = await d.log.message(messageId);
    if (!msg) throw notFound('message', `${messageId} (not in the delivery log, or past its retention)`);
    await d.retry([msg], id);
    return c.json({ endpointId: id, messageId, status: 'queued' }, 202);
  });

  app.post('/endpoints/:id/recover', requireScope('deliveries:retry'), async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['since', 'until']);
    const since = parseTime(check, 'since', body.since);
    const until = parseTime(check, 'until', body.until);
    if (since === undefined && !check.problems.some((p) => p.path === 'since')) check.add('since', 'is required');
    check.finish();
    const ep = await load(c, id);
    if (!ep.state.enabled)
      throw new ApiError(
        409,
        'endpoint_disabled',
        `endpoint ${id} is disabled (${ep.state.reason ?? 'disabled'}); resume it first`,
      );
    const failed: Summary[] = [];
    let cursor: string | undefined;
    do {
      const page = await d.log.query({ endpointId: id, status: ['FAILED', 'DEAD'], since, until, limit: 250, cursor });
      failed.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && failed.length < d.maxRecover);
    // Oldest last attempt first: a lane attempts its messages in order, so this re-sends each
    // resource's messages in their original order.
    const chosen = failed.slice(0, d.maxRecover).sort((a, b) => a.lastAttemptAt - b.lastAttemptAt);
    const msgs: StoredMessage[] = [];
    for (const s of chosen) {
      const msg = await d.log.message(s.messageId);
      if (msg) msgs.push(msg);
    }
    for (let i = 0; i < msgs.length; i += 500) await d.retry(msgs.slice(i, i + 500), id);
    const queued = msgs.length;
    return c.json({ endpointId: id, queued, truncated: failed.length > d.maxRecover || cursor !== undefined }, 202);
  });

  return app;
}
