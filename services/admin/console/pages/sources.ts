/**
 * /console/sources and /console/sources/{id} (operators only): the inbound sources, the URL to
 * give the provider, per-source stats (when the admin serves them), create, edit and rotate. Secrets
 * are write-only in the API, so a rotation names the new secret and, optionally, the previous one
 * still to accept while the provider switches over.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, field, notFoundPage, render, type ConsoleEnv, type Ctx, type PageDeps } from '../context.ts';
import { badge, codeBlock, csrfField, empty, errorBox, time, trunc, type Html } from '../layout.ts';

interface SourceView {
  id: string;
  provider: string;
  secretCount: number;
  options: Record<string, unknown>;
  url: string;
}
/** GET /v1/source-stats (data[]) and /v1/sources/{id}/stats. */
export interface SourceStats {
  sourceId: string;
  lastReceivedAt: string | null;
  receivedLastHour: number;
  perMinute: number;
  unauthorized: number;
  rejectedByReason: Record<string, number>;
  duplicatesDropped: number;
  quiet: boolean | null;
}

const NAV = '/console/sources';

export function sourcePages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  const providerUrl = (id: string) => `${d.ingressUrl}/webhooks/${encodeURIComponent(id)}`;

  app.get('/sources', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const r = await d.api.call<{ data: SourceView[] }>(c.get('session'), 'GET', '/v1/sources');
    if (!r.ok) return failure(c, 'Sources', r, NAV);
    const stats = await d.api.call<{ data: SourceStats[] }>(c.get('session'), 'GET', '/v1/source-stats');
    const byId = new Map((stats.ok ? stats.data.data : []).map((x) => [x.sourceId, x]));
    const list = r.data.data.length
      ? html`<div class="table-wrap">
          <table>
            <caption>
              Sources${stats.ok ? ' (traffic over the last hour)' : ` (no traffic figures: ${stats.message})`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Provider</th>
                <th scope="col">Last received</th>
                <th scope="col">Rate</th>
                <th scope="col">401s</th>
                <th scope="col">Duplicates dropped</th>
                <th scope="col">URL to give the provider</th>
              </tr>
            </thead>
            <tbody>
              ${r.data.data.map((src) => {
                const st = byId.get(src.id);
                return html`<tr>
                  <td><a href="/console/sources/${encodeURIComponent(src.id)}">${src.id}</a></td>
                  <td>${src.provider}</td>
                  <td>${st ? html`${time(st.lastReceivedAt)} ${quiet(st)}` : '—'}</td>
                  <td>${st ? `${st.perMinute.toFixed(1)}/min` : '—'}</td>
                  <td>${st ? st.unauthorized : '—'}</td>
                  <td>${st ? st.duplicatesDropped : '—'}</td>
                  <td>${trunc(providerUrl(src.id), 60)}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>`
      : empty('No sources yet: create one below.');
    return render(c, { title: 'Sources', nav: NAV }, html`${list}${editForm(c, undefined)}`);
  });

  app.get('/sources/:id', (c) => show(c, d, providerUrl));

  app.post('/sources', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    return save(c, d, field(c, 'id').trim());
  });
  app.post('/sources/:id', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    return save(c, d, c.req.param('id'));
  });
  app.post('/sources/:id/rotate', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const secrets = [field(c, 'secret').trim(), field(c, 'previous').trim()].filter(Boolean);
    if (secrets.length === 0) return show(c, d, providerUrl, undefined, errorBox('Rotate', 'Give the new secret.'));
    const id = c.req.param('id');
    const r = await d.api.call(c.get('session'), 'PUT', `/v1/sources/${encodeURIComponent(id)}`, { secrets });
    if (!r.ok) return show(c, d, providerUrl, undefined, errorBox('Rotation refused', r.message));
    return show(c, d, providerUrl, `Secrets replaced: ${secrets.length} now accepted.`);
  });
}

const reasons = (r: Record<string, number>) =>
  Object.keys(r).length
    ? html`<ul class="plain">
        ${Object.entries(r).map(([k, v]) => html`<li>${k}: ${v}</li>`)}
      </ul>`
    : 'none';
const quiet = (st: SourceStats) => (st.quiet ? badge('gone quiet', 'warn') : '');

async function save(c: Ctx, d: PageDeps, id: string) {
  const body: Record<string, unknown> = { provider: field(c, 'provider').trim() };
  const secrets = field(c, 'secrets')
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);
  if (secrets.length > 0) body.secrets = secrets;
  const optionsText = field(c, 'options').trim();
  if (optionsText) {
    try {
      body.options = JSON.parse(optionsText) as unknown;
    } catch {
      return render(
        c,
        { title: 'Sources', nav: NAV },
        html`${errorBox('Not saved', 'Options must be JSON.')}${editForm(c, undefined)}`,
        400,
      );
    }
  }
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(id))
    return render(
      c,
      { title: 'Sources', nav: NAV },
      html`${errorBox('Not saved', 'The id may use letters, digits, ".", "_" and "-".')}${editForm(c, undefined)}`,
      400,
    );
  const r = await d.api.call<SourceView>(c.get('session'), 'PUT', `/v1/sources/${encodeURIComponent(id)}`, body);
  if (!r.ok) {
    if (r.status === 400 || r.status === 404)
      return render(
        c,
        { title: 'Sources', nav: NAV },
        html`${errorBox('Not saved', r.message)}${editForm(c, undefined)}`,
        400,
      );
    return failure(c, 'Sources', r, NAV);
  }
  return c.redirect(`/console/sources/${encodeURIComponent(id)}`, 303);
}

async function show(c: Ctx, d: PageDeps, providerUrl: (id: string) => string, flash?: string, problem?: Html) {
  const s = c.get('session');
  if (s.kind !== 'operator') return notFoundPage(c);
  const id = c.req.param('id') ?? '';
  const r = await d.api.call<SourceView>(s, 'GET', `/v1/sources/${encodeURIComponent(id)}`);
  if (!r.ok) return failure(c, 'Source', r, NAV);
  const src = r.data;
  const st = await d.api.call<SourceStats>(s, 'GET', `/v1/sources/${encodeURIComponent(id)}/stats`);
  const stats = st.ok
    ? html`<dl class="facts">
        <dt>Last received</dt>
        <dd>${time(st.data.lastReceivedAt)} ${quiet(st.data)}</dd>
        <dt>Rate</dt>
        <dd>${st.data.perMinute.toFixed(1)}/min (${st.data.receivedLastHour} in the last hour)</dd>
        <dt>Duplicates dropped</dt>
        <dd>${st.data.duplicatesDropped}</dd>
        <dt>401s</dt>
        <dd>${st.data.unauthorized}</dd>
        <dt>Refused by reason</dt>
        <dd>${reasons(st.data.rejectedByReason)}</dd>
        <dt>Gone quiet</dt>
        <dd>${st.data.quiet === null ? 'unknown (needs Prometheus)' : st.data.quiet ? 'yes' : 'no'}</dd>
      </dl>`
    : empty(`No traffic figures: ${st.message}`);
  const enc = encodeURIComponent(src.id);
  const body = html`${problem ?? ''}
    <section class="card" aria-labelledby="src-facts">
      <h2 id="src-facts">${src.id}</h2>
      <dl class="facts">
        <dt>Provider</dt>
        <dd>${src.provider}</dd>
        <dt>URL to give the provider</dt>
        <dd><code class="wrap">${providerUrl(src.id)}</code></dd>
        <dt>Secrets</dt>
        <dd>${src.secretCount} accepted</dd>
      </dl>
      ${codeBlock(src.options, 'Options')}
    </section>
    <section class="card" aria-labelledby="src-stats">
      <h2 id="src-stats">Traffic</h2>
      ${stats}
    </section>
    <section class="card" aria-labelledby="src-rotate">
      <h2 id="src-rotate">Rotate secret</h2>
      <form method="post" action="/console/sources/${enc}/rotate" data-confirm="Replace this source's secrets?">
        ${csrfField(s)}
        <label for="rot-new">New secret</label><input id="rot-new" name="secret" type="password" required />
        <label for="rot-prev">Previous secret still to accept (optional)</label
        ><input id="rot-prev" name="previous" type="password" />
        <button type="submit">Rotate</button>
      </form>
    </section>
    ${editForm(c, src)}`;
  return render(c, { title: 'Source', nav: NAV, flash }, body);
}

function editForm(c: Ctx, src: SourceView | undefined): Html {
  const s = c.get('session');
  const action = src ? `/console/sources/${encodeURIComponent(src.id)}` : '/console/sources';
  return html`<section class="card" aria-labelledby="src-edit">
    <h2 id="src-edit">${src ? 'Edit source' : 'Create a source'}</h2>
    <form method="post" action="${action}" class="stack">
      ${csrfField(s)}
      ${
        src
          ? ''
          : html`<label for="src-id">Source id</label
              ><input id="src-id" name="id" required pattern="[A-Za-z0-9._\\-]{1,100}" placeholder="stripe-eu" />`
      }
      <label for="src-provider">Provider</label
      ><input id="src-provider" name="provider" required value="${src?.provider ?? ''}" placeholder="stripe" />
      <label for="src-secrets">Secrets, one per line${src ? ' (leave empty to keep the current ones)' : ''}</label>
      <textarea id="src-secrets" name="secrets" rows="2"></textarea>
      <label for="src-options">Options (JSON)</label>
      <textarea id="src-options" name="options" rows="3">${src ? JSON.stringify(src.options) : ''}</textarea>
      <button type="submit">${src ? 'Save' : 'Create'}</button>
    </form>
  </section>`;
}
