/**
 * /console (operators; a tenant is sent to its endpoints): per stage, the last hour of throughput,
 * error rate and consumer lag (charts drawn by console.js with uPlot, the same numbers in a table),
 * DLQ depth and the delivery success rate, from GET /v1/overview (Prometheus or the admin's sampler).
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, render, type ConsoleEnv, type PageDeps } from '../context.ts';
import { empty, errorBox, pct, time, withQuery, type Html } from '../layout.ts';
import { unavailable } from './dead-letters.ts';

const NAV = '/console';

interface Point {
  t: string;
  v: number | null;
}
interface Stage {
  stage: string;
  throughput: Point[];
  errorRate: Point[];
  lag: Point[];
}
interface Overview {
  source: string;
  from: string;
  to: string;
  historyFrom: string;
  stages: Stage[];
  dlq: { topic: string; records: number }[];
  delivery: { attempts: number; succeeded: number; successRate: number | null };
}

const last = (ps: Point[]) => [...ps].reverse().find((p) => p.v !== null)?.v ?? null;
const mean = (ps: Point[]) => {
  const vs = ps.map((p) => p.v).filter((v): v is number => v !== null);
  return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
};
const num = (v: number | null, digits = 2) => (v === null ? '—' : String(Math.round(v * 10 ** digits) / 10 ** digits));

function chart(title: string, unit: string, stages: Stage[], pick: (s: Stage) => Point[], scale = 1): Html {
  const x = (stages[0] ? pick(stages[0]) : []).map((p) => Math.round(Date.parse(p.t) / 1000));
  const spec = {
    unit,
    x,
    series: stages.map((s) => ({ label: s.stage, values: pick(s).map((p) => (p.v === null ? null : p.v * scale)) })),
  };
  const id = `chart-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return html`<figure class="card" aria-labelledby="${id}">
    <figcaption id="${id}"><strong>${title}</strong></figcaption>
    <div
      class="chart"
      data-chart="${JSON.stringify(spec)}"
      role="img"
      aria-label="${title}, last hour, per stage"
    ></div>
  </figure>`;
}

export function overviewPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/', async (c) => {
    if (c.get('session').kind !== 'operator') return c.redirect('/console/endpoints', 303);
    const r = await d.api.call<Overview>(c.get('session'), 'GET', withQuery('/v1/overview', { minutes: '60' }));
    if (!r.ok) {
      if (r.status === 501 && r.code === 'not_configured')
        return render(c, { title: 'Overview', nav: NAV }, errorBox('No metrics source', r.message), 501);
      return unavailable(c, r) ?? failure(c, 'Overview', r, NAV);
    }
    const o = r.data;
    const dlqTotal = o.dlq.reduce((n, x) => n + x.records, 0);
    const tiles = html`<div class="tiles">
      <div class="tile">
        <div>Delivery success</div>
        <div class="v" id="success-rate">${pct(o.delivery.successRate)}</div>
        <div class="muted">${o.delivery.succeeded} of ${o.delivery.attempts} attempts</div>
      </div>
      <div class="tile">
        <div>Dead letters now</div>
        <div class="v">${dlqTotal}</div>
        <div class="muted"><a href="/console/dead-letters">see them</a></div>
      </div>
      <div class="tile">
        <div>Webhooks received</div>
        <div class="v">${num(mean(o.stages.find((s) => s.stage === 'ingress')?.throughput ?? []))}/s</div>
        <div class="muted">mean, last hour</div>
      </div>
      <div class="tile">
        <div>Figures from</div>
        <div class="v">${o.source}</div>
        <div class="muted">history since ${time(o.historyFrom)}</div>
      </div>
    </div>`;
    const table = html`<div class="table-wrap">
      <table>
        <caption>
          Per stage, last hour
        </caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Throughput (mean/s)</th>
            <th scope="col">Error rate (mean)</th>
            <th scope="col">Consumer lag now</th>
          </tr>
        </thead>
        <tbody>
          ${o.stages.map(
            (s) =>
              html`<tr>
                <th scope="row">${s.stage}</th>
                <td>${num(mean(s.throughput))}</td>
                <td>${pct(mean(s.errorRate))}</td>
                <td>${num(last(s.lag), 0)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
    const dlq = o.dlq.length
      ? html`<div class="table-wrap">
          <table>
            <caption>
              DLQ depth
            </caption>
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Records</th>
              </tr>
            </thead>
            <tbody>
              ${o.dlq.map(
                (x) =>
                  html`<tr>
                    <td><a href="${withQuery('/console/dead-letters', { topic: x.topic })}">${x.topic}</a></td>
                    <td>${x.records}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`
      : empty('No dead-letter figures yet.');
    const charts = html`<div class="grid">
      ${chart('Throughput', '/s', o.stages, (s) => s.throughput)}
      ${chart('Error rate', '%', o.stages, (s) => s.errorRate, 100)}
      ${chart('Consumer lag', '', o.stages, (s) => s.lag)}
    </div>`;
    return render(c, { title: 'Overview', nav: NAV, refresh: 30 }, html`${tiles}${charts}${table}${dlq}`);
  });
}
