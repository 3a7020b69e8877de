/**
 * The console in a real browser (Debian's Chromium via playwright-core) on the real stack: every
 * service its own process, the demo burst through them, two tenants with their own endpoints.
 * Operator walk, tenant walk (scoped, another tenant's typed URL → 404), XSS payloads from a
 * webhook and a receiver shown escaped (no dialog, no injected element), CSRF refusal, cookie
 * flags and security headers, axe-core on every page, a screenshot of every page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { runDemo, type DemoResult } from '../../scripts/demo.ts';
import { receiver, type Receiver } from '../dispatcher/helpers.ts';
import { eventually, provision, uniquePrefix } from '../helpers/env.ts';
import { freePort, ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';
import { assertAccessible, assertNoSideScroll, launch, login, session, shot, visit } from './browser.ts';

const prefix = uniquePrefix('console');
const ADMIN_KEY = 'console-admin-key-0123456789';
const PORTAL_SECRET = 'console-portal-secret-0123456789abcdef';
const env = {
  SOURCES_FILE: `${ROOT}deploy/local/sources.example.json`,
  ADMIN_API_KEYS: `${ADMIN_KEY}:*`,
  ADMIN_ALLOW_HTTP: 'true',
  ADMIN_PORTAL_SECRET: PORTAL_SECRET,
  DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  // Two attempts, then DEAD: a manual retry is then not queued behind a pending automatic one.
  DISPATCHER_RETRY_SCHEDULE: '0,1s',
  REDIS_KEY_PREFIX: `hookline-test:${prefix}`,
};
const ORDER = ['ingress', 'admin', 'validator', 'sequencer', 'processors', 'dispatcher'];
/** Payloads that would run if anything were rendered unescaped. */
const XSS = `<script>window.__xss=1;alert('xss')</script><img src=x onerror="window.__xss=2;alert('img')">`;
const XSS_ATTR = `"><svg onload="alert('attr')">`;

type Json = Record<string, unknown>;
const services = new Map<string, ServiceProcess>();
let base: string;
let demo: DemoResult;
let browser: Browser;
const receivers: Receiver[] = [];
const ids = { acmeOk: '', acmeFailing: '', acmePaused: '', globex: '', acmeMsg: '', globexMsg: '', failingMsg: '' };

async function api(
  method: string,
  path: string,
  body?: unknown,
  key = ADMIN_KEY,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

async function endpoint(tenant: string, answer: Parameters<typeof receiver>[0]): Promise<string> {
  const r = await receiver(answer);
  receivers.push(r);
  const res = await api('POST', `/v1/tenants/${tenant}/endpoints`, { url: r.url, eventTypes: ['invoice.*'] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  r.secrets = [res.body.secret as string];
  return res.body.id as string;
}

async function publish(tenant: string, payload: Json): Promise<string> {
  const res = await api('POST', `/v1/tenants/${tenant}/messages`, { eventType: 'invoice.paid', payload });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.messageId as string;
}

async function delivered(endpointId: string, messageId: string, status?: string): Promise<Json> {
  return eventually(
    async () => {
      const r = await api('GET', `/v1/endpoints/${endpointId}/messages/${messageId}`);
      return r.status === 200 && (!status || r.body.status === status) ? r.body : undefined;
    },
    60_000,
    `message ${messageId} logged at ${endpointId}${status ? ` as ${status}` : ''}`,
  );
}

describe('console: operator and tenant views in a real browser', () => {
  before(async () => {
    await provision(prefix);
    const ports = new Map<string, number>();
    for (const name of ORDER) ports.set(name, await freePort());
    // The admin samples every service's own /metrics for the overview (no Prometheus in this test).
    const targets = ORDER.filter((n) => n !== 'admin').map((n) => `${n}=http://127.0.0.1:${ports.get(n)}/metrics`);
    const all = { ...env, ADMIN_METRICS_TARGETS: targets.join(','), ADMIN_METRICS_INTERVAL_MS: '1000' };
    for (const name of ORDER) services.set(name, await startServiceProcess(name, prefix, all, ports.get(name)));
    base = `http://127.0.0.1:${services.get('admin')!.port}`;
    demo = await runDemo({
      ingressUrl: `http://127.0.0.1:${services.get('ingress')!.port}`,
      adminUrl: base,
      adminKey: ADMIN_KEY,
      stripeSource: 'stripe-test',
      stripeSecret: 'whsec_test_hookline_local_only_not_a_real_secret',
      githubSource: 'github-test',
      githubSecret: 'test-github-secret-local-only',
      timeoutMs: 90_000,
    });
    for (const id of ['acme', 'globex']) assert.equal((await api('POST', '/v1/tenants', { id })).status, 201);
    assert.equal((await api('PUT', '/v1/event-types/invoice.paid', {})).status, 200);
    ids.acmeOk = await endpoint('acme', () => ({ status: 200, body: XSS, headers: { 'content-type': 'text/html' } }));
    // Fails twice (both automatic attempts), then answers 200: the manual retry succeeds.
    ids.acmeFailing = await endpoint('acme', (_req, _body, n) =>
      n < 2 ? { status: 500, body: 'upstream broke' } : { status: 200 },
    );
    ids.acmePaused = await endpoint('acme', () => ({ status: 200 }));
    ids.globex = await endpoint('globex', () => ({ status: 200 }));
    assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${ids.acmePaused}/pause`)).status, 200);
    await new Promise((r) => setTimeout(r, 500)); // the dispatcher's endpoint cache hears the change
    ids.acmeMsg = await publish('acme', { id: 'inv_1', note: XSS, [XSS_ATTR]: XSS_ATTR });
    ids.globexMsg = await publish('globex', { id: 'inv_g1', note: 'globex only' });
    await delivered(ids.acmeOk, ids.acmeMsg, 'SUCCEEDED');
    await delivered(ids.acmeFailing, ids.acmeMsg, 'DEAD');
    await delivered(ids.acmePaused, ids.acmeMsg, 'DEAD');
    await delivered(ids.globex, ids.globexMsg, 'SUCCEEDED');
    // A webhook the validator cannot parse, whose body and headers carry the payloads → webhooks.dlq.
    const res = await fetch(`http://127.0.0.1:${services.get('ingress')!.port}/webhooks/gitlab-test`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-token': 'test-gitlab-token-local-only',
        'x-gitlab-event': `Push Hook ${XSS_ATTR}<img src=x onerror=alert(3)>`,
      },
      body: XSS,
    });
    assert.ok(res.status < 300, `ingress took the hostile webhook (${res.status})`);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    for (const name of [...ORDER].reverse()) await services.get(name)?.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('refuses a POST without the CSRF token and sets the cookie and security headers', async () => {
    const { ctx, page } = await session(browser);
    const res = await page.goto(`${base}/console/login`);
    const csp = res!.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'; script-src 'self'; style-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    await login(page, base, ADMIN_KEY);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'hookline_console');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/console');
    assert.equal(cookie.secure, false, 'http here: Secure only when served over https');
    assert.ok(cookie.expires > Date.now() / 1000 && cookie.expires < Date.now() / 1000 + 8 * 3600 + 60, 'it expires');
    // Same browser, valid session cookie, no token: refused, nothing paused.
    const forged = await page.request.post(`${base}/console/endpoints/${ids.acmeOk}/pause`, { form: { x: '1' } });
    assert.equal(forged.status(), 403);
    const wrong = await page.request.post(`${base}/console/endpoints/${ids.acmeOk}/pause`, { form: { _csrf: 'nope' } });
    assert.equal(wrong.status(), 403);
    assert.equal((await api('GET', `/v1/endpoints/${ids.acmeOk}`)).body.enabled, true);
    await ctx.close();
  });

  it('overview: the demo burst shows in the per-stage figures and the delivery success rate', async () => {
    const { ctx, page } = await session(browser);
    await login(page, base, ADMIN_KEY);
    // The overview shows the demo burst: webhooks through the ingress and delivered attempts.
    await eventually(
      async () => {
        await page.goto(`${base}/console`);
        const rate = await page.locator('#success-rate').textContent({ timeout: 2000 });
        return rate && /\d/.test(rate) ? rate : undefined;
      },
      60_000,
      'a delivery success rate on the overview',
    );
    await page.waitForSelector('.chart canvas');
    await assertAccessible(page, 'operator-overview');
    await shot(page, 'operator-overview');
    const perStage = page.locator('table', { has: page.locator('caption', { hasText: 'Per stage' }) });
    const ingress = await perStage.locator('tr', { has: page.locator('th', { hasText: 'ingress' }) }).innerText();
    const throughput = Number(ingress.split('\t')[1]);
    assert.ok(throughput > 0, `the ingress took the demo's webhooks: ${ingress}`);
    await ctx.close();
  });

  it('operator walk: sources, find a message by resource, retry, rotate, explorer, redrive, replay', async () => {
    const { ctx, page, dialogs, confirmNext } = await session(browser);
    await visit(page, `${base}/console/login`, 'operator-login');
    await login(page, base, ADMIN_KEY);
    await visit(page, `${base}/console/sources`, 'operator-sources');
    assert.ok(await page.getByRole('link', { name: 'stripe-test' }).isVisible());
    await visit(page, `${base}/console/sources/stripe-test`, 'operator-source');
    assert.match(await page.locator('#src-facts + dl').innerText(), /\/webhooks\/stripe-test/);
    await visit(page, `${base}/console/endpoints`, 'operator-endpoints');

    // Find the demo's delivered payment by its resource key, open it.
    const summaries = (await api('GET', `/v1/deliveries?endpointId=${demo.endpointId}`)).body.data as Json[];
    const paid = summaries.find((s) => s.status === 'SUCCEEDED' && String(s.eventType).startsWith('payment.'));
    assert.ok(paid, 'the demo delivered a payment');
    await page.goto(`${base}/console/deliveries`);
    await page.fill('#f-resource', String(paid.resourceKey));
    await Promise.all([page.waitForURL(/resourceKey=/), page.click('form.filters button[type=submit]')]);
    await assertAccessible(page, 'operator-deliveries');
    await assertNoSideScroll(page, 'operator-deliveries');
    await shot(page, 'operator-deliveries');
    await Promise.all([
      page.waitForURL(/\/console\/deliveries\/ep_/),
      page.click(`a[href*="${String(paid.messageId)}"]`),
    ]);
    await assertAccessible(page, 'operator-delivery');
    await shot(page, 'operator-delivery');
    assert.match(await page.locator('#msg-facts + dl').innerText(), /SUCCEEDED/);

    // Retry a failed delivery: a new attempt (trigger manual) appears.
    await page.goto(`${base}/console/deliveries/${ids.acmeFailing}/${ids.acmeMsg}`);
    await page.click('text=Retry this message');
    await page.waitForSelector('.flash');
    await eventually(
      async () => {
        await page.reload();
        const rows = await page.locator('tr.attempt').allInnerTexts();
        return rows.some((r) => /manual/.test(r) && /SUCCEEDED/.test(r)) ? true : undefined;
      },
      60_000,
      'the manual attempt on the page',
    );
    await shot(page, 'operator-delivery-retried');

    // Rotate an endpoint's secret: a new one is shown, the old one kept for the grace period.
    const before = (await api('GET', `/v1/endpoints/${ids.acmeOk}/secret`)).body.secret as string;
    await page.goto(`${base}/console/endpoints/${ids.acmeOk}`);
    await assertAccessible(page, 'operator-endpoint');
    confirmNext();
    await page.click('text=Rotate secret');
    await page.waitForSelector('#ep-secret');
    const shown = await page.locator('#ep-secret ~ p code').first().innerText();
    const after = (await api('GET', `/v1/endpoints/${ids.acmeOk}/secret`)).body as {
      secret: string;
      previous: { secret: string }[];
    };
    assert.notEqual(after.secret, before);
    assert.equal(shown, after.secret);
    assert.equal(after.previous[0]?.secret, before);
    await shot(page, 'operator-endpoint-rotated');
    assert.deepEqual(
      dialogs.filter((m) => !/Rotate/.test(m)),
      [],
      'no dialog but the rotate confirmation',
    );

    // Where is this webhook? The demo's payment by its resource key, with its path.
    await page.goto(`${base}/console/events`);
    await page.fill('#ev-q', String(paid.resourceKey));
    await Promise.all([page.waitForURL(/\/console\/events\?q=/), page.click('form.filters button[type=submit]')]);
    await page.waitForSelector('section.event', { timeout: 60_000 });
    // One event of the payment went all the way (raw → … → an attempt); the late one stopped as stale.
    const paths = await page.locator('section.event ol.path').allInnerTexts();
    const full = paths.find((p) =>
      ['raw', 'normalized', 'domain', 'outbound', 'attempt'].every((st) => p.includes(st)),
    );
    assert.ok(full, `a delivered event's whole path: ${paths.join('\n---\n')}`);
    assert.ok(
      paths.some((p) => p.includes('stale')),
      'and the late event, stale',
    );
    await assertAccessible(page, 'operator-events');
    await shot(page, 'operator-events');

    // Redrive a dead letter after its dry run: the paused endpoint's message in outbound.dlq.
    assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${ids.acmePaused}/resume`)).status, 200);
    await visit(page, `${base}/console/dead-letters?topic=outbound.dlq`, 'operator-dead-letters');
    await page.click('a[href*="/console/dead-letters/record"]');
    await page.waitForSelector('#dl-bytes');
    await assertAccessible(page, 'operator-dead-letter');
    await shot(page, 'operator-dead-letter');
    await page.click('text=Redrive this record');
    await page.waitForSelector('#dry-run-count');
    assert.equal(await page.locator('#dry-run-count').innerText(), '1');
    await assertAccessible(page, 'operator-redrive-dry-run');
    await shot(page, 'operator-redrive-dry-run');
    await page.click('text=Confirm: redrive');
    await page.waitForSelector('.flash');
    assert.match(await page.locator('.flash').innerText(), /Redriven: 1/);
    await delivered(ids.acmePaused, ids.acmeMsg, 'SUCCEEDED');

    // Replay: the dry run shows offsets per partition; confirming is refused while the group is active.
    await visit(page, `${base}/console/replay`, 'operator-replay');
    const group = await page.locator('#rp-group option', { hasText: '.dispatcher' }).first().getAttribute('value');
    assert.ok(group, 'the dispatcher group is listed');
    await page.selectOption('#rp-group', group);
    await page.fill('#rp-topic', 'outbound.events');
    await page.click('text=Dry run');
    await page.waitForSelector('#replay-plan');
    assert.ok((await page.locator('#replay-plan tbody tr').count()) > 0, 'a row per partition');
    await assertAccessible(page, 'operator-replay-dry-run');
    await shot(page, 'operator-replay-dry-run');
    const refused = await Promise.all([
      page.waitForResponse(/\/console\/replay$/),
      page.click('text=Confirm: move the offsets'),
    ]);
    assert.equal(refused[0].status(), 409);
    assert.match(await page.locator('[role=alert]').first().innerText(), /active/);
    await shot(page, 'operator-replay-refused');

    // An empty state and an error state, as a person sees them.
    await visit(page, `${base}/console/deliveries`, 'operator-deliveries-all');
    await assertNoSideScroll(page, 'operator-deliveries-all');
    await visit(page, `${base}/console/deliveries?eventType=nothing.matches`, 'operator-empty-state');
    assert.ok(await page.locator('.empty').isVisible());
    await visit(page, `${base}/console/deliveries?since=not-a-time`, 'operator-error-state', 400);
    assert.ok(await page.locator('[role=alert]').isVisible());
    await ctx.close();
  });

  it('tenant walk: only its own endpoints and deliveries; another tenant’s typed URL is not found', async () => {
    const issued = await api('POST', '/v1/tenants/acme/portal-token', {});
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const { ctx, page } = await session(browser);
    const res = await page.goto(`${base}/console/login?token=${encodeURIComponent(issued.body.token as string)}`);
    assert.equal(res?.status(), 200);
    assert.match(page.url(), /\/console\/endpoints$/);
    await assertAccessible(page, 'tenant-endpoints');
    await shot(page, 'tenant-endpoints');
    const text = await page.locator('main').innerText();
    for (const id of [ids.acmeOk, ids.acmeFailing, ids.acmePaused]) assert.match(text, new RegExp(id));
    assert.doesNotMatch(text, new RegExp(ids.globex));
    assert.equal(await page.locator('nav a', { hasText: 'Dead letters' }).count(), 0, 'no operator pages in the nav');
    await visit(page, `${base}/console/endpoints/${ids.acmeOk}`, 'tenant-endpoint');
    await visit(page, `${base}/console/deliveries`, 'tenant-deliveries');
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(ids.globexMsg));
    await visit(page, `${base}/console/deliveries/${ids.acmeOk}/${ids.acmeMsg}`, 'tenant-delivery');
    // Typed by hand: globex's message, endpoint; operator pages.
    await visit(page, `${base}/console/deliveries/${ids.globex}/${ids.globexMsg}`, 'tenant-other-tenant-404', 404);
    assert.doesNotMatch(await page.content(), /globex only/);
    for (const p of [
      `/console/endpoints/${ids.globex}`,
      '/console/dead-letters',
      '/console/sources',
      '/console/replay',
    ])
      assert.equal((await page.goto(`${base}${p}`))?.status(), 404, p);
    assert.equal((await page.goto(`${base}/console`))?.url(), `${base}/console/endpoints`, 'no pipeline overview');
    await ctx.close();
  });

  it('shows webhook and receiver values escaped: no dialog, no injected element', async () => {
    const { ctx, page, dialogs } = await session(browser);
    await login(page, base, ADMIN_KEY);
    const pages = [
      `/console/deliveries/${ids.acmeOk}/${ids.acmeMsg}`,
      `/console/deliveries?endpointId=${ids.acmeOk}`,
      `/console/dead-letters?topic=webhooks.dlq`,
    ];
    const dead = await api('GET', '/v1/dead-letters?topic=webhooks.dlq');
    const record = (dead.body.data as Json[] | undefined)?.find((x) => x.source === 'gitlab-test');
    assert.ok(record, 'the hostile webhook is in webhooks.dlq');
    const recordPage = `/console/dead-letters/record?topic=webhooks.dlq&id=${encodeURIComponent(String(record.id))}`;
    pages.push(recordPage);
    if (typeof record.traceId === 'string') pages.push(`/console/events?q=${record.traceId}`);
    for (const p of pages) {
      await page.goto(`${base}${p}`);
      await page.waitForLoadState('load');
      assert.equal(await page.evaluate('window.__xss'), undefined, p);
      assert.equal(await page.locator('main script, main img, main svg').count(), 0, `${p}: no injected element`);
    }
    // The payload is visible as text on the delivery page.
    await page.goto(`${base}${pages[0]!}`);
    assert.ok((await page.locator('main').innerText()).includes(`<script>window.__xss=1;alert('xss')</script>`));
    await page.goto(`${base}${recordPage}`);
    const shown = await page.locator('main').innerText();
    assert.ok(shown.includes(XSS), 'the dead letter shows the original bytes as text');
    assert.ok(shown.includes('onerror=alert(3)'), 'and the hostile header');
    await shot(page, 'operator-dead-letter-hostile');
    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
});
