/**
 * The endpoint page's actions and state in a real browser, on the real stack with only the two
 * services they need (admin → outbound.events → dispatcher → outbound.attempts → admin): "send a
 * test message" (delivered, signed, to that endpoint only; its result shown), the circuit breaker
 * opening on a failing endpoint as the admin API and the console show it, the delivery log fitting
 * a 1,280 px window with long values, and a tenant key made by API logging in to its tenant view.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { receiver, type Receiver } from '../dispatcher/helpers.ts';
import { createRedis } from '../../services/common/redis.ts';
import { eventually, provision, stackConfig, uniquePrefix } from '../helpers/env.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/services.ts';
import { assertAccessible, assertNoSideScroll, launch, login, session, shot, visit } from './browser.ts';

const prefix = uniquePrefix('console-ep');
const ADMIN_KEY = 'console-ep-admin-key-0123456789';
const env = {
  ADMIN_API_KEYS: `${ADMIN_KEY}:*`,
  ADMIN_ALLOW_HTTP: 'true',
  DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  // Two attempts per message, then DEAD; 5 consecutive failures open a breaker (the default).
  DISPATCHER_RETRY_SCHEDULE: '0,1s',
  // Long enough for the open breaker to be seen (and a test message deferred) before it half-opens.
  DISPATCHER_BREAKER_OPEN_MS: '120000',
  REDIS_KEY_PREFIX: `hookline-test:${prefix}`,
};
/** A resource id as long as the API allows: the delivery log must wrap it, not scroll. */
const LONG_RESOURCE = `order-${'x'.repeat(120)}-${'0123456789'.repeat(8)}`;

type Json = Record<string, unknown>;
const services: ServiceProcess[] = [];
const receivers: Receiver[] = [];
let base: string;
let browser: Browser;
let okReceiver: Receiver;
let brokenId = '';
const redis = createRedis(stackConfig.REDIS_URL);
const ids = { acmeOk: '', acmePaused: '', globex: '' };

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

async function endpoint(tenant: string, r: Receiver): Promise<string> {
  receivers.push(r);
  const res = await api('POST', `/v1/tenants/${tenant}/endpoints`, { url: r.url, eventTypes: ['invoice.*'] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  r.secrets = [res.body.secret as string];
  return res.body.id as string;
}

async function delivered(endpointId: string, messageId: string, status: string): Promise<Json> {
  return eventually(
    async () => {
      const r = await api('GET', `/v1/endpoints/${endpointId}/messages/${messageId}`);
      return r.status === 200 && r.body.status === status ? r.body : undefined;
    },
    60_000,
    `message ${messageId} logged at ${endpointId} as ${status}`,
  );
}

describe('console: endpoint actions, breaker state, delivery log width, tenant key login', () => {
  before(async () => {
    await provision(prefix);
    await redis.connect();
    for (const name of ['admin', 'dispatcher']) services.push(await startServiceProcess(name, prefix, env));
    base = `http://127.0.0.1:${services[0]!.port}`;
    for (const id of ['acme', 'globex']) assert.equal((await api('POST', '/v1/tenants', { id })).status, 201);
    assert.equal((await api('PUT', '/v1/event-types/invoice.paid', {})).status, 200);
    okReceiver = await receiver(() => ({ status: 200 }));
    ids.acmeOk = await endpoint('acme', okReceiver);
    ids.acmePaused = await endpoint('acme', await receiver(() => ({ status: 200 })));
    ids.globex = await endpoint('globex', await receiver(() => ({ status: 200 })));
    await new Promise((r) => setTimeout(r, 500)); // the dispatcher's endpoint cache hears of them
    const pub = await api('POST', '/v1/tenants/acme/messages', {
      eventType: 'invoice.paid',
      resourceId: LONG_RESOURCE,
      payload: { id: 'inv_long' },
    });
    assert.equal(pub.status, 202, JSON.stringify(pub.body));
    await delivered(ids.acmeOk, pub.body.messageId as string, 'SUCCEEDED');
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    for (const s of [...services].reverse()) await s.stop();
    await Promise.all(receivers.map((r) => r.close()));
    redis.disconnect();
  });

  it('endpoint page: a test message to that endpoint only, its result, and the breaker opening', async () => {
    // A broken endpoint no publish reaches (its event types match nothing published here).
    const brokenRx = await receiver(() => ({ status: 500, body: 'test receiver down' }));
    receivers.push(brokenRx);
    const made = await api('POST', '/v1/tenants/acme/endpoints', { url: brokenRx.url, eventTypes: ['never.*'] });
    assert.equal(made.status, 201);
    const broken = made.body.id as string;
    assert.deepEqual(made.body.breaker, { state: 'closed', since: null, until: null, instances: 0 });
    const okRx = okReceiver;
    await new Promise((r) => setTimeout(r, 500)); // the dispatcher's endpoint cache hears of it

    const { ctx, page, dialogs } = await session(browser);
    await login(page, base, ADMIN_KEY);
    await page.goto(`${base}/console/endpoints/${ids.acmeOk}`);
    await page.click('text=Send test message');
    await page.waitForSelector('#ep-test');
    assert.match(await page.locator('#ep-test + p').innerText(), /SUCCEEDED attempt 1: HTTP 200/);
    await assertAccessible(page, 'operator-endpoint-test');
    await shot(page, 'operator-endpoint-test');
    // Delivered to that endpoint only, signed like any other message.
    const got = okRx.got.at(-1)!;
    assert.equal(got.json.type, 'hookline.test');
    assert.ok(got.verifiedBy.length > 0, 'signed with the endpoint secret');
    const testId = got.id;
    for (const r of receivers)
      if (r !== okRx) assert.ok(!r.got.some((m) => m.id === testId), 'no other endpoint got the test message');
    const logged = await delivered(ids.acmeOk, testId, 'SUCCEEDED');
    assert.equal((logged.attemptLog as Json[])[0]?.trigger, 'test');
    // Another tenant's endpoint answers 404, a paused one 409.
    const acmeKey = await api('POST', '/v1/tenants/acme/api-keys', { scopes: ['endpoints:write'], name: 't' });
    const key = acmeKey.body.key as string;
    assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${ids.globex}/test`, undefined, key)).status, 404);
    assert.equal((await api('POST', `/v1/tenants/globex/endpoints/${ids.globex}/test`, undefined, key)).status, 404);
    assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${ids.acmePaused}/pause`)).status, 200);
    assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${ids.acmePaused}/test`)).status, 409);
    // A tenant's test messages count in its publish rate.
    const slow = await api('POST', '/v1/tenants', { id: 'slowco', limits: { publishPerSecond: 1 } });
    assert.equal(slow.status, 201, JSON.stringify(slow.body));
    const slowEp = await endpoint('slowco', await receiver(() => ({ status: 200 })));
    const twice = [];
    for (let i = 0; i < 2; i++) twice.push(await api('POST', `/v1/tenants/slowco/endpoints/${slowEp}/test`));
    assert.deepEqual(
      twice.map((r) => r.status),
      [202, 429],
    );

    // The broken endpoint: the button shows the failure; more test messages open its breaker
    // (5 consecutive failures; each test message gets two attempts here).
    await page.goto(`${base}/console/endpoints/${broken}`);
    await page.click('text=Send test message');
    await page.waitForSelector('#ep-test');
    assert.match(await page.locator('#ep-test + p').innerText(), /(FAILED|DEAD) attempt \d: HTTP 500/);
    await shot(page, 'operator-endpoint-test-failed');
    for (let i = 0; i < 2; i++)
      assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${broken}/test`)).status, 202);
    const open = await eventually(
      async () => {
        const r = await api('GET', `/v1/tenants/acme/endpoints/${broken}`);
        const b = r.body.breaker as { state: string; until: string; instances: number };
        return b.state === 'open' ? b : undefined;
      },
      60_000,
      'the breaker of the broken endpoint reported open',
    );
    assert.equal(open.instances, 1);
    assert.ok(Date.parse(open.until) > Date.now(), 'open until a time to come');
    // The dispatcher's report: one field (this one instance), a key that expires by itself.
    const breakerKey = `${env.REDIS_KEY_PREFIX}ep:breaker:${broken}`;
    assert.equal(Object.keys(await redis.hgetall(breakerKey)).length, 1);
    const ttl = await redis.pttl(breakerKey);
    assert.ok(ttl > 0 && ttl <= 120_000 + 5 * 60_000, `the key expires (PTTL ${ttl} ms)`);
    brokenId = broken;
    const listed = (await api('GET', '/v1/endpoints?limit=250')).body.data as Json[];
    assert.equal((listed.find((e) => e.id === broken)?.breaker as Json).state, 'open', 'the list shows it too');
    await visit(page, `${base}/console/endpoints/${broken}`, 'operator-endpoint-breaker-open');
    assert.match(await page.locator('#ep-facts + dl').innerText(), /Breaker\s+open\s+until/);
    // While it is open a test message is deferred, not attempted: the page says so.
    await page.click('text=Send test message');
    await page.waitForSelector('#ep-test');
    assert.match(await page.locator('#ep-test + p').innerText(), /no attempt logged/);
    await shot(page, 'operator-endpoint-test-deferred');
    await visit(page, `${base}/console/endpoints`, 'operator-endpoints-breaker');
    const row = await page.locator('tr', { has: page.locator(`a[href$="${broken}"]`) }).innerText();
    assert.match(row, /open/);
    // The delivery log fits a 1,280 px window: its last column is not behind a horizontal scroll.
    for (const [url, name] of [
      [`/console/deliveries`, 'operator-deliveries-long-values'],
      [`/console/deliveries?endpointId=${broken}`, 'operator-deliveries-failing'],
    ] as const) {
      await visit(page, `${base}${url}`, name);
      await assertNoSideScroll(page, name);
      const last = await page.getByRole('columnheader', { name: 'Last result' }).boundingBox();
      assert.ok(last && last.x + last.width <= 1280, `${name}: the last column is inside the window`);
    }
    assert.deepEqual(dialogs, []);
    await ctx.close();
    assert.equal((await api('POST', `/v1/tenants/acme/endpoints/${ids.acmePaused}/resume`)).status, 200);
  });

  it('tenant key from /v1/tenants/{id}/api-keys logs in to its tenant view', async () => {
    const made = await api('POST', '/v1/tenants/acme/api-keys', {
      scopes: ['endpoints:read', 'endpoints:write', 'deliveries:read', 'deliveries:retry'],
      name: 'console',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { ctx, page } = await session(browser);
    await login(page, base, made.body.key as string);
    assert.match(page.url(), /\/console\/endpoints$/);
    assert.match(await page.locator('.who').innerText(), /Tenant acme/);
    await assertAccessible(page, 'tenant-key-endpoints');
    await shot(page, 'tenant-key-endpoints');
    const text = await page.locator('main').innerText();
    assert.match(text, new RegExp(ids.acmeOk));
    assert.doesNotMatch(text, new RegExp(ids.globex));
    assert.equal((await page.goto(`${base}/console/endpoints/${ids.globex}`))?.status(), 404);
    assert.equal((await page.goto(`${base}/console/sources`))?.status(), 404);
    // Revoked: the next page is refused (the session calls the API with the key).
    assert.equal((await api('DELETE', `/v1/tenants/acme/api-keys/${made.body.id as string}`)).status, 204);
    assert.equal((await page.goto(`${base}/console/endpoints`))?.status(), 401);
    await ctx.close();
  });

  it('a dispatcher stopped cleanly takes its breaker reports with it', async () => {
    assert.ok(brokenId, 'the breaker test ran first');
    assert.equal(await services[1]!.stop(), 0);
    assert.equal(await redis.exists(`${env.REDIS_KEY_PREFIX}ep:breaker:${brokenId}`), 0);
    const r = await api('GET', `/v1/tenants/acme/endpoints/${brokenId}`);
    assert.equal((r.body.breaker as Json).state, 'closed');
  });
});
