/**
 * Login and logout. An admin API key (POSTed, never in a URL) opens an operator session; a tenant
 * key or a portal token (POSTed, or /console/login?token=… as a platform links or embeds it) opens
 * a tenant-only session that expires with the token. The session cookie is HttpOnly,
 * SameSite=Strict, Path=/console, Secure when the console is served over https, with Max-Age.
 * The login form itself is protected against login CSRF by a double-submit token (cookie + field).
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { html } from 'hono/html';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Context } from 'hono';
import { findKey, type ApiKey, type KeyLookup } from '../auth.ts';
import type { PortalTokens } from '../portal-token.ts';
import type { ConsoleEnv } from './context.ts';
import { errorBox, page } from './layout.ts';
import { csrfMatches, type SessionStore } from './session.ts';

export const SESSION_COOKIE = 'hookline_console';
const LOGIN_COOKIE = 'hookline_login';

export interface LoginDeps {
  readonly sessions: SessionStore;
  readonly keys: readonly ApiKey[];
  readonly portal: PortalTokens | undefined;
  /** Tenant keys created through /v1/tenants/{id}/api-keys (tenant-keys.ts). */
  readonly tenantKeys: KeyLookup;
  readonly sessionTtlMs: number;
  readonly secure: boolean;
}

export function loginRoutes(d: LoginDeps) {
  const app = new Hono<ConsoleEnv>();
  const cookie = { httpOnly: true, sameSite: 'Strict', path: '/console', secure: d.secure } as const;

  function form(c: Context<ConsoleEnv>, problem?: string, status: 200 | 401 = 200) {
    const token = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_COOKIE, token, { ...cookie, maxAge: 3600 });
    return c.html(
      page(
        { title: 'Log in' },
        html`${problem ? errorBox('Login failed', problem) : ''}
          <form method="post" action="/console/login" class="card narrow">
            <input type="hidden" name="_csrf" value="${token}" />
            <label for="credential">API key or portal token</label>
            <input id="credential" name="credential" type="password" autocomplete="current-password" required />
            <p class="hint">
              Operators log in with an admin API key. A tenant uses the portal token its platform gives it, or one of
              its tenant API keys: it sees only its own endpoints and deliveries.
            </p>
            <button type="submit">Log in</button>
          </form>`,
      ),
      status,
    );
  }

  async function open(c: Context<ConsoleEnv>, credential: string) {
    if (credential === '') return undefined;
    // The same order as the API's bearerAuth: portal token, configured key, then a managed tenant key.
    const key = d.portal?.verify(credential) ?? findKey(d.keys, credential) ?? (await d.tenantKeys(credential));
    if (!key) return undefined;
    const tenant = key.tenantId !== null;
    const portalExpiry = tenant && key.hint === 'portal' ? portalExpiresAt(credential) : undefined;
    const ttl = Math.min(d.sessionTtlMs, portalExpiry === undefined ? Infinity : portalExpiry - Date.now());
    const { id } = await d.sessions.create(
      { kind: tenant ? 'tenant' : 'operator', tenantId: key.tenantId, hint: key.hint, credential },
      ttl,
    );
    setCookie(c, SESSION_COOKIE, id, { ...cookie, maxAge: Math.max(1, Math.floor(ttl / 1000)) });
    deleteCookie(c, LOGIN_COOKIE, { path: '/console', secure: d.secure });
    return c.redirect(tenant ? '/console/endpoints' : '/console', 303);
  }

  app.get('/login', async (c) => {
    const token = c.req.query('token');
    if (token === undefined) return form(c);
    if (!token.startsWith('hlpt_') || !d.portal?.verify(token))
      return form(c, 'This login link is invalid or has expired: ask for a new one.', 401);
    return (await open(c, token)) ?? form(c, 'This login link is invalid or has expired.', 401);
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const expected = getCookie(c, LOGIN_COOKIE);
    if (!expected || !csrfMatches(expected, body._csrf))
      return form(c, 'The login form expired or did not come from this console: try again.', 401);
    const credential = typeof body.credential === 'string' ? body.credential.trim() : '';
    return (await open(c, credential)) ?? form(c, 'That key or token is not valid.', 401);
  });

  app.post('/logout', async (c) => {
    const sid = getCookie(c, SESSION_COOKIE);
    const session = sid ? await d.sessions.get(sid) : undefined;
    const body = await c.req.parseBody();
    if (session && !csrfMatches(session.csrf, body._csrf))
      return c.html(page({ title: 'Refused', session }, errorBox('Refused', 'Missing or wrong CSRF token.')), 403);
    if (sid) await d.sessions.destroy(sid);
    deleteCookie(c, SESSION_COOKIE, { path: '/console', secure: d.secure });
    return c.redirect('/console/login', 303);
  });
  return app;
}

/** A portal token's expiry (already verified by the caller). */
function portalExpiresAt(token: string): number | undefined {
  try {
    const payload = token.slice('hlpt_'.length).split('.')[0] ?? '';
    const e = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { e?: unknown }).e;
    return typeof e === 'number' ? e : undefined;
  } catch {
    return undefined;
  }
}
