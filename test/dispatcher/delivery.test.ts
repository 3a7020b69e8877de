/**
 * Deliveries against the real stack: signed (verified by the standardwebhooks library, also while
 * a secret rotates), event-type filters, custom headers, trace context, SSRF refusal, manual retry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect } from '../helpers/collect.ts';
import { eventually, testKafka, uniquePrefix } from '../helpers/env.ts';
import type { RunningService } from '../../services/common/service.ts';
import type { DeliveryAttempt } from '../../services/common/contracts/index.ts';
import { event, kit, receiver, startInProcess, type Kit, type Receiver } from './helpers.ts';

let k: Kit;
let svc: RunningService;
const receivers: Receiver[] = [];

describe('dispatcher deliveries', () => {
  before(async () => {
    k = await kit(uniquePrefix('dsp-delivery'));
    svc = await startInProcess(k);
  });
  after(async () => {
    await svc?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await k?.close();
  });

  it('signs every delivery per Standard Webhooks, with the filters, headers and trace context', async () => {
    const all = await receiver();
    const other = await receiver();
    receivers.push(all, other);
    const epAll = await k.store.create({
      url: all.url,
      description: 'all payments',
      eventTypes: ['payment.*'],
      headers: { 'x-tenant': 't1', 'webhook-id': 'forged' },
      rateLimitPerSecond: null,
    });
    const epOther = await k.store.create({
      url: other.url,
      description: 'only refunds',
      eventTypes: ['refund.created'],
      headers: {},
      rateLimitPerSecond: null,
    });
    all.secrets = [epAll.secrets[0]!.key];
    other.secrets = [epOther.secrets[0]!.key];
    await new Promise((r) => setTimeout(r, 300));
    const events = [
      event('a', 0),
      event('a', 1),
      event('b', 0, { eventType: 'payment.failed' }),
      event('c', 0, { eventType: 'refund.created' }),
    ];
    await k.send(events);
    await eventually(() => (all.got.length >= 3 && other.got.length >= 1 ? true : undefined), 20_000, 'deliveries');
    for (const g of [...all.got, ...other.got])
      assert.deepEqual(g.verifiedBy, [0], `${g.id} verified by standardwebhooks`);
    assert.deepEqual(
      all.got.map((g) => g.id).sort(),
      events
        .slice(0, 3)
        .map((e) => e.messageId)
        .sort(),
    );
    assert.deepEqual(
      other.got.map((g) => g.id),
      [events[3]!.messageId],
    );
    const a0 = all.got.find((g) => g.id === events[0]!.messageId)!;
    assert.equal(a0.body, events[0]!.payload, 'body is the payload, byte for byte');
    assert.equal(a0.headers['x-tenant'], 't1');
    assert.equal(a0.headers['webhook-id'], events[0]!.messageId, 'custom headers cannot override webhook-*');
    assert.equal(a0.headers['content-type'], 'application/json');
    assert.match(a0.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.ok(Math.abs(Number(a0.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
  });

  it('carries both signatures during a secret rotation; each secret verifies alone', async () => {
    const r = await receiver();
    receivers.push(r);
    const ep = await k.store.create({
      url: r.url,
      description: 'rotating',
      eventTypes: ['rotation.*'],
      headers: {},
      rateLimitPerSecond: null,
    });
    const oldSecret = ep.secrets[0]!.key;
    r.secrets = [oldSecret];
    await new Promise((res) => setTimeout(res, 300));
    await k.send([event('rot', 0, { eventType: 'rotation.test' })]);
    await eventually(() => (r.got.length >= 1 ? true : undefined), 20_000, 'before rotation');
    const rotated = await k.store.rotateSecret(ep.id, 60_000);
    const newSecret = rotated!.secrets[0]!.key;
    r.secrets = [oldSecret, newSecret];
    await new Promise((res) => setTimeout(res, 300));
    await k.send([event('rot', 1, { eventType: 'rotation.test' })]);
    await eventually(() => (r.got.length >= 2 ? true : undefined), 20_000, 'after rotation');
    assert.deepEqual(r.got[0]!.verifiedBy, [0], 'before: old secret only');
    assert.deepEqual(r.got[1]!.verifiedBy, [0, 1], 'during grace: old and new both verify');
    assert.equal(r.got[1]!.headers['webhook-signature']!.split(' ').length, 2);
    // Grace over: only the new secret signs.
    await k.store.rotateSecret(ep.id, 0);
    const latest = (await k.store.get(ep.id))!.secrets[0]!.key;
    r.secrets = [oldSecret, newSecret, latest];
    await new Promise((res) => setTimeout(res, 300));
    await k.send([event('rot', 2, { eventType: 'rotation.test' })]);
    await eventually(() => (r.got.length >= 3 ? true : undefined), 20_000, 'after grace');
    assert.deepEqual(r.got[2]!.verifiedBy, [2]);
  });

  it('refuses addresses outside the allowlist (SSRF) and records the refusal', async () => {
    const attempts = await collect(testKafka(), k.t('outbound.attempts'));
    try {
      const ep = await k.store.create({
        url: 'http://127.0.0.2:9/hook',
        description: 'loopback not allowed',
        eventTypes: ['ssrf.test'],
        headers: {},
        rateLimitPerSecond: null,
      });
      const meta = await k.store.create({
        url: 'http://169.254.169.254/latest/meta-data',
        description: 'metadata',
        eventTypes: ['ssrf.test'],
        headers: {},
        rateLimitPerSecond: null,
      });
      await new Promise((res) => setTimeout(res, 300));
      const e = event('ssrf', 0, { eventType: 'ssrf.test' });
      await k.send([e]);
      const decoded = await eventually(
        async () => {
          const mine: DeliveryAttempt[] = [];
          for (const m of attempts.messages) {
            const a = await k.avro.decode<DeliveryAttempt>(m.value!);
            if (a.messageId === e.messageId) mine.push(a);
          }
          return mine.some((a) => a.endpointId === ep.id) && mine.some((a) => a.endpointId === meta.id)
            ? mine
            : undefined;
        },
        20_000,
        'attempt records',
      );
      const first = decoded.find((a) => a.endpointId === ep.id && a.attempt === 1)!;
      assert.equal(first.outcome, 'FAILED');
      assert.equal(first.statusCode, null);
      assert.match(first.error ?? '', /refused.*127\.0\.0\.2 is loopback/);
      assert.match(decoded.find((a) => a.endpointId === meta.id)!.error ?? '', /169\.254\.169\.254 is link-local/);
      await k.store.delete(ep.id);
      await k.store.delete(meta.id);
    } finally {
      await attempts.stop();
    }
  });

  it('a manual retry (endpointId set) goes to that endpoint only, same webhook-id', async () => {
    const a = await receiver();
    const b = await receiver();
    receivers.push(a, b);
    const epA = await k.store.create({
      url: a.url,
      description: 'a',
      eventTypes: ['manual.*'],
      headers: {},
      rateLimitPerSecond: null,
    });
    await k.store.create({
      url: b.url,
      description: 'b',
      eventTypes: ['manual.*'],
      headers: {},
      rateLimitPerSecond: null,
    });
    await new Promise((res) => setTimeout(res, 300));
    const e = event('man', 0, { eventType: 'manual.test' });
    await k.send([e]);
    await eventually(() => (a.got.length >= 1 && b.got.length >= 1 ? true : undefined), 20_000, 'fan-out');
    await k.send([{ ...e, endpointId: epA.id }]);
    await eventually(() => (a.got.length >= 2 ? true : undefined), 20_000, 'manual retry');
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(b.got.length, 1);
    assert.equal(a.got[1]!.id, e.messageId);
  });
});
