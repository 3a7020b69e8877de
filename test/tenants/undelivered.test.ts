/**
 * "Accepted but not yet delivered" covers every outbound message of a tenant, not only published
 * ones: an inbound-derived message (a source naming the tenant; the processors' router writes it
 * to outbound.events without a tenant) that one endpoint keeps refusing is listed with that
 * endpoint pending; and the admin's stuck-work gauge
 * (hookline_outbound_oldest_undelivered_age_seconds, global and by endpoint) shows its age on
 * /metrics, for the failing endpoint only, and drops once the endpoint recovers.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { OutboundEvent } from '../../services/common/contracts/index.ts';
import type { Json } from '../admin/helpers.ts';
import { event } from '../dispatcher/helpers.ts';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import { endpointFor, tenantKit, type TenantKit } from './helpers.ts';

let t: TenantKit;
const GAUGE = 'hookline_outbound_oldest_undelivered_age_seconds';

async function gauge(labels?: string): Promise<number | undefined> {
  const text = await (await fetch(`${t.base()}/metrics`)).text();
  const names = labels === undefined ? [`${GAUGE} `, `${GAUGE}{`] : [`${GAUGE}_by_endpoint{`];
  for (const line of text.split('\n'))
    if (names.some((n) => line.startsWith(n)) && (labels === undefined || line.includes(labels)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  return undefined;
}

describe('tenants: undelivered covers inbound-derived messages; the oldest-undelivered gauge', () => {
  before(async () => {
    // Retries every second for a minute: the failing endpoint's message stays in flight (not dead).
    t = await tenantKit(
      uniquePrefix('tenant-undelivered'),
      { ADMIN_UNDELIVERED_INTERVAL_MS: '1000' },
      { DISPATCHER_RETRY_SCHEDULE: ['0', ...Array.from({ length: 60 }, () => '1s')].join(',') },
    );
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'shop' })).status, 201);
  });
  after(async () => {
    await t?.close();
  });

  it('an inbound-derived message one endpoint refuses is listed, and its age is on /metrics', async () => {
    let healthy = false;
    const ok = await endpointFor(t, 'shop', ['order.*']);
    const down = await endpointFor(t, 'shop', ['order.*'], () => ({ status: healthy ? 200 : 503 }));
    const src = await t.call('PUT', '/v1/sources/shop-eu', {
      provider: 'stripe',
      secrets: ['whsec_test_secret'],
      options: { tenant: 'shop' },
    });
    assert.equal(src.status, 201, JSON.stringify(src.body));
    await sleep(300);
    const inbound: OutboundEvent = {
      ...event('o1', 0, { eventType: 'order.paid' }),
      resourceKey: 'shop-eu:order:o1',
      createdAt: Date.now(),
    };
    await t.k.send([inbound]);
    await eventually(() => (ok.r.got.length >= 1 ? true : undefined), 30_000, 'delivered to the healthy endpoint');

    const listed = await eventually(
      async () => {
        const l = await t.call('GET', '/v1/tenants/shop/messages?undeliveredForMinutes=0');
        // The healthy endpoint leaves the list once the delivery log has its success.
        const first = l.body.data[0] as Record<string, Json> | undefined;
        return l.body.data.length === 1 && first?.pending.length === 1 ? first : undefined;
      },
      30_000,
      'the inbound-derived message listed as undelivered',
    );
    assert.equal(listed.messageId, inbound.messageId);
    assert.equal(listed.eventType, 'order.paid');
    assert.deepEqual(
      listed.pending.map((x: Json): string => x.endpointId as string),
      [down.id],
    );

    await sleep(2500);
    const age = await eventually(
      async () => {
        const v = await gauge(`endpoint="${down.id}"`);
        return v !== undefined && v >= 2 ? v : undefined;
      },
      30_000,
      'the failing endpoint in the by-endpoint gauge',
    );
    assert.ok(age < 120, `age ${age} s is the message's age`);
    assert.equal(await gauge(`endpoint="${ok.id}"`), undefined, 'the healthy endpoint holds nothing');
    assert.ok(((await gauge()) ?? 0) >= age - 2, 'the global gauge is at least the endpoint’s');

    healthy = true;
    await eventually(
      async () => {
        const l = await t.call('GET', '/v1/tenants/shop/messages?undeliveredForMinutes=0');
        return l.body.data.length === 0 ? true : undefined;
      },
      90_000,
      'no longer listed once the endpoint received it',
    );
    await eventually(
      async () => (((await gauge(`endpoint="${down.id}"`)) ?? 0) === 0 ? true : undefined),
      30_000,
      'the endpoint’s age back to 0 (or gone) once it received the message',
    );
    assert.equal(await gauge(), 0, 'nothing undelivered: the global gauge is 0');
  });
});
