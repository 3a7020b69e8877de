/**
 * /console/events?q=… (operators only): find an event by event id, provider delivery id,
 * resource key or trace id, and show its path with timestamps, from GET /v1/events/search.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, notFoundPage, render, type ConsoleEnv, type PageDeps } from '../context.ts';
import { codeBlock, withQuery } from '../layout.ts';
import { unavailable } from './dead-letters.ts';

const NAV = '/console/events';

export function eventPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/events', async (c) => {
    if (c.get('session').kind !== 'operator') return notFoundPage(c);
    const q = c.req.query('q')?.trim() ?? '';
    const form = html`<form method="get" action="/console/events" class="filters card">
      <div>
        <label for="ev-q">Event id, provider delivery id, resource key or trace id</label>
        <input id="ev-q" name="q" value="${q}" />
      </div>
      <div><button type="submit">Find</button></div>
    </form>`;
    if (!q) return render(c, { title: 'Event explorer', nav: NAV }, form);
    const r = await d.api.call<unknown>(c.get('session'), 'GET', withQuery('/v1/events/search', { q }));
    if (!r.ok) return unavailable(c, r) ?? failure(c, 'Event explorer', r, NAV);
    return render(c, { title: 'Event explorer', nav: NAV }, html`${form}${codeBlock(r.data, 'Result')}`);
  });
}
