/**
 * /console/deliveries (the delivery log with filters) and /console/deliveries/{endpointId}/{messageId}
 * (payload, every attempt with its response excerpt, retry one). Bulk recover is on the endpoint
 * page. A tenant filters by its own resource id; an operator by the full resource key.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, render, type ConsoleEnv, type Ctx, type PageDeps } from '../context.ts';
import { codeBlock, csrfField, empty, statusBadge, time, trunc, withQuery } from '../layout.ts';

interface Summary {
  endpointId: string;
  messageId: string;
  eventType: string;
  resourceKey: string;
  status: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}
interface Attempt {
  attempt: number;
  outcome: string;
  trigger: string;
  attemptedAt: string | null;
  durationMs: number;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
  nextAttemptAt: string | null;
  url: string;
}
interface Detail extends Summary {
  payload: unknown;
  attemptLog: Attempt[];
}

const NAV = '/console/deliveries';
const FILTERS = ['endpointId', 'status', 'eventType', 'resourceKey', 'resourceId', 'messageId', 'since', 'until'];

const parsePayload = (p: unknown): unknown => {
  if (typeof p !== 'string') return p;
  try {
    return JSON.parse(p);
  } catch {
    return p;
  }
};

export function deliveryPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/deliveries', async (c) => {
    const s = c.get('session');
    const q: Record<string, string | undefined> = {};
    for (const k of [...FILTERS, 'cursor']) {
      const v = c.req.query(k)?.trim();
      if (v) q[k] = k === 'since' || k === 'until' ? toIso(v) : v;
    }
    if (s.kind === 'tenant') delete q.resourceKey;
    else delete q.resourceId;
    const r = await d.api.scoped<{ data: Summary[]; nextCursor: string | null }>(
      s,
      'GET',
      withQuery('/deliveries', { ...q, limit: '50' }),
    );
    const resourceField = s.kind === 'tenant' ? 'resourceId' : 'resourceKey';
    const filters = html`<form method="get" action="/console/deliveries" class="filters card">
      <div>
        <label for="f-endpoint">Endpoint</label
        ><input id="f-endpoint" name="endpointId" value="${q.endpointId ?? ''}" placeholder="ep_…" />
      </div>
      <div>
        <label for="f-status">Status</label>
        <select id="f-status" name="status">
          ${['', 'SUCCEEDED', 'FAILED', 'DEAD', 'FAILED,DEAD'].map(
            (v) => html`<option value="${v}" ${q.status === v ? html`selected` : ''}>${v || 'any'}</option>`,
          )}
        </select>
      </div>
      <div>
        <label for="f-type">Event type</label><input id="f-type" name="eventType" value="${q.eventType ?? ''}" />
      </div>
      <div>
        <label for="f-resource">${s.kind === 'tenant' ? 'Resource id' : 'Resource key'}</label
        ><input id="f-resource" name="${resourceField}" value="${q[resourceField] ?? ''}" />
      </div>
      <div><label for="f-msg">Message id</label><input id="f-msg" name="messageId" value="${q.messageId ?? ''}" /></div>
      <div>
        <label for="f-since">Since (UTC)</label
        ><input id="f-since" name="since" value="${c.req.query('since') ?? ''}" placeholder="2025-01-31T12:00" />
      </div>
      <div><button type="submit">Filter</button> <a href="/console/deliveries">Clear</a></div>
    </form>`;
    if (!r.ok) {
      const res = failure(c, 'Deliveries', r, NAV);
      return r.status === 400
        ? render(c, { title: 'Deliveries', nav: NAV }, html`${filters}${bad(r.message)}`, 400)
        : res;
    }
    const rows = r.data.data;
    const table = rows.length
      ? html`<div class="table-wrap">
            <table class="log">
              <caption>
                Messages, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Message</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Event type</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last attempt</th>
                  <th scope="col">Last result</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (m) =>
                    html`<tr>
                      <td>
                        <a
                          href="/console/deliveries/${encodeURIComponent(m.endpointId)}/${encodeURIComponent(m.messageId)}"
                          >${trunc(m.messageId, 20)}</a
                        >
                      </td>
                      <td>${trunc(m.endpointId, 24)}</td>
                      <td class="cell-wrap">${trunc(m.eventType, 64)}</td>
                      <td class="cell-wrap">${trunc(m.resourceKey, 80)}</td>
                      <td>${statusBadge(m.status)}</td>
                      <td>${m.attempts}</td>
                      <td class="when">${time(m.lastAttemptAt)}</td>
                      <td class="cell-wrap">
                        ${m.lastStatusCode ?? ''}
                        ${m.lastError === `HTTP ${m.lastStatusCode}` ? '' : trunc(m.lastError, 80)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          ${
            r.data.nextCursor
              ? html`<p><a href="${withQuery(NAV, { ...q, cursor: r.data.nextCursor })}">Older →</a></p>`
              : ''
          }`
      : empty('No deliveries match these filters.');
    return render(c, { title: 'Deliveries', nav: NAV }, html`${filters}${table}`);
  });

  app.get('/deliveries/:endpointId/:messageId', (c) => detail(c, d));
  app.post('/deliveries/:endpointId/:messageId/retry', async (c) => {
    const { endpointId, messageId } = c.req.param();
    const r = await d.api.scoped(
      c.get('session'),
      'POST',
      `/endpoints/${encodeURIComponent(endpointId)}/messages/${encodeURIComponent(messageId)}/retry`,
    );
    if (!r.ok) return failure(c, 'Delivery', r, NAV);
    return detail(c, d, 'Retry queued: the new attempt appears below once the dispatcher has made it (reload).');
  });
}

const bad = (message: string) =>
  html`<div class="error" role="alert">
    <strong>Bad filter</strong>
    <p>${message}</p>
  </div>`;

/** "2025-01-31T12:00" (datetime-local, UTC) or any Date-parsable text → ISO; else as given (the API names it). */
function toIso(v: string): string {
  const t = new Date(/Z|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(t.getTime()) ? v : t.toISOString();
}

async function detail(c: Ctx, d: PageDeps, flash?: string) {
  const s = c.get('session');
  const { endpointId, messageId } = c.req.param() as { endpointId: string; messageId: string };
  const r = await d.api.scoped<Detail>(
    s,
    'GET',
    `/endpoints/${encodeURIComponent(endpointId)}/messages/${encodeURIComponent(messageId)}`,
  );
  if (!r.ok) return failure(c, 'Delivery', r, NAV);
  const m = r.data;
  const body = html`<section class="card" aria-labelledby="msg-facts">
      <h2 id="msg-facts" class="wrap">${m.messageId}</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>${statusBadge(m.status)}</dd>
        <dt>Endpoint</dt>
        <dd><a href="/console/endpoints/${encodeURIComponent(m.endpointId)}">${m.endpointId}</a></dd>
        <dt>Event type</dt>
        <dd class="wrap">${m.eventType}</dd>
        <dt>Resource</dt>
        <dd class="wrap">${m.resourceKey}</dd>
        <dt>Attempts</dt>
        <dd>${m.attempts}</dd>
        <dt>Next attempt</dt>
        <dd>${time(m.nextAttemptAt)}</dd>
      </dl>
      <form
        method="post"
        action="/console/deliveries/${encodeURIComponent(m.endpointId)}/${encodeURIComponent(m.messageId)}/retry"
      >
        ${csrfField(s)}<button type="submit">Retry this message</button>
      </form>
    </section>
    <section class="card" aria-labelledby="msg-attempts">
      <h2 id="msg-attempts">Attempts</h2>
      ${
        m.attemptLog.length
          ? html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">At</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">HTTP</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Response excerpt / error</th>
                  </tr>
                </thead>
                <tbody>
                  ${m.attemptLog.map(
                    (a) =>
                      html`<tr class="attempt">
                        <td>${a.attempt}</td>
                        <td>${time(a.attemptedAt)}</td>
                        <td>${a.trigger}</td>
                        <td>${statusBadge(a.outcome)}</td>
                        <td>${a.statusCode ?? '—'}</td>
                        <td>${a.durationMs} ms</td>
                        <td><pre class="excerpt">${a.responseExcerpt ?? ''}${a.error ? `\n${a.error}` : ''}</pre></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : empty('No attempts recorded yet.')
      }
    </section>
    <section class="card" aria-labelledby="msg-payload">
      <h2 id="msg-payload">Payload</h2>
      ${m.payload === null ? empty('The payload is past its retention.') : codeBlock(parsePayload(m.payload), 'Payload')}
    </section>`;
  return render(c, { title: 'Delivery', nav: NAV, flash }, body);
}
