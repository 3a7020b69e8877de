/**
 * The page shell and the small pieces every page uses. Everything is rendered with hono/html's
 * tagged template, which escapes every interpolated string (& < > " '): values that came from a
 * webhook are only ever interpolated, never passed through raw(). No inline script or style:
 * behaviour lives in /console/assets/console.js, looks in console.css (CSP script-src/style-src 'self').
 */
import { html } from 'hono/html';
import type { Session } from './session.ts';

export type Html = ReturnType<typeof html>;

export interface PageOpts {
  readonly title: string;
  readonly session?: Session | undefined;
  /** Path of the nav entry to mark as current. */
  readonly nav?: string;
  readonly flash?: string | undefined;
  /** Seconds between automatic reloads (console.js), e.g. on the overview. */
  readonly refresh?: number;
}

const OPERATOR_NAV: readonly [string, string][] = [
  ['/console', 'Overview'],
  ['/console/sources', 'Sources'],
  ['/console/events', 'Events'],
  ['/console/endpoints', 'Endpoints'],
  ['/console/deliveries', 'Deliveries'],
  ['/console/dead-letters', 'Dead letters'],
  ['/console/replay', 'Replay'],
];
const TENANT_NAV: readonly [string, string][] = [
  ['/console/endpoints', 'Endpoints'],
  ['/console/deliveries', 'Deliveries'],
];

export function page(o: PageOpts, body: Html): Html {
  const s = o.session;
  const nav = s ? (s.kind === 'operator' ? OPERATOR_NAV : TENANT_NAV) : [];
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · hookline console</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <link rel="stylesheet" href="/console/assets/uPlot.min.css" />
        <script src="/console/assets/uPlot.iife.min.js" defer></script>
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body data-refresh="${o.refresh ?? ''}">
        <header class="top">
          <a class="brand" href="${s?.kind === 'tenant' ? '/console/endpoints' : '/console'}">hookline</a>
          ${
            s
              ? html`<nav aria-label="Console">
                    <ul>
                      ${nav.map(
                        ([href, label]) =>
                          html`<li>
                            <a href="${href}" ${o.nav === href ? html`aria-current="page"` : ''}>${label}</a>
                          </li>`,
                      )}
                    </ul>
                  </nav>
                  <div class="who">
                    <span>${s.kind === 'operator' ? 'Operator' : `Tenant ${s.tenantId ?? ''}`} (${s.hint})</span>
                    <form method="post" action="/console/logout">
                      ${csrfField(s)}
                      <button type="submit" class="link">Log out</button>
                    </form>
                  </div>`
              : ''
          }
        </header>
        <main id="main">
          <h1>${o.title}</h1>
          ${o.flash ? html`<p class="flash" role="status">${o.flash}</p>` : ''} ${body}
        </main>
      </body>
    </html>`;
}

export const csrfField = (s: Session) => html`<input type="hidden" name="_csrf" value="${s.csrf}" />`;

/** A problem shown to a person: what happened and, where known, what to do. */
export const errorBox = (title: string, message: string) =>
  html`<div class="error" role="alert">
    <strong>${title}</strong>
    <p>${message}</p>
  </div>`;

export const empty = (text: string) => html`<p class="empty">${text}</p>`;

/** A long value cut to `max` characters, the whole of it in the title (and selectable). */
export function trunc(v: string | null | undefined, max = 48): Html {
  if (v === null || v === undefined || v === '') return html`<span class="muted">—</span>`;
  if (v.length <= max) return html`<span class="mono">${v}</span>`;
  return html`<span class="mono" title="${v}">${v.slice(0, max - 1)}…</span>`;
}

export function time(iso: string | number | null | undefined): Html {
  if (iso === null || iso === undefined) return html`<span class="muted">—</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`<span class="muted">—</span>`;
  const s = d.toISOString();
  return html`<time datetime="${s}">${s.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

export function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'muted'): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

export const statusBadge = (status: string) =>
  badge(status, status === 'SUCCEEDED' ? 'ok' : status === 'FAILED' ? 'warn' : status === 'DEAD' ? 'bad' : 'muted');

/** Pretty JSON (or the text as it is) in a scrollable, wrapping block. */
export function codeBlock(value: unknown, label: string): Html {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return html`<pre class="code" tabindex="0" aria-label="${label}">${text ?? 'null'}</pre>`;
}

export function pct(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : `${(n * 100).toFixed(1)} %`;
}

/** A link that keeps the query string a page was given (filters), with one value changed. */
export function withQuery(path: string, q: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}
