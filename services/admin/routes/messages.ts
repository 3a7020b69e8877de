/**
 * POST /v1/tenants/{tenantId}/messages: a platform publishes its own message to one tenant's
 * endpoints. Checks run cheapest first, each refusal before anything is written: size from
 * Content-Length (413 before parsing), the tenant's publish rate (429 + Retry-After), the body,
 * the event type in the catalogue (unknown → 422 unless the catalogue is open), its JSON Schema
 * (422 naming the failing path), the payload's size (413). Then publisher.ts: 202 with the
 * messageId only after Kafka acknowledged (acks=all); Kafka down or slow → 503 + Retry-After.
 *
 * GET /v1/tenants/{tenantId}/messages lists published messages, and with
 * `undeliveredForMinutes=N` only those some subscribed endpoint has not yet received N minutes
 * after publishing ("accepted but not delivered", undelivered.ts).
 */
import { Hono } from 'hono';
import { IDEMPOTENCY_KEY, RESOURCE_ID } from '../../common/contracts/publish.ts';
import type { RateLimiter } from '../../common/rate-limit.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import { EVENT_TYPE } from '../catalogue.ts';
import { ApiError } from '../errors.ts';
import { publishProblems, type PublishCheckDeps } from '../publish-check.ts';
import { PublishConflict, type Publisher } from '../publisher.ts';
import type { Undelivered } from '../undelivered.ts';
import { Check, jsonBody, queryLimit, unknownFields } from '../validate.ts';

export interface MessageRouteDeps extends PublishCheckDeps {
  readonly publisher: Publisher;
  readonly undelivered: (q: { tenantId: string; olderThanMs: number; limit: number }) => Promise<Undelivered[]>;
  readonly limiter: RateLimiter;
  /** Seconds a client should wait after a 503. */
  readonly retryAfterSeconds: number;
}

/** Room for the envelope around the payload ({"eventType":…,"payload":…}) in the Content-Length check. */
const ENVELOPE_BYTES = 4096;

export function messageRoutes(d: MessageRouteDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/', requireScope('messages:write'), async (c) => {
    const tenant = c.get('tenant');
    const max = tenant.limits.maxPayloadBytes;
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > max + ENVELOPE_BYTES)
      throw new ApiError(413, 'payload_too_large', `the payload must be at most ${max} bytes for this tenant`);
    if (tenant.limits.publishPerSecond !== null) {
      const rate = tenant.limits.publishPerSecond;
      const decision = await d.limiter.take(tenant.id, { perSecond: rate, burst: Math.max(1, rate) });
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new ApiError(429, 'rate_limited', `tenant ${tenant.id} publishes at most ${rate} messages per second`);
      }
    }
    const idempotencyKey = c.req.header('idempotency-key');
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['eventType', 'payload', 'resourceId']);
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey))
      check.add('Idempotency-Key', 'must be 1–255 printable ASCII characters without spaces');
    const eventType = body.eventType;
    if (typeof eventType !== 'string' || !EVENT_TYPE.test(eventType) || eventType.length > 200)
      check.add('eventType', 'is required: dot-separated words, e.g. invoice.paid');
    const payload = body.payload;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      check.add('payload', 'is required and must be a JSON object (the self-contained state)');
    const resourceId = body.resourceId;
    if (
      resourceId !== undefined &&
      resourceId !== null &&
      (typeof resourceId !== 'string' || !RESOURCE_ID.test(resourceId))
    )
      check.add('resourceId', 'must be 1–255 printable ASCII characters without spaces');
    check.finish();
    const text = JSON.stringify(payload);
    if (Buffer.byteLength(text) > max)
      throw new ApiError(413, 'payload_too_large', `the payload must be at most ${max} bytes for this tenant`);
    const refused = await publishProblems(d, eventType as string, payload);
    if (refused) {
      const first = refused.problems[0]!;
      throw new ApiError(422, refused.code, `${first.path}: ${first.message}`, refused.problems);
    }
    try {
      const r = await d.publisher.publish({
        tenantId: tenant.id,
        eventType: eventType as string,
        payload: text,
        resourceId: typeof resourceId === 'string' ? resourceId : null,
        idempotencyKey: idempotencyKey ?? `auto:${crypto.randomUUID()}`,
      });
      if (r.duplicate) c.header('Idempotent-Replayed', 'true');
      return c.json({ messageId: r.messageId, tenantId: tenant.id, eventType }, 202);
    } catch (err) {
      if (err instanceof PublishConflict) {
        if (err.kind === 'in_progress') c.header('Retry-After', '1');
        throw new ApiError(err.kind === 'in_progress' ? 409 : 422, err.kind, err.message);
      }
      if ((err as { retriable?: boolean }).retriable === true) {
        c.header('Retry-After', String(d.retryAfterSeconds));
        throw new ApiError(503, 'unavailable', 'Kafka did not acknowledge the message; nothing was accepted, retry');
      }
      throw err;
    }
  });

  app.get('/', requireScope('deliveries:read'), async (c) => {
    const check = new Check();
    const limit = queryLimit(check, c.req.query('limit'));
    const raw = c.req.query('undeliveredForMinutes');
    const minutes = Number(raw);
    if (raw === undefined || !Number.isInteger(minutes) || minutes < 0 || minutes > 60 * 24 * 400)
      check.add('undeliveredForMinutes', 'is required: whole minutes since publishing (0 = any age)');
    check.finish();
    const data = await d.undelivered({ tenantId: c.get('tenant').id, olderThanMs: minutes * 60_000, limit });
    return c.json({
      data: data.map((u) => ({ ...u, publishedAt: new Date(u.publishedAt).toISOString() })),
    });
  });

  return app;
}
