/**
 * /v1/endpoints: create, list (cursor pagination), get, update, delete, pause/resume, secret
 * (shown on create and on explicit request) and rotation with a grace period.
 * Mounted twice: at /v1/tenants/{tenantId}/endpoints (scoped: only that tenant's endpoints, an
 * id of another tenant's endpoint answers 404, creation within the tenant's maxEndpoints) and at
 * /v1/endpoints for admin keys (every endpoint; creates in the default tenant).
 * Each endpoint is shown with its circuit breaker as the dispatchers report it (breakers.ts).
 * POST /{id}/test sends a test message (common/contracts/test-message.ts) to that endpoint only,
 * through outbound.events like a manual retry: signed, delivered and logged like any message.
 */
import { Hono } from 'hono';
import { DEFAULT_TENANT, tenantOf } from '../../common/contracts/tenant.ts';
import { CLOSED, testMessage, type BreakerView, type OutboundEvent } from '../../common/contracts/index.ts';
import type { Endpoint, EndpointStore } from '../../common/endpoints.ts';
import type { RateLimiter } from '../../common/rate-limit.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import type { BreakerReader } from '../breakers.ts';
import { newMessageId } from '../publisher.ts';
import { tenantScope } from './scope.ts';
import { EVENT_FILTER } from '../catalogue.ts';
import { ApiError, notFound } from '../errors.ts';
import { Check, jsonBody, optBool, optInt, optString, queryLimit, unknownFields } from '../validate.ts';

export interface EndpointRouteDeps {
  readonly store: EndpointStore;
  /** http:// URLs allowed (local development only). */
  readonly allowHttp: boolean;
  /** Default grace period of the previous secret after a rotation. */
  readonly graceMs: number;
  /** Mounted under /v1/tenants/{tenantId} (c.var.tenant set by tenantGuard). */
  readonly scoped: boolean;
  readonly breakers: BreakerReader;
  /** Produces OutboundEvents addressed to one endpoint (endpointId set) on outbound.events. */
  readonly send: (events: readonly OutboundEvent[]) => Promise<void>;
  /** The tenants' publish rate (Tenant.limits.publishPerSecond): a tenant's test messages count in it. */
  readonly limiter: RateLimiter;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/i;
const RESERVED_HEADER =
  /^(webhook-|content-length$|content-type$|host$|connection$|transfer-encoding$|traceparent$|tracestate$|user-agent$)/i;
const FIELDS = ['url', 'description', 'eventTypes', 'headers', 'rateLimitPerSecond', 'enabled'];

export function endpointView(ep: Endpoint, breaker: BreakerView = CLOSED) {
  return {
    id: ep.id,
    tenantId: tenantOf(ep),
    url: ep.url,
    description: ep.description,
    eventTypes: ep.eventTypes,
    headers: ep.headers,
    rateLimitPerSecond: ep.rateLimitPerSecond,
    enabled: ep.state.enabled,
    disabledReason: ep.state.enabled ? null : ep.state.reason,
    breaker,
    createdAt: new Date(ep.createdAt).toISOString(),
    updatedAt: new Date(ep.updatedAt).toISOString(),
  };
}

function readUrl(check: Check, v: unknown, allowHttp: boolean): string | undefined {
  if (typeof v !== 'string') return void check.add('url', 'is required and must be a string');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return void check.add('url', 'is not a valid URL');
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:'))
    return void check.add('url', allowHttp ? 'must be an http or https URL' : 'must be an https URL');
  if (u.username || u.password) return void check.add('url', 'must not contain credentials');
  if (v.length > 2000) return void check.add('url', 'must be at most 2000 characters');
  return u.toString();
}

function readEventTypes(check: Check, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > 100)
    return void check.add('eventTypes', 'must be an array of at most 100 event types');
  const out: string[] = [];
  v.forEach((t: unknown, i) => {
    if (typeof t !== 'string' || !EVENT_FILTER.test(t))
      check.add(`eventTypes[${i}]`, 'must be an event type ("payment.succeeded"), a wildcard ("payment.*") or "*"');
    else out.push(t);
  });
  return [...new Set(out)];
}

function readHeaders(check: Check, v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return void check.add('headers', 'must be an object of header names to string values');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 20) return void check.add('headers', 'at most 20 headers');
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (!HEADER_NAME.test(k)) check.add(`headers.${k}`, 'is not a valid header name');
    else if (RESERVED_HEADER.test(k)) check.add(`headers.${k}`, 'is set by hookline and cannot be overridden');
    else if (typeof val !== 'string' || val.length > 1000 || /[\r\n]/.test(val))
      check.add(`headers.${k}`, 'must be a single-line string of at most 1000 characters');
    else out[k.toLowerCase()] = val;
  }
  return out;
}

export function endpointRoutes(d: EndpointRouteDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const { tenantIdOf: scope, loadEndpoint: load } = tenantScope(d.store, d.scoped);
  const withBreaker = async (ep: Endpoint) => endpointView(ep, (await d.breakers([ep.id])).get(ep.id));

  app.post('/', requireScope('endpoints:write'), async (c) => {
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, FIELDS);
    const url = readUrl(check, body.url, d.allowHttp);
    const description = optString(check, body, 'description', 500) ?? '';
    const eventTypes = readEventTypes(check, body.eventTypes) ?? [];
    const headers = readHeaders(check, body.headers) ?? {};
    const rate = optInt(check, body, 'rateLimitPerSecond', 1, 100_000, true) ?? null;
    const enabled = optBool(check, body, 'enabled');
    check.finish();
    const tenantId = scope(c) ?? DEFAULT_TENANT;
    if (d.scoped) {
      const max = c.get('tenant').limits.maxEndpoints;
      if ((await d.store.count(tenantId)) >= max)
        throw new ApiError(409, 'limit_exceeded', `tenant ${tenantId} may have at most ${max} endpoints`);
    }
    const ep = await d.store.create(
      { url: url!, description, eventTypes, headers, rateLimitPerSecond: rate, tenantId },
      enabled === undefined ? {} : { enabled },
    );
    return c.json({ ...endpointView(ep), secret: ep.secrets[0]!.key }, 201);
  });

  app.get('/', requireScope('endpoints:read'), async (c) => {
    const check = new Check();
    const limit = queryLimit(check, c.req.query('limit'));
    const cursor = c.req.query('cursor');
    if (cursor !== undefined && !/^ep_[0-9a-z]+$/.test(cursor))
      check.add('cursor', 'is not a cursor returned by this API');
    check.finish();
    const page = await d.store.list({ cursor, limit, tenantId: scope(c) });
    const breakers = await d.breakers(page.data.map((ep) => ep.id));
    return c.json({ data: page.data.map((ep) => endpointView(ep, breakers.get(ep.id))), nextCursor: page.nextCursor });
  });

  app.get('/:id', requireScope('endpoints:read'), async (c) =>
    c.json(await withBreaker(await load(c, c.req.param('id')))),
  );

  app.patch('/:id', requireScope('endpoints:write'), async (c) => {
    const id = c.req.param('id');
    await load(c, id);
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(
      check,
      body,
      FIELDS.filter((f) => f !== 'enabled'),
    );
    const patch: Record<string, unknown> = {};
    if (body.url !== undefined) patch.url = readUrl(check, body.url, d.allowHttp);
    const description = optString(check, body, 'description', 500);
    if (description !== undefined) patch.description = description;
    const eventTypes = readEventTypes(check, body.eventTypes);
    if (eventTypes !== undefined) patch.eventTypes = eventTypes;
    const headers = readHeaders(check, body.headers);
    if (headers !== undefined) patch.headers = headers;
    const rate = optInt(check, body, 'rateLimitPerSecond', 1, 100_000, true);
    if (rate !== undefined) patch.rateLimitPerSecond = rate;
    check.finish();
    const ep = await d.store.updateConfig(id, patch);
    if (!ep) throw notFound('endpoint', id);
    return c.json(await withBreaker(ep));
  });

  app.delete('/:id', requireScope('endpoints:write'), async (c) => {
    const id = c.req.param('id');
    await load(c, id);
    if (!(await d.store.delete(id))) throw notFound('endpoint', id);
    return c.body(null, 204);
  });

  for (const [action, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    app.post(`/:id/${action}`, requireScope('endpoints:write'), async (c) => {
      const id = c.req.param('id');
      await load(c, id);
      await d.store.setState(id, { enabled, reason: enabled ? null : 'paused', changedAt: Date.now() });
      return c.json(await withBreaker(await load(c, id)));
    });
  }

  app.post('/:id/test', requireScope('endpoints:write'), async (c) => {
    const ep = await load(c, c.req.param('id'));
    if (!ep.state.enabled)
      throw new ApiError(
        409,
        'endpoint_disabled',
        `endpoint ${ep.id} is disabled (${ep.state.reason ?? 'disabled'}); resume it first`,
      );
    const rate = d.scoped ? c.get('tenant').limits.publishPerSecond : null;
    if (rate !== null) {
      const decision = await d.limiter.take(tenantOf(ep), { perSecond: rate, burst: Math.max(1, rate) });
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new ApiError(429, 'rate_limited', `tenant ${tenantOf(ep)} publishes at most ${rate} messages per second`);
      }
    }
    const event = testMessage({
      messageId: newMessageId(),
      tenantId: tenantOf(ep),
      endpointId: ep.id,
      now: Date.now(),
    });
    await d.send([event]);
    return c.json({ endpointId: ep.id, messageId: event.messageId, eventType: event.eventType, status: 'queued' }, 202);
  });

  app.get('/:id/secret', requireScope('endpoints:write'), async (c) => {
    const ep = await load(c, c.req.param('id'));
    const now = Date.now();
    const previous = ep.secrets.slice(1).filter((s) => s.expiresAt !== null && s.expiresAt > now);
    return c.json({
      secret: ep.secrets[0]!.key,
      previous: previous.map((s) => ({ secret: s.key, expiresAt: new Date(s.expiresAt!).toISOString() })),
    });
  });

  app.post('/:id/secret/rotate', requireScope('endpoints:write'), async (c) => {
    const id = c.req.param('id');
    await load(c, id);
    const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['graceSeconds']);
    const grace = optInt(check, body, 'graceSeconds', 0, 7 * 86_400);
    check.finish();
    const ep = await d.store.rotateSecret(id, grace === undefined || grace === null ? d.graceMs : grace * 1000);
    if (!ep) throw notFound('endpoint', id);
    const previous = ep.secrets.slice(1);
    return c.json({
      secret: ep.secrets[0]!.key,
      previous: previous.map((s) => ({ secret: s.key, expiresAt: new Date(s.expiresAt!).toISOString() })),
    });
  });

  return app;
}
