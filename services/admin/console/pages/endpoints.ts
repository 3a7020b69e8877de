/**
 * /console/endpoints and /console/endpoints/{id}: status, recent success rate, breaker state,
 * disabled reason; pause/resume, rotate secret (the new secret shown once), show secret, recover
 * since a time, send a test message (its first attempt shown when it lands within a few seconds).
 * Tenants see only their own endpoints: the API (tenant-scoped) answers 404 for any other id.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, field, render, type ConsoleEnv, type Ctx, type PageDeps } from '../context.ts';
import {
  badge,
  codeBlock,
  csrfField,
  empty,
  errorBox,
  pct,
  statusBadge,
  time,
  trunc,
  withQuery,
  type Html,
} from '../layout.ts';
import type { Session } from '../session.ts';

export interface EndpointView {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  eventTypes: string[];
  headers: Record<string, string>;
  rateLimitPerSecond: number | null;
  enabled: boolean;
  disabledReason: string | null;
  breaker: { state: 'closed' | 'open' | 'half_open'; since: string | null; until: string | null; instances: number };
  createdAt: string;
  updatedAt: string;
}
interface Summary {
  status: string;
}
interface TestDelivery {
  status: string;
  attemptLog: { outcome: string; statusCode: number | null; durationMs: number; error: string | null }[];
}
interface Secrets {
  secret: string;
  previous: { secret: string; expiresAt: string }[];
}

export function stateBadge(ep: EndpointView): Html {
  if (ep.enabled) return badge('active', 'ok');
  return ep.disabledReason === 'paused' ? badge('paused', 'warn') : badge('disabled', 'bad');
}

export function breakerBadge(b: EndpointView['breaker']): Html {
  if (b.state === 'closed') return badge('closed', 'ok');
  return b.state === 'open' ? badge('open', 'bad') : badge('half-open', 'warn');
}

/** The breaker's detail: until when, since when, on how many dispatcher instances. */
function breakerDetail(b: EndpointView['breaker']): Html {
  if (b.state === 'closed') return html``;
  const n = `${b.instances} dispatcher instance${b.instances === 1 ? '' : 's'}`;
  return b.state === 'open'
    ? html`<span class="muted">until ${time(b.until)}, open since ${time(b.since)} (${n})</span>`
    : html`<span class="muted">the next delivery probes it; opened ${time(b.since)} (${n})</span>`;
}

/** How long the test-message action waits for the first attempt to reach the delivery log. */
const TEST_WAIT_MS = 8000;

async function successRate(d: PageDeps, s: Session, id: string): Promise<{ rate: number | null; n: number }> {
  const r = await d.api.scoped<{ data: Summary[] }>(
    s,
    'GET',
    `/deliveries?endpointId=${encodeURIComponent(id)}&limit=100`,
  );
  if (!r.ok || r.data.data.length === 0) return { rate: null, n: 0 };
  const ok = r.data.data.filter((m) => m.status === 'SUCCEEDED').length;
  return { rate: ok / r.data.data.length, n: r.data.data.length };
}

const NAV = '/console/endpoints';

export function endpointPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/endpoints', async (c) => {
    const s = c.get('session');
    const cursor = c.req.query('cursor');
    const r = await d.api.scoped<{ data: EndpointView[]; nextCursor: string | null }>(
      s,
      'GET',
      withQuery('/endpoints', { limit: '50', cursor }),
    );
    if (!r.ok) return failure(c, 'Endpoints', r, NAV);
    const rates = await Promise.all(r.data.data.map((ep) => successRate(d, s, ep.id)));
    const body = r.data.data.length
      ? html`<div class="table-wrap">
            <table>
              <caption>
                Endpoints (success rate over each endpoint's last 100 messages)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  ${s.kind === 'operator' ? html`<th scope="col">Tenant</th>` : ''}
                  <th scope="col">URL</th>
                  <th scope="col">Status</th>
                  <th scope="col">Success</th>
                  <th scope="col">Breaker</th>
                  <th scope="col">Event types</th>
                </tr>
              </thead>
              <tbody>
                ${r.data.data.map(
                  (ep, i) =>
                    html`<tr>
                      <td><a href="/console/endpoints/${encodeURIComponent(ep.id)}">${ep.id}</a></td>
                      ${s.kind === 'operator' ? html`<td>${ep.tenantId}</td>` : ''}
                      <td>${trunc(ep.url, 56)}</td>
                      <td>
                        ${stateBadge(ep)}
                        ${ep.enabled || ep.disabledReason === 'paused' ? '' : trunc(ep.disabledReason, 32)}
                      </td>
                      <td>${pct(rates[i]?.rate)}</td>
                      <td>${breakerBadge(ep.breaker)}</td>
                      <td>${trunc(ep.eventTypes.join(', ') || '*', 40)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          ${
            r.data.nextCursor
              ? html`<p><a href="${withQuery(NAV, { cursor: r.data.nextCursor })}">Next page →</a></p>`
              : ''
          }`
      : empty(
          s.kind === 'operator'
            ? 'No endpoints yet. Create one with POST /v1/tenants/{tenantId}/endpoints (see the admin README).'
            : 'You have no endpoints yet.',
        );
    return render(c, { title: 'Endpoints', nav: NAV }, body);
  });

  app.get('/endpoints/:id', async (c) => show(c, d));

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/endpoints/:id/${action}`, async (c) => {
      const id = c.req.param('id');
      const r = await d.api.scoped(c.get('session'), 'POST', `/endpoints/${encodeURIComponent(id)}/${action}`);
      if (!r.ok) return failure(c, 'Endpoint', r, NAV);
      return show(c, d, action === 'pause' ? 'Endpoint paused.' : 'Endpoint resumed.');
    });
  }

  app.post('/endpoints/:id/rotate', async (c) => {
    const id = c.req.param('id');
    const grace = Number(field(c, 'graceSeconds') || '86400');
    const r = await d.api.scoped<Secrets>(
      c.get('session'),
      'POST',
      `/endpoints/${encodeURIComponent(id)}/secret/rotate`,
      {
        graceSeconds: Number.isFinite(grace) ? grace : 86400,
      },
    );
    if (!r.ok) return failure(c, 'Endpoint', r, NAV);
    return show(c, d, 'Secret rotated. The previous secret keeps signing until its expiry.', r.data);
  });

  app.post('/endpoints/:id/secret', async (c) => {
    const id = c.req.param('id');
    const r = await d.api.scoped<Secrets>(c.get('session'), 'GET', `/endpoints/${encodeURIComponent(id)}/secret`);
    if (!r.ok) return failure(c, 'Endpoint', r, NAV);
    return show(c, d, undefined, r.data);
  });

  app.post('/endpoints/:id/test', async (c) => {
    const s = c.get('session');
    const id = encodeURIComponent(c.req.param('id'));
    const r = await d.api.scoped<{ messageId: string }>(s, 'POST', `/endpoints/${id}/test`);
    if (!r.ok) return show(c, d, undefined, undefined, errorBox('Test message not sent', r.message));
    const { messageId } = r.data;
    // The dispatcher delivers it and the admin logs the attempt: usually within a second or two.
    const deadline = Date.now() + TEST_WAIT_MS;
    let got: TestDelivery | undefined;
    while (!got && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 250));
      const q = await d.api.scoped<TestDelivery>(
        s,
        'GET',
        `/endpoints/${id}/messages/${encodeURIComponent(messageId)}`,
      );
      if (q.ok && q.data.attemptLog.length > 0) got = q.data;
    }
    return show(c, d, undefined, undefined, testResult(c.req.param('id'), messageId, got));
  });

  app.post('/endpoints/:id/recover', async (c) => {
    const id = c.req.param('id');
    const since = new Date(field(c, 'since'));
    if (Number.isNaN(since.getTime()))
      return show(c, d, undefined, undefined, errorBox('Recover', 'Give the time to recover from.'));
    const r = await d.api.scoped<{ queued: number; truncated: boolean }>(
      c.get('session'),
      'POST',
      `/endpoints/${encodeURIComponent(id)}/recover`,
      { since: since.toISOString() },
    );
    if (!r.ok) return show(c, d, undefined, undefined, errorBox('Recover refused', r.message));
    const more = r.data.truncated ? ' (more remain: recover again)' : '';
    return show(c, d, `${r.data.queued} failed message(s) queued for redelivery${more}.`);
  });
}

function testResult(ep: string, messageId: string, got: TestDelivery | undefined): Html {
  const link = `/console/deliveries/${encodeURIComponent(ep)}/${encodeURIComponent(messageId)}`;
  const a = got?.attemptLog.at(-1);
  const what = !a
    ? html`<p>
        Queued as <code>${messageId}</code>; no attempt logged within ${TEST_WAIT_MS / 1000} s (an open breaker or a
        rate limit defers it).
        <a href="${withQuery('/console/deliveries', { endpointId: ep, messageId })}">Follow it in the delivery log →</a>
      </p>`
    : html`<p>
        ${statusBadge(got?.status ?? a.outcome)} attempt ${got?.attemptLog.length ?? 1}:
        ${a.statusCode === null ? html`<span class="wrap">${a.error ?? 'no answer'}</span>` : html`HTTP ${a.statusCode}`}
        in ${a.durationMs} ms. <a href="${link}">Message <code>${messageId}</code> in the delivery log →</a>
      </p>`;
  return html`<section class="card" aria-labelledby="ep-test" role="status">
    <h2 id="ep-test">Test message</h2>
    ${what}
  </section>`;
}

async function show(c: Ctx, d: PageDeps, flash?: string, secrets?: Secrets, problem?: Html) {
  const s = c.get('session');
  const id = c.req.param('id') ?? '';
  const r = await d.api.scoped<EndpointView>(s, 'GET', `/endpoints/${encodeURIComponent(id)}`);
  if (!r.ok) return failure(c, 'Endpoint', r, NAV);
  const ep = r.data;
  const rate = await successRate(d, s, ep.id);
  const enc = encodeURIComponent(ep.id);
  const hourAgo = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
  const body = html`${problem ?? ''}
    <section class="card" aria-labelledby="ep-facts">
      <h2 id="ep-facts">${ep.id}</h2>
      <dl class="facts">
        <dt>URL</dt>
        <dd class="wrap">${ep.url}</dd>
        ${
          s.kind === 'operator'
            ? html`<dt>Tenant</dt>
                <dd>${ep.tenantId}</dd>`
            : ''
        }
        <dt>Status</dt>
        <dd>${stateBadge(ep)} ${ep.enabled ? '' : html`<span class="wrap">${ep.disabledReason ?? ''}</span>`}</dd>
        <dt>Breaker</dt>
        <dd>${breakerBadge(ep.breaker)} ${breakerDetail(ep.breaker)}</dd>
        <dt>Success rate</dt>
        <dd>${pct(rate.rate)} <span class="muted">of the last ${rate.n} message(s)</span></dd>
        <dt>Description</dt>
        <dd class="wrap">${ep.description || '—'}</dd>
        <dt>Event types</dt>
        <dd class="wrap">${ep.eventTypes.join(', ') || '* (all)'}</dd>
        <dt>Rate limit</dt>
        <dd>${ep.rateLimitPerSecond === null ? 'none' : `${ep.rateLimitPerSecond}/s`}</dd>
        <dt>Created</dt>
        <dd>${time(ep.createdAt)}</dd>
      </dl>
      <p><a href="${withQuery('/console/deliveries', { endpointId: ep.id })}">Deliveries to this endpoint →</a></p>
    </section>
    ${
      secrets
        ? html`<section class="card" aria-labelledby="ep-secret">
            <h2 id="ep-secret">Signing secret</h2>
            <p>Current: <code class="wrap secret">${secrets.secret}</code></p>
            ${secrets.previous.map(
              (p) =>
                html`<p>Previous, valid until ${time(p.expiresAt)}: <code class="wrap secret">${p.secret}</code></p>`,
            )}
          </section>`
        : ''
    }
    <section class="card actions" aria-labelledby="ep-actions">
      <h2 id="ep-actions">Actions</h2>
      <form method="post" action="/console/endpoints/${enc}/${ep.enabled ? 'pause' : 'resume'}">
        ${csrfField(s)}<button type="submit">${ep.enabled ? 'Pause' : 'Resume'}</button>
      </form>
      <form method="post" action="/console/endpoints/${enc}/test">
        ${csrfField(s)}<button type="submit" class="secondary">Send test message</button>
      </form>
      <form method="post" action="/console/endpoints/${enc}/secret">
        ${csrfField(s)}<button type="submit" class="secondary">Show secret</button>
      </form>
      <form method="post" action="/console/endpoints/${enc}/rotate" data-confirm="Rotate this endpoint's secret?">
        ${csrfField(s)}
        <label for="grace">Old secret valid for</label>
        <select id="grace" name="graceSeconds">
          <option value="86400">24 hours</option>
          <option value="3600">1 hour</option>
          <option value="0">0 (stop now)</option>
        </select>
        <button type="submit">Rotate secret</button>
      </form>
      <form
        method="post"
        action="/console/endpoints/${enc}/recover"
        data-confirm="Re-send every failed message since then?"
      >
        ${csrfField(s)}
        <label for="since">Recover failed since (UTC)</label>
        <input id="since" name="since" type="datetime-local" value="${hourAgo}" />
        <button type="submit">Recover</button>
      </form>
    </section>
    <details class="card">
      <summary>Custom headers</summary>
      ${codeBlock(ep.headers, 'Custom headers')}
    </details>`;
  return render(c, { title: 'Endpoint', nav: NAV, flash }, body);
}
