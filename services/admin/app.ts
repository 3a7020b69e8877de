/**
 * The admin API as one Hono app: /openapi.json (public), everything under /v1 behind bearer API
 * keys, one error shape. Built from explicit dependencies, so tests drive it in memory with
 * app.request(...) or over HTTP.
 */
import { Hono } from 'hono';
import type { EndpointStore } from '../common/endpoints.ts';
import type { Logger } from '../common/logger.ts';
import type { WritableSourceStore } from '../common/source-store-redis.ts';
import type { RateLimiter } from '../common/rate-limit.ts';
import type { OutboundEvent } from '../common/contracts/index.ts';
import type { BreakerReader } from './breakers.ts';
import { bearerAuth, requireAdmin, type ApiKey, type AuthVariables } from './auth.ts';
import type { Catalogue } from './catalogue.ts';
import { ApiError, errorBody, sendError } from './errors.ts';
import type { DeliveryLog, StoredMessage } from './log-store.ts';
import { openapi } from './openapi.ts';
import type { PayloadSchemas } from './payload-schema.ts';
import type { PortalTokens } from './portal-token.ts';
import type { Publisher } from './publisher.ts';
import { messageRoutes } from './routes/messages.ts';
import { tenantGuard, tenantRoutes } from './routes/tenants.ts';
import type { TenantStore } from './tenant-store.ts';
import type { TenantKeys } from './tenant-keys.ts';
import type { Redis } from '../common/redis.ts';
import { operationalWebhookRoutes } from './routes/operational-webhook.ts';
import type { Undelivered } from './undelivered.ts';
import { catalogueRoutes } from './routes/catalogue.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { endpointRoutes } from './routes/endpoints.ts';
import { sourceRoutes } from './routes/sources.ts';
import { consoleApp, type ConsoleDeps } from './console/index.ts';
import type { OperationsDeps } from './operations.ts';
import { deadLetterRoutes } from './routes/operations-dlq.ts';
import { replayRoutes } from './routes/operations-replay.ts';
import { eventRoutes } from './routes/operations-events.ts';
import { overviewRoutes } from './routes/operations-overview.ts';

export interface AdminAppDeps {
  readonly keys: readonly ApiKey[];
  readonly store: EndpointStore;
  readonly catalogue: Catalogue;
  readonly sources: WritableSourceStore;
  readonly log: DeliveryLog;
  readonly retry: (msgs: readonly StoredMessage[], endpointId: string) => Promise<void>;
  /** Produces OutboundEvents addressed to one endpoint on outbound.events (test messages). */
  readonly send: (events: readonly OutboundEvent[]) => Promise<void>;
  /** The dispatchers' circuit breaker states (breakers.ts). */
  readonly breakers: BreakerReader;
  readonly allowHttp: boolean;
  readonly graceMs: number;
  readonly maxRecover: number;
  readonly logger: Logger;
  readonly tenants: TenantStore;
  readonly publisher: Publisher;
  /** "Accepted but not yet delivered" published messages of a tenant (undelivered.ts). */
  readonly undelivered: (q: { tenantId: string; olderThanMs: number; limit: number }) => Promise<Undelivered[]>;
  readonly schemas: PayloadSchemas;
  /** Per-tenant publish rate (Tenant.limits.publishPerSecond). */
  readonly limiter: RateLimiter;
  /** Publishing an event type the catalogue does not list is allowed. */
  readonly openCatalogue: boolean;
  /** Retry-After of a 503. */
  readonly retryAfterSeconds: number;
  /** Portal tokens (ADMIN_PORTAL_SECRET); undefined = not configured. */
  readonly portal?: PortalTokens | undefined;
  readonly onRequest?: (route: string, status: number) => void;
  /** The console under /console (console/index.ts); undefined = not served. */
  readonly console?: Omit<ConsoleDeps, 'fetch' | 'keys' | 'portal' | 'tenantKeys'> | undefined;
  /** Tenant API keys managed by API (tenant-keys.ts). */
  readonly tenantKeys: TenantKeys;
  /** Where tenants' operational webhook endpoints are kept (routes/operational-webhook.ts). */
  readonly operationalWebhooks: { readonly redis: Redis; readonly prefix: string };
  /** Dead letters, replay, explorer, overview (operations.ts); undefined = those routes answer 501. */
  readonly operations?: OperationsDeps | undefined;
}

/** Admin-only operations routes (the console's backend): dead letters, replay, groups. */
const OPERATIONS = [
  '/dead-letters',
  '/dead-letters/*',
  '/replay',
  '/consumer-groups',
  '/events/*',
  '/overview',
  '/source-stats',
];

export function createAdminApp(d: AdminAppDeps): Hono {
  const app = new Hono();
  app.use('*', async function adminMetrics(c, next) {
    await next();
    d.onRequest?.(c.req.routePath, c.res.status);
  });
  app.get('/openapi.json', (c) => c.json(openapi));

  const v1 = new Hono<{ Variables: AuthVariables }>();
  v1.use('*', bearerAuth(d.keys, d.portal?.verify, d.tenantKeys.find));
  // Tenant routes: tenantGuard answers 404 for another tenant's id before any scope check.
  v1.route('/tenants', tenantRoutes(d.tenants, d.portal, d.tenantKeys));
  v1.use('/tenants/:tenantId/*', tenantGuard(d.tenants));
  const endpoints = {
    store: d.store,
    allowHttp: d.allowHttp,
    graceMs: d.graceMs,
    breakers: d.breakers,
    send: d.send,
    limiter: d.limiter,
  };
  const deliveries = { log: d.log, store: d.store, retry: d.retry, maxRecover: d.maxRecover };
  v1.route('/tenants/:tenantId/endpoints', endpointRoutes({ ...endpoints, scoped: true }));
  v1.route('/tenants/:tenantId', deliveryRoutes({ ...deliveries, scoped: true }));
  v1.route('/tenants/:tenantId/messages', messageRoutes(d));
  v1.route(
    '/tenants/:tenantId/operational-webhook',
    operationalWebhookRoutes({ ...d.operationalWebhooks, allowHttp: d.allowHttp }),
  );
  // Admin keys only: every tenant at once, sources, and the pre-tenant paths (default tenant).
  for (const p of ['/endpoints', '/endpoints/*', '/deliveries', '/sources', '/sources/*']) v1.use(p, requireAdmin());
  v1.route('/endpoints', endpointRoutes({ ...endpoints, scoped: false }));
  v1.route('/', deliveryRoutes({ ...deliveries, scoped: false }));
  v1.route('/event-types', catalogueRoutes(d.catalogue, d.schemas));
  v1.route(
    '/sources',
    sourceRoutes(d.sources, (id, t) => d.tenants.setSourceTenant(id, t)),
  );
  for (const p of OPERATIONS) v1.use(p, requireAdmin());
  v1.route('/dead-letters', deadLetterRoutes(d.operations));
  v1.route('/', replayRoutes(d.operations));
  v1.route('/events', eventRoutes(d.operations, d.log));
  v1.route('/', overviewRoutes(d.operations, d.sources));
  v1.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));
  app.route('/v1', v1);
  // The console calls this same app in-process with the session's credential (console/api.ts).
  if (d.console)
    app.route(
      '/console',
      consoleApp({
        ...d.console,
        keys: d.keys,
        portal: d.portal,
        tenantKeys: d.tenantKeys.find,
        fetch: (r) => app.fetch(r),
      }),
    );

  app.onError((err, c) => {
    if (err instanceof ApiError) return sendError(c, err);
    d.logger.error({ err: err.message, path: c.req.path }, 'admin request failed');
    const retriable = (err as { retriable?: boolean }).retriable === true;
    if (retriable) c.header('Retry-After', String(d.retryAfterSeconds));
    return c.json(
      errorBody(
        retriable ? 'unavailable' : 'internal',
        retriable ? 'a dependency is unavailable, retry later' : 'internal error',
      ),
      retriable ? 503 : 500,
    );
  });
  return app;
}
