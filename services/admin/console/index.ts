/**
 * The console under /console: server-rendered pages over the admin's own API. Order matters:
 *   1. security headers on every answer (CSP without inline script/style, frame-ancestors:
 *      'none' for operators, ADMIN_CONSOLE_FRAME_ANCESTORS for the tenant view), no caching;
 *   2. static assets (our CSS/JS, uPlot from node_modules) — no session needed, nothing remote;
 *   3. login/logout (admin key, tenant key or portal token → Redis session → HttpOnly SameSite=Strict cookie);
 *   4. every other page needs a session (else → /console/login), and every POST a CSRF token
 *      matching the session's, checked before any handler runs;
 *   5. the pages, which read and act only through the API with the session's credential.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parse } from 'hono/utils/cookie';
import type { ApiKey, KeyLookup } from '../auth.ts';
import type { PortalTokens } from '../portal-token.ts';
import { consoleApi, type Fetch } from './api.ts';
import { assetRoutes } from './assets.ts';
import { failure, notFoundPage, type ConsoleEnv, type PageDeps } from './context.ts';
import { errorBox, page } from './layout.ts';
import { loginRoutes, SESSION_COOKIE } from './login.ts';
import { deliveryPages } from './pages/deliveries.ts';
import { endpointPages } from './pages/endpoints.ts';
import { operationsPages } from './pages/operations.ts';
import { sourcePages } from './pages/sources.ts';
import { csrfMatches, type SessionStore } from './session.ts';

export interface ConsoleDeps {
  readonly sessions: SessionStore;
  readonly keys: readonly ApiKey[];
  readonly portal: PortalTokens | undefined;
  /** Tenant keys managed through the API: they log in to the tenant view too. */
  readonly tenantKeys: KeyLookup;
  /** The admin app itself (in-process API calls). */
  readonly fetch: Fetch;
  /** CSP frame-ancestors of the tenant view, e.g. "'none'" or "https://app.example.com". */
  readonly frameAncestors: string;
  readonly sessionTtlMs: number;
  readonly publicUrl: string;
  readonly ingressUrl: string;
  readonly traceUrl: string | undefined;
}

const CSP_BASE =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'";

export function consoleApp(d: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const secure = d.publicUrl.startsWith('https:');

  app.use('*', async function consoleHeaders(c, next) {
    await next();
    const tenantView =
      c.get('session')?.kind === 'tenant' || (c.req.path === '/console/login' && !!c.req.query('token'));
    c.header('Content-Security-Policy', `${CSP_BASE}; frame-ancestors ${tenantView ? d.frameAncestors : "'none'"}`);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    if (!c.req.path.startsWith('/console/assets/')) c.header('Cache-Control', 'no-store');
  });
  app.route('/assets', assetRoutes());
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('form too large', 413) }));
  app.route('/', loginRoutes({ ...d, secure }));

  app.use('*', async function requireSession(c, next) {
    const sid = parse(c.req.header('cookie') ?? '', SESSION_COOKIE)[SESSION_COOKIE];
    const session = sid ? await d.sessions.get(sid) : undefined;
    if (!session) {
      if (c.req.method === 'GET') return c.redirect('/console/login', 303);
      return c.html(page({ title: 'Session expired' }, errorBox('Not logged in', 'Log in again.')), 401);
    }
    c.set('session', session);
    if (c.req.method === 'POST') {
      const body = await c.req.parseBody();
      const form: Record<string, string> = {};
      for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
      if (!csrfMatches(session.csrf, form._csrf)) {
        return c.html(
          page(
            { title: 'Refused', session },
            errorBox('Refused', 'This form did not come from this console session (missing or wrong CSRF token).'),
          ),
          403,
        );
      }
      c.set('form', form);
    } else if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return c.text('method not allowed', 405, { Allow: 'GET, POST' });
    }
    await next();
  });

  const deps: PageDeps = {
    api: consoleApi(d.fetch),
    publicUrl: d.publicUrl,
    ingressUrl: d.ingressUrl,
    traceUrl: d.traceUrl,
  };
  operationsPages(app, deps);
  sourcePages(app, deps);
  endpointPages(app, deps);
  deliveryPages(app, deps);
  app.notFound((c) => (c.get('session') ? notFoundPage(c) : c.redirect('/console/login', 303)));
  app.onError((err, c) => {
    const retriable = (err as { retriable?: boolean }).retriable === true;
    const r = {
      ok: false as const,
      status: retriable ? 503 : 500,
      code: 'internal',
      message: retriable ? 'Redis or Kafka is unavailable' : 'internal error',
    };
    if (retriable) c.header('Retry-After', '2');
    return c.get('session')
      ? failure(c, 'Error', r)
      : c.html(page({ title: 'Error' }, errorBox('Error', r.message)), r.status as 500);
  });
  return app;
}
