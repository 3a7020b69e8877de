/**
 * Tenants on the real stack (admin + dispatcher in-process, Kafka, Redis, registry): two tenants
 * with the same subscriptions each receive only their own messages, through HTTP publish, the
 * outbound.requests topic and inbound-derived routes; idempotent publish across client retries
 * and an admin restart; JSON Schema refusal; limits (429, 413, max endpoints); per-(tenant,
 * resource) order with a failing-then-recovering endpoint; the tenant delivery log filters.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { PublishRequest } from '../../services/common/contracts/publish.ts';
import { publishRequestKey } from '../../services/common/contracts/publish.ts';
import type { OutboundEvent } from '../../services/common/contracts/index.ts';
import type { Json } from '../admin/helpers.ts';
import { event, receiver } from '../dispatcher/helpers.ts';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import { endpointFor, publish, tenantKit, type TenantKit } from './helpers.ts';

let t: TenantKit;
const SAME = ['invoice.*'];

describe('tenants: isolation, publish, idempotency, schema, limits, order', () => {
  before(async () => {
    t = await tenantKit(uniquePrefix('tenants'));
    for (const id of ['acme', 'globex']) assert.equal((await t.call('POST', '/v1/tenants', { id })).status, 201);
    for (const name of ['invoice.paid', 'invoice.sent'])
      assert.equal((await t.call('PUT', `/v1/event-types/${name}`, { description: name })).status, 200);
  });
  after(async () => {
    await t?.close();
  });

  it('CRUD: create (id validated, conflict), get, list with a cursor, update, default tenant present', async () => {
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'has space' })).status, 400);
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'acme' })).status, 409);
    const def = await t.call('GET', '/v1/tenants/default');
    assert.equal(def.status, 200, 'the default tenant exists after start (migration)');
    const page1 = await t.call('GET', '/v1/tenants?limit=2');
    assert.deepEqual(
      page1.body.data.map((x: Json): string => x.id as string),
      ['acme', 'default'],
    );
    const page2 = await t.call('GET', `/v1/tenants?limit=2&cursor=${page1.body.nextCursor as string}`);
    assert.deepEqual(
      page2.body.data.map((x: Json): string => x.id as string),
      ['globex'],
    );
    const upd = await t.call('PATCH', '/v1/tenants/globex', { name: 'Globex', metadata: { plan: 'pro' } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.name, 'Globex');
    assert.deepEqual(upd.body.metadata, { plan: 'pro' });
    assert.equal(upd.body.retentionDays, 30);
    assert.equal((await t.call('GET', '/v1/tenants/nobody')).status, 404);
  });

  it('two tenants with the same subscriptions receive only their own: HTTP, topic and inbound-derived', async () => {
    const a = await endpointFor(t, 'acme', SAME);
    const g = await endpointFor(t, 'globex', SAME);
    const dr = await receiver();
    t.receivers.push(dr);
    const d = await t.call('POST', '/v1/endpoints', { url: dr.url, eventTypes: SAME });
    assert.equal(d.status, 201);
    assert.equal(d.body.tenantId, 'default');
    await sleep(300);

    // HTTP publish.
    const pa = await publish(t, 'acme', { eventType: 'invoice.paid', payload: { id: 'inv_a', amount: 100 } });
    assert.equal(pa.status, 202, JSON.stringify(pa.body));
    const pg = await publish(t, 'globex', { eventType: 'invoice.paid', payload: { id: 'inv_g', amount: 200 } });
    assert.equal(pg.status, 202);

    // Topic publish (an internal producer writes outbound.requests).
    const topic = t.k.t('outbound.requests');
    const req: PublishRequest = {
      tenantId: 'globex',
      eventType: 'invoice.sent',
      payload: JSON.stringify({ id: 'inv_topic' }),
      resourceId: 'inv_topic',
      idempotencyKey: 'topic-1',
      requestedAt: Date.now(),
    };
    const record = { topic, key: publishRequestKey('globex', 'inv_topic'), value: await t.k.avro.encode(topic, req) };
    await t.k.producer.send([record, record]); // the same request twice: published once

    // Inbound-derived: a source naming acme; the processors' router writes outbound.events with no tenant.
    const src = await t.call('PUT', '/v1/sources/shop-acme', {
      provider: 'stripe',
      secrets: ['whsec_test_secret'],
      options: { tenant: 'acme' },
    });
    assert.equal(src.status, 201, JSON.stringify(src.body));
    await sleep(300);
    const inbound: OutboundEvent = {
      ...event('r1', 0, { eventType: 'invoice.paid' }),
      resourceKey: 'shop-acme:invoice:r1',
    };
    const untenanted: OutboundEvent = {
      ...event('r2', 0, { eventType: 'invoice.paid' }),
      resourceKey: 'other:invoice:r2',
    };
    await t.k.send([inbound, untenanted]);

    await eventually(
      () => (a.r.got.length >= 2 && g.r.got.length >= 2 && dr.got.length >= 1 ? true : undefined),
      20_000,
      'delivered',
    );
    await sleep(1500); // anything misrouted would have arrived by now
    const ids = (r: typeof a.r) => r.got.map((x) => x.id).sort();
    assert.deepEqual(ids(a.r), [pa.body.messageId, inbound.messageId].sort());
    assert.deepEqual(ids(dr), [untenanted.messageId], 'a source naming no tenant → the default tenant');
    assert.equal(g.r.got.length, 2);
    assert.ok(g.r.got.some((x) => x.id === pg.body.messageId));
    const fromTopic = g.r.got.find((x) => x.id !== pg.body.messageId)!;
    assert.deepEqual(JSON.parse(fromTopic.body).data, { id: 'inv_topic' });
    assert.equal(JSON.parse(fromTopic.body).type, 'invoice.sent');
    assert.ok(a.r.got.every((x) => x.verifiedBy.length === 1) && g.r.got.every((x) => x.verifiedBy.length === 1));
    const body = JSON.parse(a.r.got.find((x) => x.id === pa.body.messageId)!.body);
    assert.deepEqual(Object.keys(body).sort(), ['data', 'id', 'timestamp', 'type']);
    assert.deepEqual(body.data, { id: 'inv_a', amount: 100 });
  });

  it('the same Idempotency-Key answers the same messageId across client retries and an admin restart', async () => {
    const e = await endpointFor(t, 'acme', ['invoice.sent']);
    await sleep(300);
    const msg = { eventType: 'invoice.sent', payload: { id: 'inv_idem' }, resourceId: 'inv_idem' };
    const first = await publish(t, 'acme', msg, { idempotencyKey: 'order-42' });
    assert.equal(first.status, 202);
    const again = await publish(t, 'acme', msg, { idempotencyKey: 'order-42' });
    assert.equal(again.status, 202);
    assert.equal(again.body.messageId, first.body.messageId);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    await t.restartAdmin();
    const afterRestart = await publish(t, 'acme', msg, { idempotencyKey: 'order-42' });
    assert.equal(afterRestart.status, 202);
    assert.equal(afterRestart.body.messageId, first.body.messageId);
    // The key is per tenant: globex may use the same one for its own message.
    const other = await publish(t, 'globex', msg, { idempotencyKey: 'order-42' });
    assert.notEqual(other.body.messageId, first.body.messageId);
    const reused = await publish(t, 'acme', { ...msg, payload: { id: 'else' } }, { idempotencyKey: 'order-42' });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, 'key_reused');
    await eventually(() => (e.r.got.length >= 1 ? true : undefined), 20_000, 'delivered');
    await sleep(1500);
    assert.deepEqual(
      e.r.got.map((x) => x.id),
      [first.body.messageId],
      'published once',
    );
  });

  it('refuses a payload that does not match the event type schema (422 naming the path), and unknown types', async () => {
    const put = await t.call('PUT', '/v1/event-types/customer.updated', {
      description: 'A customer changed',
      schema: {
        type: 'object',
        required: ['id', 'email'],
        properties: {
          id: { type: 'string' },
          email: { type: 'string' },
          address: { type: 'object', properties: { zip: { type: 'string' } } },
        },
      },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const bad = await publish(t, 'acme', {
      eventType: 'customer.updated',
      payload: { id: 'c1', email: 'a@b.c', address: { zip: 1234 } },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'schema_mismatch');
    assert.equal(bad.body.error.details[0].path, 'payload.address.zip');
    const missing = await publish(t, 'acme', { eventType: 'customer.updated', payload: { id: 'c1' } });
    assert.equal(missing.status, 422);
    assert.match(missing.body.error.message, /email/);
    const ok = await publish(t, 'acme', { eventType: 'customer.updated', payload: { id: 'c1', email: 'a@b.c' } });
    assert.equal(ok.status, 202);
    const unknown = await publish(t, 'acme', { eventType: 'not.listed', payload: {} });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'unknown_event_type');
    const badSchema = await t.call('PUT', '/v1/event-types/x.y', { schema: { type: 'no-such-type' } });
    assert.equal(badSchema.status, 400);
  });

  it('limits: publish rate → 429 with Retry-After, payload size → 413, max endpoints → 409', async () => {
    assert.equal(
      (
        await t.call('POST', '/v1/tenants', {
          id: 'tiny',
          limits: { publishPerSecond: 2, maxPayloadBytes: 100, maxEndpoints: 1 },
        })
      ).status,
      201,
    );
    const big = await publish(t, 'tiny', { eventType: 'invoice.paid', payload: { blob: 'x'.repeat(200) } });
    assert.equal(big.status, 413);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await publish(t, 'tiny', { eventType: 'invoice.paid', payload: { n: i } });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    assert.ok(statuses.includes(202) && statuses.includes(429), statuses.join(','));
    assert.ok(Number(retryAfter) >= 1);
    await endpointFor(t, 'tiny', ['*']);
    const second = await t.call('POST', '/v1/tenants/tiny/endpoints', { url: 'http://127.0.0.1:9/x' });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'limit_exceeded');
  });

  it('delivers one (tenant, resource) in publish order to an endpoint that fails then recovers', async () => {
    let failures = 3;
    const e = await endpointFor(t, 'globex', ['invoice.sent'], () =>
      failures-- > 0 ? { status: 503 } : { status: 200 },
    );
    await sleep(300);
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const r = await publish(t, 'globex', { eventType: 'invoice.sent', payload: { n }, resourceId: 'ord-1' });
      assert.equal(r.status, 202);
      ids.push(r.body.messageId as string);
    }
    await eventually(() => (e.r.got.length >= 5 ? true : undefined), 30_000, 'all five delivered');
    const seen = e.r.got.map((x) => (JSON.parse(x.body) as { data: { n: number } }).data.n);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);

    // The tenant's delivery log: filters by resource, message id, status and endpoint.
    const byResource = await eventually(
      async () => {
        const q = `resourceId=ord-1&status=SUCCEEDED&endpointId=${e.id}`;
        const l = await t.call('GET', `/v1/tenants/globex/deliveries?${q}`);
        return l.body.data.length === 5 ? (l.body.data as Json[]) : undefined;
      },
      20_000,
      'log has the five',
    );
    assert.ok(byResource.every((s: Json) => s.endpointId === e.id));
    const one = await t.call('GET', `/v1/tenants/globex/deliveries?messageId=${ids[0]}&endpointId=${e.id}`);
    assert.equal(one.body.data.length, 1);
    assert.equal(one.body.data[0].attempts, 4, 'three failures then success');
    const acmeView = await t.call('GET', `/v1/tenants/acme/deliveries?messageId=${ids[0]}`);
    assert.deepEqual(acmeView.body.data, [], 'another tenant does not see it');
  });

  it('lists accepted but not yet delivered messages', async () => {
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'slow' })).status, 201);
    const ok = await endpointFor(t, 'slow', ['invoice.*']);
    const down = await endpointFor(t, 'slow', ['invoice.*'], () => ({ status: 500 }));
    await sleep(300);
    const p = await publish(t, 'slow', { eventType: 'invoice.paid', payload: { id: 's1' } });
    assert.equal(p.status, 202);
    await eventually(() => (ok.r.got.length >= 1 ? true : undefined), 20_000, 'delivered to the healthy one');
    // The list reads the delivery log, which the admin fills from outbound.attempts a moment after
    // the receiver got the POST: wait until one endpoint is settled, then check which one is left.
    const listed = await eventually(
      async () => {
        const l = await t.call('GET', '/v1/tenants/slow/messages?undeliveredForMinutes=0');
        const only = l.body.data.length === 1 ? (l.body.data[0] as Record<string, Json>) : undefined;
        return only && (only.pending as Json[]).length === 1 ? only : undefined;
      },
      20_000,
      'listed as undelivered',
    );
    assert.equal(listed.messageId, p.body.messageId);
    assert.deepEqual(
      listed.pending.map((x: Json): string => x.endpointId as string),
      [down.id],
    );
    const young = await t.call('GET', '/v1/tenants/slow/messages?undeliveredForMinutes=10');
    assert.deepEqual(young.body.data, [], 'not yet 10 minutes old');
    assert.equal((await t.call('GET', '/v1/tenants/slow/messages')).status, 400);
  });

  it('the documented example producer (scripts/publish-example.ts) publishes through outbound.requests', async () => {
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'example' })).status, 201);
    const e = await endpointFor(t, 'example', ['invoice.*']);
    await sleep(300);
    const run = (key: string) =>
      promisify(execFile)(
        process.execPath,
        ['scripts/publish-example.ts', 'example', 'invoice.paid', '{"id":"inv_ex"}', 'inv_ex', key],
        { env: { ...process.env, TOPIC_PREFIX: t.k.prefix } },
      );
    const out = await run('example-key');
    assert.match(out.stdout, /published to/);
    await run('example-key'); // the same key again: published once
    await eventually(() => (e.r.got.length >= 1 ? true : undefined), 20_000, 'delivered');
    await sleep(1500);
    assert.equal(e.r.got.length, 1);
    assert.deepEqual(JSON.parse(e.r.got[0]!.body).data, { id: 'inv_ex' });
  });

  it('deleting a tenant stops its endpoints', async () => {
    assert.equal((await t.call('POST', '/v1/tenants', { id: 'gone' })).status, 201);
    const e = await endpointFor(t, 'gone', ['*']);
    assert.equal((await t.call('DELETE', '/v1/tenants/gone')).status, 204);
    assert.equal((await t.call('GET', `/v1/endpoints/${e.id}`)).status, 404);
    assert.equal((await publish(t, 'gone', { eventType: 'invoice.paid', payload: {} })).status, 404);
  });
});
