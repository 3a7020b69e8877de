/**
 * /console/events?q=… (operators only): "where is this webhook?" — find an event by event id,
 * provider delivery id, resource key or trace id (GET /v1/events/search) and show each match's path
 * with timestamps: raw → normalized → domain topic (or stale / DLQ) → outbound → each attempt.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, notFoundPage, render, type ConsoleEnv, type PageDeps } from '../context.ts';
import { badge, empty, time, trunc, withQuery, type Html } from '../layout.ts';
import { unavailable } from './dead-letters.ts';

const NAV = '/console/events';
const KINDS = ['', 'event', 'delivery', 'resource', 'trace'];

interface Step {
  stage: string;
  topic: string | null;
  partition: number | null;
  offset: string | null;
  at: string;
  read: boolean;
  detail: Record<string, unknown>;
}
interface Found {
  eventId: string;
  eventType: string | null;
  sourceId: string | null;
  resourceKey: string | null;
  deliveryId: string | null;
  traceId: string | null;
  traceUrl: string | null;
  outcome: string;
  path: Step[];
}
interface Result {
  kind: string;
  since: string;
  until: string;
  scanned: number;
  truncated: boolean;
  events: Found[];
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function step(s: Step): Html {
  const where =
    s.topic === null
      ? ''
      : `${s.topic}${s.partition === null ? '' : ` [${s.partition}]`}${s.offset === null ? '' : ` @${s.offset}`}`;
  const details = Object.entries(s.detail).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return html`<li>
    <strong>${s.stage}</strong> ${time(s.at)} <span class="muted mono">${where}</span>
    ${s.read ? '' : html`<span class="muted">(known from a later record)</span>`}
    ${
      details.length
        ? html`<div class="muted">${details.map(([k, v]) => html`<span>${k}: ${trunc(show(v), 80)}</span> `)}</div>`
        : ''
    }
  </li>`;
}

function found(e: Found): Html {
  const tone = /deliver|succeed/i.test(e.outcome) ? 'ok' : /dlq|dead|stale|fail/i.test(e.outcome) ? 'bad' : 'muted';
  return html`<section class="card event" aria-label="Event ${e.eventId}">
    <h2 class="wrap">${e.eventId} ${badge(e.outcome, tone)}</h2>
    <dl class="facts">
      <dt>Type</dt>
      <dd class="wrap">${e.eventType ?? '—'}</dd>
      <dt>Source</dt>
      <dd>
        ${e.sourceId ? html`<a href="/console/sources/${encodeURIComponent(e.sourceId)}">${e.sourceId}</a>` : '—'}
      </dd>
      <dt>Resource</dt>
      <dd class="wrap">${e.resourceKey ?? '—'}</dd>
      <dt>Provider delivery id</dt>
      <dd class="wrap">${e.deliveryId ?? '—'}</dd>
      <dt>Trace</dt>
      <dd class="wrap">
        ${
          e.traceId === null
            ? '—'
            : e.traceUrl && /^https?:\/\//.test(e.traceUrl)
              ? html`<a href="${e.traceUrl}" rel="noreferrer">${e.traceId}</a>`
              : html`<span class="mono">${e.traceId}</span>`
        }
      </dd>
    </dl>
    <h3>Path</h3>
    <ol class="path">
      ${e.path.map(step)}
    </ol>
  </section>`;
}

export function eventPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/events', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const q = c.req.query('q')?.trim() ?? '';
    const kind = c.req.query('kind') ?? '';
    const form = html`<form method="get" action="/console/events" class="filters card">
      <div>
        <label for="ev-q">Event id, provider delivery id, resource key or trace id</label>
        <input id="ev-q" name="q" value="${q}" size="60" />
      </div>
      <div>
        <label for="ev-kind">Read it as</label>
        <select id="ev-kind" name="kind">
          ${KINDS.map((k) => html`<option value="${k}" ${k === kind ? html`selected` : ''}>${k || 'detect'}</option>`)}
        </select>
      </div>
      <div><button type="submit">Find</button></div>
    </form>`;
    if (!q)
      return render(
        c,
        { title: 'Event explorer', nav: NAV },
        html`${form}${empty('Search for an event to see its path.')}`,
      );
    const r = await d.api.call<Result>(
      c.get('session'),
      'GET',
      withQuery('/v1/events/search', { q, kind: kind || undefined }),
    );
    if (!r.ok) {
      if (r.status === 400)
        return render(
          c,
          { title: 'Event explorer', nav: NAV },
          html`${form}
            <div class="error" role="alert">
              <strong>Bad search</strong>
              <p>${r.message}</p>
            </div>`,
          400,
        );
      return unavailable(c, r) ?? failure(c, 'Event explorer', r, NAV);
    }
    const res = r.data;
    const summary = html`<p class="muted">
      Read as ${res.kind}; ${res.scanned} record(s) scanned from ${time(res.since)} to
      ${time(res.until)}${res.truncated ? html` — <strong>stopped early</strong>: narrow the search` : ''}.
    </p>`;
    const body = res.events.length
      ? html`${res.events.map(found)}`
      : empty(`No event found for “${q}” in this window.`);
    return render(c, { title: 'Event explorer', nav: NAV }, html`${form}${summary}${body}`);
  });
}
