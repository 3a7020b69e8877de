/**
 * Retries against the real stack: per-resource order with an endpoint that fails then recovers
 * (the next waits while the previous retries; other resources are not held up), 410 disables,
 * Retry-After honoured, max attempts → outbound.dlq, continuous failure disables + ops.events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, testKafka, uniquePrefix } from '../helpers/env.ts';
import type { RunningService } from '../../services/common/service.ts';
import type { DeliveryAttempt, OutboundEvent } from '../../services/common/contracts/index.ts';
import {
  event,
  inOrderPerResource,
  isOrdered,
  kit,
  receiver,
  startInProcess,
  type Kit,
  type Receiver,
} from './helpers.ts';

let k: Kit;
let svc: RunningService;
let attempts: Collector;
let ops: Collector;
let dlq: Collector;
const receivers: Receiver[] = [];
const ep = (url: string, type: string) =>
  k.store.create({ url, description: type, eventTypes: [type], headers: {}, rateLimitPerSecond: null });
const settle = () => new Promise((r) => setTimeout(r, 300));

async function attemptsOf(endpointId: string): Promise<DeliveryAttempt[]> {
  const out: DeliveryAttempt[] = [];
  for (const m of attempts.messages) {
    const a = await k.avro.decode<DeliveryAttempt>(m.value!);
    if (a.endpointId === endpointId) out.push(a);
  }
  return out.sort((x, y) => x.attemptedAt - y.attemptedAt);
}

describe('dispatcher retries', () => {
  before(async () => {
    k = await kit(uniquePrefix('dsp-retries'));
    svc = await startInProcess(k, {
      DISPATCHER_RETRY_SCHEDULE: '0,150ms,150ms,150ms,150ms',
      DISPATCHER_DISABLE_AFTER_MS: '2500',
      DISPATCHER_BREAKER_FAILURES: '1000',
    });
    attempts = await collect(testKafka(), k.t('outbound.attempts'));
    ops = await collect(testKafka(), k.t('ops.events'));
    dlq = await collect(testKafka(), k.t('outbound.dlq'));
  });
  after(async () => {
    await svc?.stop();
    await Promise.all([attempts, ops, dlq].map((c) => c?.stop()));
    await Promise.all(receivers.map((r) => r.close()));
    await k?.close();
  });

  it('keeps one resource in order while its head retries; other resources proceed', async () => {
    // Resource "slow": its first message fails 3 times, then the endpoint recovers.
    let failuresLeft = 3;
    const r = await receiver((_req, body) => {
      const j = JSON.parse(body) as { resource: string; seq: number };
      if (j.resource === 'slow' && j.seq === 0 && failuresLeft > 0) {
        failuresLeft--;
        return { status: 500, body: 'not yet' };
      }
      return { status: 200 };
    });
    receivers.push(r);
    const e = await ep(r.url, 'order.test');
    r.secrets = [e.secrets[0]!.key];
    await settle();
    const events: OutboundEvent[] = [];
    for (let i = 0; i < 10; i++)
      events.push(event('slow', i, { eventType: 'order.test' }), event('fast', i, { eventType: 'order.test' }));
    await k.send(events);
    await eventually(() => (new Set(r.got.map((g) => g.id)).size >= 20 ? true : undefined), 30_000, 'all 20 delivered');
    const by = inOrderPerResource(r.got);
    assert.deepEqual(by.get('slow'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(by.get('fast'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(isOrdered(by.get('slow')!));
    const fastDone = r.got.filter((g) => g.json.resource === 'fast').at(-1)!.at;
    const slowFirst = r.got.find((g) => g.json.resource === 'slow')!.at;
    assert.ok(fastDone <= slowFirst + 50, 'the fast resource did not wait for the slow one');
    for (const g of r.got) assert.deepEqual(g.verifiedBy, [0]);
    const log = await eventually(
      async () => {
        const l = await attemptsOf(e.id);
        return l.filter((a) => a.outcome === 'SUCCEEDED').length >= 20 ? l : undefined;
      },
      10_000,
      'attempt log',
    );
    const slow0 = log.filter((a) => a.messageId === events[0]!.messageId);
    assert.deepEqual(
      slow0.map((a) => [a.attempt, a.outcome, a.statusCode]),
      [
        [1, 'FAILED', 500],
        [2, 'FAILED', 500],
        [3, 'FAILED', 500],
        [4, 'SUCCEEDED', 200],
      ],
    );
    assert.equal(slow0[0]!.responseExcerpt, 'not yet');
    assert.ok(slow0[0]!.nextAttemptAt! >= slow0[0]!.attemptedAt);
  });

  it('410 Gone disables the endpoint and emits an operational event', async () => {
    const r = await receiver(() => ({ status: 410 }));
    receivers.push(r);
    const e = await ep(r.url, 'gone.test');
    await settle();
    await k.send([event('g', 0, { eventType: 'gone.test' }), event('g', 1, { eventType: 'gone.test' })]);
    await eventually(
      async () => ((await k.store.get(e.id))?.state.enabled === false ? true : undefined),
      20_000,
      'endpoint disabled',
    );
    assert.equal((await k.store.get(e.id))!.state.reason, 'gone');
    await eventually(
      () =>
        ops.messages.some(
          (m) => m.value!.toString().includes(e.id) && m.value!.toString().includes('endpoint.disabled'),
        )
          ? true
          : undefined,
      10_000,
      'ops event',
    );
    const log = await eventually(
      async () => {
        const l = await attemptsOf(e.id);
        return l.length >= 2 ? l : undefined;
      },
      10_000,
      'attempts',
    );
    assert.deepEqual(
      log.map((a) => a.outcome),
      ['DEAD', 'DEAD'],
    );
    assert.equal(log[0]!.statusCode, 410);
    assert.match(log[1]!.error ?? '', /endpoint disabled \(gone\)/);
  });

  it('honours Retry-After on 429', async () => {
    const times: number[] = [];
    const r = await receiver((_req, _body, n) => {
      times.push(Date.now());
      return n === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    });
    receivers.push(r);
    await ep(r.url, 'throttle.test');
    await settle();
    await k.send([event('t', 0, { eventType: 'throttle.test' })]);
    await eventually(() => (r.got.length >= 1 ? true : undefined), 20_000, 'delivered after Retry-After');
    assert.ok(times[1]! - times[0]! >= 1900, `waited ${times[1]! - times[0]!} ms for Retry-After: 2`);
  });

  it('gives up after the last scheduled attempt: outbound.dlq holds the message for that endpoint', async () => {
    const r = await receiver(() => ({ status: 500 }));
    receivers.push(r);
    const e = await ep(r.url, 'dead.test');
    await settle();
    const msg = event('d', 0, { eventType: 'dead.test' });
    await k.send([msg]);
    const log = await eventually(
      async () => {
        const l = await attemptsOf(e.id);
        return l.some((a) => a.outcome === 'DEAD') ? l : undefined;
      },
      20_000,
      'dead attempt',
    );
    assert.deepEqual(
      log.map((a) => a.outcome),
      ['FAILED', 'FAILED', 'FAILED', 'FAILED', 'DEAD'],
    );
    const dl = await eventually(
      async () => {
        for (const m of dlq.messages) {
          const d = await k.avro.decode<{ id: string; reason: string; attempts: number; value: Buffer }>(m.value!);
          if (d.id === `${msg.messageId}/${e.id}`) return d;
        }
        return undefined;
      },
      10_000,
      'dlq record',
    );
    assert.equal(dl.reason, 'max_attempts');
    assert.equal(dl.attempts, 5);
    const original = await k.avro.decode<{ messageId: string; endpointId: string; payload: string }>(dl.value);
    assert.deepEqual([original.messageId, original.endpointId, original.payload], [msg.messageId, e.id, msg.payload]);
  });

  it('disables an endpoint that keeps failing longer than the configured time', async () => {
    const r = await receiver(() => ({ status: 502 }));
    receivers.push(r);
    const e = await ep(r.url, 'failing.test');
    await settle();
    // Several resources, so attempts keep coming while the streak ages past 2.5 s.
    for (let i = 0; i < 6; i++) {
      await k.send([event(`f${i}`, 0, { eventType: 'failing.test' })]);
      await new Promise((res) => setTimeout(res, 500));
    }
    await eventually(
      async () => ((await k.store.get(e.id))?.state.reason === 'failing' ? true : undefined),
      20_000,
      'disabled as failing',
    );
    await eventually(
      () =>
        ops.messages.some((m) => m.value!.toString().includes(e.id) && m.value!.toString().includes('"failing"'))
          ? true
          : undefined,
      10_000,
      'ops event',
    );
  });
});
