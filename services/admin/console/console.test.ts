/**
 * The console's gatekeeping in memory (app.request, an in-memory session store, a stub API): login
 * redirects, headers, CSRF, tenant scoping of operator pages. The browser tests (test/console) run
 * the same against the real admin and stack.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { parseApiKeys, type ApiKey } from '../auth.ts';
import { portalTokens } from '../portal-token.ts';
import { consoleApp } from './index.ts';
import type { Session, SessionStore } from './session.ts';

const OPERATOR_KEY = 'operator-key-0123456789';
const keys = parseApiKeys(`${OPERATOR_KEY}:*`);
const portal = portalTokens('unit-portal-secret-0123456789abcdef0123');
/** A managed tenant key (POST /v1/tenants/{id}/api-keys), found by the lookup, not in ADMIN_API_KEYS. */
const TENANT_KEY = 'hlk_unit-tenant-key-0123456789';
const tenantKey: ApiKey = { digest: Buffer.alloc(32), scopes: new Set(['*']), hint: 'hlk_unit…', tenantId: 'acme' };

function memorySessions(): SessionStore {
  const m = new Map<string, Session>();
  let n = 0;
  return {
    create(s, ttlMs) {
      const id = `s${++n}`.padEnd(43, 'x');
      const session = { ...s, csrf: `csrf-${n}`, expiresAt: Date.now() + ttlMs };
      m.set(id, session);
      return Promise.resolve({ id, session });
    },
    get: (id) => Promise.resolve(m.get(id)),
    destroy: (id) => Promise.resolve(void m.delete(id)),
  };
}

function app(frameAncestors = "'none'") {
  const calls: string[] = [];
  const a = new Hono().route(
    '/console',
    consoleApp({
      sessions: memorySessions(),
      keys,
      portal,
      tenantKeys: (k) => Promise.resolve(k === TENANT_KEY ? tenantKey : undefined),
      fetch: (req) => {
        calls.push(`${req.method} ${new URL(req.url).pathname}`);
        return Response.json({ data: [], nextCursor: null });
      },
      frameAncestors,
      sessionTtlMs: 3_600_000,
      publicUrl: 'https://console.example.com',
      ingressUrl: 'https://hooks.example.com',
      traceUrl: undefined,
    }),
  );
  return { a, calls };
}

const cookieOf = (res: Response) => /hookline_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

async function postLogin(a: Hono, credential: string): Promise<Response> {
  const form = await a.request('/console/login');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const loginCookie = /hookline_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
  return a.request('/console/login', {
    method: 'POST',
    headers: { cookie: `hookline_login=${loginCookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, credential }).toString(),
  });
}

async function loginOperator(a: Hono): Promise<string> {
  const res = await postLogin(a, OPERATOR_KEY);
  assert.equal(res.status, 303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.match(setCookie, /Secure/, 'https public URL → Secure');
  assert.match(setCookie, /Path=\/console/);
  assert.match(setCookie, /Max-Age=\d+/);
  return cookieOf(res)!;
}

describe('console gatekeeping', () => {
  it('sends a visitor without a session to the login page, with a strict CSP', async () => {
    const { a } = app();
    const res = await a.request('/console/endpoints');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/console/login');
    const login = await a.request('/console/login');
    const csp = login.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'; style-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(await login.text(), /<script>|style="/, 'no inline script or style');
  });

  it('refuses a login POST without its form token', async () => {
    const { a } = app();
    const res = await a.request('/console/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `credential=${OPERATOR_KEY}`,
    });
    assert.equal(res.status, 401);
    assert.equal(cookieOf(res), undefined);
  });

  it('checks the CSRF token on every POST before acting', async () => {
    const { a, calls } = app();
    const sid = await loginOperator(a);
    const post = (body: string) =>
      a.request('/console/endpoints/ep_1/pause', {
        method: 'POST',
        headers: { cookie: `hookline_console=${sid}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    assert.equal((await post('')).status, 403);
    assert.equal((await post('_csrf=wrong')).status, 403);
    assert.equal(calls.length, 0, 'the API was never called');
    await post('_csrf=csrf-1');
    assert.ok(calls.includes('POST /v1/endpoints/ep_1/pause'));
  });

  it('logs a managed tenant key in to its own tenant view, and refuses an unknown one', async () => {
    const { a, calls } = app();
    const res = await postLogin(a, TENANT_KEY);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/console/endpoints');
    const cookie = `hookline_console=${cookieOf(res)!}`;
    assert.equal((await a.request('/console/endpoints', { headers: { cookie } })).status, 200);
    assert.ok(
      calls.some((c) => c.startsWith('GET /v1/tenants/acme/endpoints')),
      calls.join(', '),
    );
    assert.equal((await a.request('/console/sources', { headers: { cookie } })).status, 404, 'no operator page');
    const bad = await postLogin(a, 'hlk_not-a-key-0123456789');
    assert.equal(bad.status, 401);
    assert.equal(cookieOf(bad), undefined);
  });

  it('gives a tenant its own scope, 404 on operator pages, and the configured frame-ancestors', async () => {
    const { a, calls } = app('https://app.example.com');
    const { token } = portal.issue('acme', ['endpoints:read'], 600);
    const res = await a.request(`/console/login?token=${token}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/console/endpoints');
    const cookie = `hookline_console=${cookieOf(res)!}`;
    const list = await a.request('/console/endpoints', { headers: { cookie } });
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-security-policy') ?? '', /frame-ancestors https:\/\/app\.example\.com/);
    assert.ok(calls.some((c) => c.startsWith('GET /v1/tenants/acme/endpoints')));
    for (const p of ['/sources', '/dead-letters', '/replay', '/events'])
      assert.equal((await a.request(`/console${p}`, { headers: { cookie } })).status, 404, p);
    assert.equal((await a.request('/console', { headers: { cookie } })).headers.get('location'), '/console/endpoints');
    assert.equal((await a.request('/console/login?token=hlpt_forged.x')).status, 401);
  });
});
