/**
 * /console/replay (operators only): the deployment's consumer groups with their state and lag;
 * choose a group, a topic and a time (or earliest/latest); the dry run shows, per partition, the
 * committed offset, the target and how many records would be re-read; then confirm. The API refuses
 * (409) while the group has active members, as the CLI does, and the page shows that refusal.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { field, notFoundPage, render, type ConsoleEnv, type Ctx, type PageDeps } from '../context.ts';
import { badge, csrfField, empty, errorBox, type Html } from '../layout.ts';
import { unavailable } from './dead-letters.ts';

const NAV = '/console/replay';

interface Group {
  group: string;
  state: string;
  members: number;
  topics: { topic: string; lag: number; committed?: unknown }[];
}
interface Plan {
  group: string;
  topic: string;
  state: string;
  members: number;
  partitions: {
    partition: number;
    current: string | null;
    target: string;
    low: string;
    high: string;
    reread: string;
    skipped: string;
  }[];
  reread: string;
  applied: boolean;
}

export function replayPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/replay', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const r = await d.api.call<{ data: Group[] }>(c.get('session'), 'GET', '/v1/consumer-groups');
    if (!r.ok)
      return (
        unavailable(c, r) ??
        render(
          c,
          { title: 'Replay', nav: NAV },
          errorBox('Consumer groups unavailable', r.message),
          r.status === 503 ? 503 : 500,
        )
      );
    return render(c, { title: 'Replay', nav: NAV }, html`${groupsTable(r.data.data)}${replayForm(c, r.data.data)}`);
  });

  app.post('/replay', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const s = c.get('session');
    const confirm = field(c, 'confirm') === 'yes';
    const req = requestOf(c);
    if (!req.ok) return render(c, { title: 'Replay', nav: NAV }, errorBox('Replay', req.problem), 400);
    const r = await d.api.call<Plan>(s, 'POST', '/v1/replay', { ...req.body, dryRun: !confirm });
    if (!r.ok) {
      const title = r.status === 409 ? 'Refused: the group is active' : 'Replay refused';
      return (
        unavailable(c, r) ??
        render(c, { title: 'Replay', nav: NAV }, errorBox(title, r.message), r.status === 409 ? 409 : 400)
      );
    }
    const p = r.data;
    const body = html`<section class="card" aria-labelledby="plan">
      <h2 id="plan">${p.applied ? 'Applied' : 'Dry run'}: ${p.group} on ${p.topic}</h2>
      <p>
        Group state ${badge(p.state, p.members > 0 ? 'warn' : 'ok')} with ${p.members} active member(s).
        <strong>${p.reread}</strong> record(s) ${p.applied ? 'will be' : 'would be'} re-read.
      </p>
      ${planTable(p)}
      ${
        p.applied
          ? html`<p>Offsets moved. Start the group's service again to re-read.</p>`
          : html`<form method="post" action="/console/replay">
              ${csrfField(s)}
              ${Object.entries(fieldsOf(c)).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
              <input type="hidden" name="confirm" value="yes" />
              ${
                p.members > 0
                  ? html`<p class="error" role="alert">
                      The group has active members: Kafka resets only an empty group. Stop its consumers first.
                    </p>`
                  : ''
              }
              <button type="submit">Confirm: move the offsets</button> <a href="/console/replay">Cancel</a>
            </form>`
      }
    </section>`;
    return render(c, { title: 'Replay', nav: NAV, flash: p.applied ? 'Offsets reset.' : undefined }, body);
  });
}

function fieldsOf(c: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['group', 'topic', 'mode', 'at', 'offset', 'partition']) out[k] = field(c, k);
  return out;
}

function requestOf(c: Ctx): { ok: true; body: Record<string, unknown> } | { ok: false; problem: string } {
  const f = fieldsOf(c);
  if (!f.group || !f.topic) return { ok: false, problem: 'Choose a group and a topic.' };
  let to: Record<string, unknown>;
  if (f.mode === 'earliest' || f.mode === 'latest') to = { [f.mode]: true };
  else if (f.mode === 'offset') to = { offset: f.offset };
  else {
    const t = new Date(/Z$/.test(f.at ?? '') ? (f.at ?? '') : `${f.at ?? ''}Z`);
    if (Number.isNaN(t.getTime())) return { ok: false, problem: 'Give the time to replay from (UTC).' };
    to = { datetime: t.toISOString() };
  }
  const req: Record<string, unknown> = { group: f.group, topic: f.topic, to };
  if (f.partition) req.partition = Number(f.partition);
  return { ok: true, body: req };
}

function groupsTable(groups: Group[]): Html {
  if (groups.length === 0) return empty('No consumer groups of this deployment yet.');
  return html`<div class="table-wrap">
    <table>
      <caption>
        Consumer groups
      </caption>
      <thead>
        <tr>
          <th scope="col">Group</th>
          <th scope="col">State</th>
          <th scope="col">Members</th>
          <th scope="col">Topics (lag)</th>
        </tr>
      </thead>
      <tbody>
        ${groups.map(
          (g) =>
            html`<tr>
              <td class="wrap">${g.group}</td>
              <td>${badge(g.state, g.members > 0 ? 'ok' : 'muted')}</td>
              <td>${g.members}</td>
              <td class="wrap">${g.topics.map((t) => `${t.topic} (${t.lag})`).join(', ') || '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function planTable(p: Plan): Html {
  return html`<div class="table-wrap">
    <table id="replay-plan">
      <caption>
        Offsets per partition
      </caption>
      <thead>
        <tr>
          <th scope="col">Partition</th>
          <th scope="col">Committed</th>
          <th scope="col">Target</th>
          <th scope="col">Log start / end</th>
          <th scope="col">Re-read</th>
          <th scope="col">Skipped</th>
        </tr>
      </thead>
      <tbody>
        ${p.partitions.map(
          (r) =>
            html`<tr>
              <td>${r.partition}</td>
              <td>${r.current ?? 'none'}</td>
              <td>${r.target}</td>
              <td>${r.low} / ${r.high}</td>
              <td>${r.reread}</td>
              <td>${r.skipped}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function replayForm(c: Ctx, groups: Group[]): Html {
  const topics = [...new Set(groups.flatMap((g) => g.topics.map((t) => t.topic)))].sort();
  const hourAgo = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
  return html`<section class="card" aria-labelledby="replay-form">
    <h2 id="replay-form">Replay</h2>
    <form method="post" action="/console/replay" class="stack">
      ${csrfField(c.get('session'))}
      <label for="rp-group">Consumer group</label>
      <select id="rp-group" name="group" required>
        ${groups.map((g) => html`<option value="${g.group}">${g.group}</option>`)}
      </select>
      <label for="rp-topic">Topic</label>
      <input id="rp-topic" name="topic" list="rp-topics" required />
      <datalist id="rp-topics">${topics.map((t) => html`<option value="${t}"></option>`)}</datalist>
      <fieldset>
        <legend>Move to</legend>
        <label><input type="radio" name="mode" value="datetime" checked /> a time (UTC)</label>
        <label for="rp-at" class="visually-hidden">Time (UTC)</label>
        <input id="rp-at" name="at" type="datetime-local" value="${hourAgo}" />
        <label><input type="radio" name="mode" value="earliest" /> earliest</label>
        <label><input type="radio" name="mode" value="latest" /> latest</label>
        <label><input type="radio" name="mode" value="offset" /> offset</label>
        <label for="rp-offset" class="visually-hidden">Offset</label>
        <input id="rp-offset" name="offset" inputmode="numeric" placeholder="offset" />
      </fieldset>
      <label for="rp-partition">Partition (optional: all)</label>
      <input id="rp-partition" name="partition" inputmode="numeric" />
      <button type="submit">Dry run</button>
    </form>
  </section>`;
}
