/**
 * /console/dead-letters?topic=… (operators only): the records of one dead-letter topic by reason
 * and source, one record with its full original bytes and headers, and redrive: always a dry run
 * first (the count and ids that would go), then a confirmation that redrives exactly those ids.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { TOPIC } from '../../../common/contracts/index.ts';
import { failure, field, notFoundPage, render, type ConsoleEnv, type Ctx, type PageDeps } from '../context.ts';
import { codeBlock, csrfField, empty, errorBox, time, trunc, withQuery } from '../layout.ts';

export const DLQ_TOPICS = [TOPIC.rawDlq, TOPIC.processorsDlq, TOPIC.outboundDlq] as const;
const NAV = '/console/dead-letters';

interface Dead {
  id: string;
  stage: string;
  reason: string;
  error: string;
  source: string | null;
  type: string | null;
  resourceKey: string | null;
  sourceTopic: string;
  attempts: number;
  time: string;
  bytes: number;
  excerpt: string | null;
  traceId: string | null;
}
interface DeadDetail extends Dead {
  headers: Record<string, string> | { key: string; value: string }[] | null;
  valueBase64: string | null;
  valueUtf8: string | null;
}
interface Redrive {
  matching: number;
  alreadyRedriven: number;
  wouldRedrive?: number;
  redriven?: number;
  ids: string[];
}

export function deadLetterPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/dead-letters', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const f = filters(c);
    const r = await d.api.call<{ data: Dead[]; total: number; nextCursor: string | null }>(
      c.get('session'),
      'GET',
      withQuery('/v1/dead-letters', { ...f, cursor: c.req.query('cursor'), limit: '50' }),
    );
    if (!r.ok) return unavailable(c, r) ?? failure(c, 'Dead letters', r, NAV);
    const rows = r.data.data;
    const s = c.get('session');
    const body = html`${filterForm(f)}
    ${
      rows.length
        ? html`<form method="post" action="/console/dead-letters/redrive" class="card actions">
              ${csrfField(s)} ${hidden(f)}
              <p>${r.data.total} record(s) in ${f.topic} match these filters.</p>
              <button type="submit">Redrive… (dry run first)</button>
            </form>
            <div class="table-wrap">
              <table>
                <caption>
                  ${f.topic}, oldest first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Record</th>
                    <th scope="col">Failed at</th>
                    <th scope="col">Stage</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Source</th>
                    <th scope="col">Type</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Bytes</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (x) =>
                      html`<tr>
                        <td>
                          <a href="${withQuery('/console/dead-letters/record', { topic: f.topic, id: x.id })}"
                            >${trunc(x.id, 36)}</a
                          >
                        </td>
                        <td>${time(x.time)}</td>
                        <td>${x.stage}</td>
                        <td>${trunc(x.reason, 32)}</td>
                        <td>${trunc(x.source, 24)}</td>
                        <td>${trunc(x.type, 28)}</td>
                        <td>${x.attempts}</td>
                        <td>${x.bytes}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${
              r.data.nextCursor
                ? html`<p><a href="${withQuery(NAV, { ...f, cursor: r.data.nextCursor })}">More →</a></p>`
                : ''
            }`
        : empty(`No dead letters in ${f.topic}${f.reason || f.source || f.type ? ' match these filters' : ''}.`)
    }`;
    return render(c, { title: 'Dead letters', nav: NAV }, body);
  });

  app.get('/dead-letters/record', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const topic = c.req.query('topic') ?? TOPIC.rawDlq;
    const id = c.req.query('id') ?? '';
    const r = await d.api.call<DeadDetail>(
      c.get('session'),
      'GET',
      withQuery(`/v1/dead-letters/${encodeURIComponent(id)}`, { topic }),
    );
    if (!r.ok) return unavailable(c, r) ?? failure(c, 'Dead letter', r, NAV);
    const x = r.data;
    const headers = Array.isArray(x.headers) ? x.headers.map((h) => [h.key, h.value]) : Object.entries(x.headers ?? {});
    const body = html`<section class="card" aria-labelledby="dl-facts">
        <h2 id="dl-facts" class="wrap">${x.id}</h2>
        <dl class="facts">
          <dt>Failed at</dt>
          <dd>${time(x.time)}</dd>
          <dt>Stage / reason</dt>
          <dd class="wrap">${x.stage} / ${x.reason}</dd>
          <dt>Error</dt>
          <dd class="wrap">${x.error}</dd>
          <dt>Source / type</dt>
          <dd class="wrap">${x.source ?? '—'} / ${x.type ?? '—'}</dd>
          <dt>Resource</dt>
          <dd class="wrap">${x.resourceKey ?? '—'}</dd>
          <dt>From</dt>
          <dd>${x.sourceTopic}, ${x.attempts} attempt(s)</dd>
          ${
            x.traceId
              ? html`<dt>Trace</dt>
                  <dd>${traceLink(d, x.traceId)}</dd>`
              : ''
          }
        </dl>
        <form method="post" action="/console/dead-letters/redrive">
          ${csrfField(c.get('session'))}
          <input type="hidden" name="topic" value="${topic}" /><input type="hidden" name="ids" value="${x.id}" />
          <button type="submit">Redrive this record… (dry run first)</button>
        </form>
      </section>
      <section class="card" aria-labelledby="dl-headers">
        <h2 id="dl-headers">Headers</h2>
        ${
          headers.length
            ? html`<dl class="facts">
                ${headers.map(
                  ([k, v]) =>
                    html`<dt class="wrap">${k}</dt>
                      <dd class="wrap">${v}</dd>`,
                )}
              </dl>`
            : empty('No headers.')
        }
      </section>
      <section class="card" aria-labelledby="dl-bytes">
        <h2 id="dl-bytes">Original bytes (${x.bytes})</h2>
        ${
          x.valueUtf8 !== null
            ? codeBlock(x.valueUtf8, 'Original bytes as UTF-8 text')
            : html`<p class="muted">Not UTF-8 text: shown as base64.</p>
                ${codeBlock(x.valueBase64 ?? '', 'Original bytes, base64')}`
        }
      </section>`;
    return render(c, { title: 'Dead letter', nav: NAV }, body);
  });

  app.post('/dead-letters/redrive', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const s = c.get('session');
    const confirm = field(c, 'confirm') === 'yes';
    const ids = field(c, 'ids')
      .split('\n')
      .map((x) => x.trim())
      .filter(Boolean);
    const f = {
      topic: field(c, 'topic') || TOPIC.rawDlq,
      reason: field(c, 'reason'),
      source: field(c, 'source'),
      type: field(c, 'type'),
    };
    const req: Record<string, unknown> = { topic: f.topic, dryRun: !confirm };
    if (ids.length > 0) req.ids = ids;
    else for (const k of ['reason', 'source', 'type'] as const) if (f[k]) req[k] = f[k];
    const r = await d.api.call<Redrive>(s, 'POST', '/v1/dead-letters/redrive', req);
    if (!r.ok)
      return (
        unavailable(c, r) ?? render(c, { title: 'Redrive', nav: NAV }, errorBox('Redrive refused', r.message), 400)
      );
    if (confirm)
      return render(
        c,
        { title: 'Redrive', nav: NAV, flash: `Redriven: ${r.data.redriven ?? 0} record(s) sent back to their topic.` },
        html`<p><a href="${withQuery(NAV, { topic: f.topic })}">Back to ${f.topic}</a></p>`,
      );
    const n = r.data.wouldRedrive ?? r.data.ids.length;
    const body = html`<section class="card" aria-labelledby="rd-plan">
      <h2 id="rd-plan">Dry run</h2>
      <p class="big"><strong id="dry-run-count">${n}</strong> record(s) would be redriven from ${f.topic}.</p>
      <p class="muted">${r.data.matching} match; ${r.data.alreadyRedriven} were already redriven and are skipped.</p>
      ${
        n > 0
          ? html`<form method="post" action="/console/dead-letters/redrive">
              ${csrfField(s)}
              <input type="hidden" name="topic" value="${f.topic}" />
              <input type="hidden" name="ids" value="${r.data.ids.join('\n')}" />
              <input type="hidden" name="confirm" value="yes" />
              <button type="submit">Confirm: redrive ${n} record(s)</button>
              <a href="${withQuery(NAV, { topic: f.topic })}">Cancel</a>
            </form>`
          : ''
      }
    </section>`;
    return render(c, { title: 'Redrive', nav: NAV }, body);
  });
}

export function traceLink(d: PageDeps, traceId: string) {
  return d.traceUrl
    ? html`<a href="${d.traceUrl.replace('{traceId}', encodeURIComponent(traceId))}" rel="noreferrer">${traceId}</a>`
    : html`<span class="mono">${traceId}</span>`;
}

/** A route the admin does not serve (or serves without its operations backend): say so, show no data. */
export function unavailable(c: Ctx, r: { status: number; code: string; message: string }) {
  if (r.status !== 404 && r.status !== 501) return undefined;
  // A missing route answers 404 without the API's JSON error body (code "error" in api.ts).
  if (r.status === 404 && r.code !== 'error' && !/no route/.test(r.message)) return undefined;
  return render(
    c,
    { title: 'Not available', nav: c.req.path },
    errorBox('Not available in this version', `This admin does not serve this page's API yet (${r.message}).`),
    501,
  );
}

function filters(c: Ctx) {
  const topic = c.req.query('topic') ?? TOPIC.rawDlq;
  return {
    topic: (DLQ_TOPICS as readonly string[]).includes(topic) ? topic : TOPIC.rawDlq,
    reason: c.req.query('reason') ?? '',
    source: c.req.query('source') ?? '',
    type: c.req.query('type') ?? '',
  };
}
type Filters = ReturnType<typeof filters>;

const hidden = (f: Filters) =>
  html`${(['topic', 'reason', 'source', 'type'] as const).map((k) =>
    f[k] ? html`<input type="hidden" name="${k}" value="${f[k]}" />` : '',
  )}`;

function filterForm(f: Filters) {
  return html`<form method="get" action="/console/dead-letters" class="filters card">
    <div>
      <label for="dl-topic">Topic</label>
      <select id="dl-topic" name="topic">
        ${DLQ_TOPICS.map((t) => html`<option value="${t}" ${t === f.topic ? html`selected` : ''}>${t}</option>`)}
      </select>
    </div>
    <div><label for="dl-reason">Reason</label><input id="dl-reason" name="reason" value="${f.reason}" /></div>
    <div><label for="dl-source">Source</label><input id="dl-source" name="source" value="${f.source}" /></div>
    <div><label for="dl-type">Type</label><input id="dl-type" name="type" value="${f.type}" /></div>
    <div><button type="submit">Show</button></div>
  </form>`;
}
