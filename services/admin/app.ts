/**
 * The admin API as one Hono app: /openapi.json (public), everything under /v1 behind bearer API
 * keys, one error shape. Built from explicit dependencies, so tests drive it in memory with
 * app.request(...) or over HTTP.
 */
import { Hono } from 'hono';
import type { EndpointStore } from '../common/endpoints.ts';
import type { Logger } from '../common/logger.ts';
import type { WritableSourceStore } from '../common/source-store-redis.ts';
import { bearerAuth, type ApiKey, type AuthVariables } from './auth.ts';
import type { Catalogue } from './catalogue.ts';
import { ApiError, errorBody, sendError } from './errors.ts';
import type { DeliveryLog, StoredMessage } from './log-store.ts';
import { openapi } from './openapi.ts';
import { catalogueRoutes } from './routes/catalogue.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { endpointRoutes } from './routes/endpoints.ts';
import { sourceRoutes } from './routes/sources.ts';

export interface AdminAppDeps {
  readonly keys: readonly ApiKey[];
  readonly store: EndpointStore;
  readonly catalogue: Catalogue;
  readonly sources: WritableSourceStore;
  readonly log: DeliveryLog;
  readonly retry: (msgs: readonly StoredMessage[], endpointId: string) => Promise<void>;
  readonly allowHttp: boolean;
  readonly graceMs: number;
  readonly maxRecover: number;
  readonly logger: Logger;
  readonly onRequest?: (route: string, status: number) => void;
}

export function createAdminApp(d: AdminAppDeps): Hono {
  const app = new Hono();
  app.use('*', async function adminMetrics(c, next) {
    await next();
    d.onRequest?.(c.req.routePath, c.res.status);
  });
  app.get('/openapi.json', (c) => c.json(openapi));

  const v1 = new Hono<{ Variables: AuthVariables }>();
  v1.use('*', bearerAuth(d.keys));
  v1.route('/endpoints', endpointRoutes({ store: d.store, allowHttp: d.allowHttp, graceMs: d.graceMs }));
  v1.route('/', deliveryRoutes({ log: d.log, store: d.store, retry: d.retry, maxRecover: d.maxRecover }));
  v1.route('/event-types', catalogueRoutes(d.catalogue));
  v1.route('/sources', sourceRoutes(d.sources));
  v1.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));
  app.route('/v1', v1);

  app.onError((err, c) => {
    if (err instanceof ApiError) return sendError(c, err);
    d.logger.error({ err: err.message, path: c.req.path }, 'admin request failed');
    const retriable = (err as { retriable?: boolean }).retriable === true;
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
