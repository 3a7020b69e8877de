/**
 * /console (operators; a tenant goes to its endpoints): per stage, the last hour of throughput,
 * error rate, consumer lag and DLQ depth, and the delivery success rate, from GET /v1/overview.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { failure, render, type ConsoleEnv, type PageDeps } from '../context.ts';
import { codeBlock } from '../layout.ts';
import { unavailable } from './dead-letters.ts';

const NAV = '/console';

export function overviewPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  app.get('/', async (c) => {
    if (c.get('session').kind !== 'operator') return c.redirect('/console/endpoints', 303);
    const r = await d.api.call<unknown>(c.get('session'), 'GET', '/v1/overview');
    if (!r.ok) return unavailable(c, r) ?? failure(c, 'Overview', r, NAV);
    return render(c, { title: 'Overview', nav: NAV, refresh: 30 }, html`${codeBlock(r.data, 'Overview')}`);
  });
}
