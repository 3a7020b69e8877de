/**
 * The user's path with curl-like calls, admin + dispatcher on the real stack: create an endpoint,
 * see an event delivered signed, watch a failed delivery retried and recovered in the log, rotate
 * the secret (deliveries verify with both during the grace period), retry by hand, and bulk
 * recover every failed message after the endpoint is fixed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningService } from '../../services/common/service.ts';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import { event, kit, receiver, startInProcess, type Kit, type Receiver } from '../dispatcher/helpers.ts';
import { api, startAdminInProcess, type Api, type Json } from './helpers.ts';

let k: Kit;
let admin: RunningService;
let dispatcher: RunningService;
let call: Api;
const receivers: Receiver[] = [];

describe('admin + dispatcher: delivery log, rotation, manual retry, bulk recover', () => {
  before(async () => {
    k = await kit(uniquePrefix('admin-flow'));
    admin = await startAdminInProcess(k.prefix, k.redisPrefix);
    dispatcher = await startInProcess(k, {
      DISPATCHER_RETRY_SCHEDULE: '0,300ms,300ms',
      DISPATCHER_BREAKER_FAILURES: '1000',
    });
    call = api(`http://127.0.0.1:${admin.port}`);
  });
  after(async () => {
    await dispatcher?.stop();
    await admin?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await k?.close();
  });

  it('shows a failed delivery retried and recovered, rotates the secret, retries by hand', async () => {
    let failFirst = 2;
    const r = await receiver(() =>
      failFirst-- > 0 ? { status: 500, body: 'database down' } : { status: 200, body: 'ok' },
    );
    receivers.push(r);
    const created = await call('POST', '/v1/endpoints', { url: r.url, eventTypes: ['order.*'], description: 'shop' });
    assert.equal(created.status, 201);
    const id: string = created.body.id;
    r.secrets = [created.body.secret];
    await new Promise((res) => setTimeout(res, 300));

    const e1 = event('o1', 0, { eventType: 'order.created' });
    await k.send([e1]);
    await eventually(() => (r.got.length >= 1 ? true : undefined), 20_000, 'delivered after two failures');
    assert.deepEqual(r.got[0]!.verifiedBy, [0]);

    const detail = await eventually(
      async () => {
        const d = await call('GET', `/v1/endpoints/${id}/messages/${e1.messageId}`);
        return d.status === 200 && d.body.status === 'SUCCEEDED' ? (d.body as Record<string, Json>) : undefined;
      },
      20_000,
      'log shows success',
    );
    assert.equal(detail.attempts, 3);
    assert.deepEqual(
      detail.attemptLog.map((a: Json): unknown[] => [
        a.attempt as number,
        a.outcome as string,
        a.statusCode as number,
        a.responseExcerpt as string,
      ]),
      [
        [1, 'FAILED', 500, 'database down'],
        [2, 'FAILED', 500, 'database down'],
        [3, 'SUCCEEDED', 200, 'ok'],
      ],
    );
    assert.ok(
      detail.attemptLog.every((a: Json) => typeof a.durationMs === 'number' && typeof a.attemptedAt === 'string'),
    );
    assert.equal(detail.payload, e1.payload);

    const log = await call('GET', `/v1/deliveries?endpointId=${id}&status=SUCCEEDED&eventType=order.created`);
    assert.deepEqual(
      log.body.data.map((s: Json): string => s.messageId as string),
      [e1.messageId],
    );
    assert.deepEqual((await call('GET', `/v1/deliveries?endpointId=${id}&status=FAILED,DEAD`)).body.data, []);
    assert.deepEqual(
      (await call('GET', `/v1/deliveries?endpointId=${id}&since=${new Date(Date.now() + 60_000).toISOString()}`)).body
        .data,
      [],
    );
    assert.equal((await call('GET', '/v1/deliveries?status=LOST')).status, 400);

    // Rotate: during the grace period both signatures are sent and each verifies.
    const rotated = await call('POST', `/v1/endpoints/${id}/secret/rotate`, { graceSeconds: 3600 });
    r.secrets = [created.body.secret, rotated.body.secret];
    await new Promise((res) => setTimeout(res, 300));
    const e2 = event('o1', 1, { eventType: 'order.paid' });
    await k.send([e2]);
    await eventually(() => (r.got.length >= 2 ? true : undefined), 20_000, 'delivered after rotation');
    assert.deepEqual(r.got[1]!.verifiedBy, [0, 1]);

    // Retry by hand: the same message, same webhook-id, to this endpoint.
    const retry = await call('POST', `/v1/endpoints/${id}/messages/${e1.messageId}/retry`);
    assert.equal(retry.status, 202);
    await eventually(() => (r.got.length >= 3 ? true : undefined), 20_000, 'manual retry delivered');
    assert.equal(r.got[2]!.id, e1.messageId);
    assert.equal(r.got[2]!.body, e1.payload);
    assert.deepEqual(r.got[2]!.verifiedBy, [0, 1]);
    const after = await eventually(
      async () => {
        const d = await call('GET', `/v1/endpoints/${id}/messages/${e1.messageId}`);
        return d.body.attempts === 4 ? (d.body as Record<string, Json>) : undefined;
      },
      20_000,
      'manual attempt logged',
    );
    assert.equal(after.attemptLog.at(-1).trigger, 'manual');
    assert.equal((await call('POST', `/v1/endpoints/${id}/messages/msg_nope/retry`)).status, 404);
  });

  it('bulk recover re-sends every failed message since a time, in order, once the endpoint is fixed', async () => {
    let healthy = false;
    const r = await receiver(() => (healthy ? { status: 200 } : { status: 500 }));
    receivers.push(r);
    const created = await call('POST', '/v1/endpoints', { url: r.url, eventTypes: ['invoice.*'] });
    const id: string = created.body.id;
    r.secrets = [created.body.secret];
    await new Promise((res) => setTimeout(res, 300));
    const since = new Date().toISOString();
    const events = [0, 1, 2, 3].map((n) => event(n < 2 ? 'inv-a' : 'inv-b', n % 2, { eventType: 'invoice.sent' }));
    await k.send(events);
    const dead = await eventually(
      async () => {
        const d = await call('GET', `/v1/deliveries?endpointId=${id}&status=DEAD`);
        return d.body.data.length === 4 ? (d.body.data as Json[]) : undefined;
      },
      30_000,
      'all four DEAD after 3 attempts',
    );
    assert.ok(dead.every((s: Json) => s.attempts === 3 && s.lastStatusCode === 500));

    healthy = true;
    assert.equal((await call('POST', `/v1/endpoints/${id}/recover`, {})).status, 400);
    const rec = await call('POST', `/v1/endpoints/${id}/recover`, { since });
    assert.equal(rec.status, 202);
    assert.equal(rec.body.queued, 4);
    await eventually(() => (r.got.length >= 4 ? true : undefined), 20_000, 'recovered deliveries');
    assert.deepEqual(r.got.map((g) => g.id).sort(), events.map((e) => e.messageId).sort());
    for (const res of ['inv-a', 'inv-b'])
      assert.deepEqual(
        r.got.filter((g) => g.json.resource === res).map((g) => g.json.seq),
        [0, 1],
      );
    await eventually(
      async () => {
        const d = await call('GET', `/v1/deliveries?endpointId=${id}&status=SUCCEEDED`);
        return d.body.data.length === 4 ? true : undefined;
      },
      20_000,
      'log shows them succeeded',
    );
  });
});
