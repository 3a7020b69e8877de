/**
 * Issue 10 end to end, on the real Kafka, registry and Redis with every service its own process: a
 * Stripe payment (payment_intent.succeeded) and a Mollie payment (next-gen payment.paid with its
 * snapshot) arrive at the ingress signed as each platform signs, and come out
 *   - on events.payments as the same canonical Payment shape (decoded with the registry's schema),
 *   - on outbound.events with the same outbound `data` shape,
 * while the provider payload is still there, unchanged, for consumers that read it.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createRegistry } from '../../services/common/schemas.ts';
import { topicName } from '../../services/common/topics.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, provision, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';
import { ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';

const prefix = uniquePrefix('canonical');
const env = { SOURCES_FILE: `${ROOT}deploy/local/sources.example.json`, REDIS_KEY_PREFIX: `hookline-test:${prefix}` };
const STRIPE_SECRET = 'whsec_test_hookline_local_only_not_a_real_secret';
const MOLLIE_SECRET = 'test-mollie-secret-local-only';

/**
 * Same shape: the same keys at every level, and the same JSON type wherever both values are set (a
 * field one provider cannot fill is null, by the rule "what a record cannot fill stays null").
 */
function assertSameShape(a: unknown, b: unknown, path = 'data'): void {
  if (a === null || b === null) return;
  assert.equal(Array.isArray(a), Array.isArray(b), `${path}: array on one side only`);
  assert.equal(typeof a, typeof b, `${path}: ${typeof a} vs ${typeof b}`);
  if (typeof a !== 'object' || Array.isArray(a) || path.endsWith('.metadata')) return;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b as object).sort();
  assert.deepEqual(ka, kb, `${path}: different keys`);
  for (const k of ka)
    assertSameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
}

describe('canonical records end to end: Stripe and Mollie payments look the same downstream', () => {
  const services: ServiceProcess[] = [];
  let payments: Collector;
  let outbound: Collector;
  let ingress = '';
  const pi = `pi_canonical_${Date.now()}`;

  before(async () => {
    await provision(prefix);
    for (const name of ['ingress', 'validator', 'sequencer', 'processors']) {
      services.push(await startServiceProcess(name, prefix, env));
    }
    ingress = `http://127.0.0.1:${services[0]!.port}`;
    payments = await collect(testKafka(), topicName(prefix, 'events.payments'));
    outbound = await collect(testKafka(), topicName(prefix, 'outbound.events'));
  });

  it('posts both payments and gets 200 from the ingress', async () => {
    const created = Math.floor(Date.now() / 1000);
    const stripe = JSON.stringify({
      id: `evt_canonical_${Date.now()}`,
      object: 'event',
      created,
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: pi,
          object: 'payment_intent',
          amount: 1000,
          currency: 'eur',
          status: 'succeeded',
          payment_method_types: ['ideal'],
          customer: 'cus_1',
          description: 'Order #12345',
          metadata: { order_id: '12345' },
          created,
        },
      },
    });
    const sig = createHmac('sha256', STRIPE_SECRET).update(`${created}.${stripe}`).digest('hex');
    const r1 = await fetch(`${ingress}/webhooks/stripe-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${created},v1=${sig}` },
      body: stripe,
    });
    const mollie = readFileSync(`${ROOT}test/fixtures/mollie-signed/event-payment-paid.json`, 'utf8');
    const r2 = await fetch(`${ingress}/webhooks/mollie-signed-test`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-mollie-signature': `sha256=${createHmac('sha256', MOLLIE_SECRET).update(mollie).digest('hex')}`,
      },
      body: mollie,
    });
    assert.deepEqual([r1.status, r2.status], [200, 200]);
  });

  it('events.payments carries the same canonical Payment shape for both, next to the untouched payload', async () => {
    const registry = createRegistry(stackConfig.SCHEMA_REGISTRY_URL);
    const decoded = await eventually(
      async () => {
        if (payments.messages.length < 2) return undefined;
        const values = await Promise.all(payments.messages.map((m) => registry.decode(m.value!)));
        // plain JSON, as a consumer in any language sees the record
        return values.map((v) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>);
      },
      60_000,
      'both payments on the topic',
    );
    const byProvider = new Map(decoded.map((e) => [e.provider as string, e]));
    const stripe = byProvider.get('stripe')!;
    const mollie = byProvider.get('mollie-signed')!;
    assert.ok(stripe && mollie, 'one event from each provider');
    const sp = (stripe.canonical as { entity: string; payment: Record<string, unknown> }).payment;
    const mp = (mollie.canonical as { entity: string; payment: Record<string, unknown> }).payment;
    assert.equal((stripe.canonical as { entity: string }).entity, 'payment');
    assert.equal((mollie.canonical as { entity: string }).entity, 'payment');
    assertSameShape(sp, mp, 'payment');
    for (const p of [sp, mp]) {
      assert.equal(p.status, 'succeeded');
      assert.deepEqual(p.amount, { amountMinor: 1000, currency: 'EUR' });
      assert.equal(p.method, 'ideal');
      assert.equal(p.description, 'Order #12345');
      assert.deepEqual(p.metadata, { order_id: '12345' });
    }
    assert.equal(sp.id, pi);
    assert.equal(mp.id, 'tr_WDqYK6vllg');
    assert.match(stripe.payload as string, /"payment_intent.succeeded"/, 'provider payload unchanged');
  });

  it('outbound.events carries the same `data` shape for both', async () => {
    const registry = createRegistry(stackConfig.SCHEMA_REGISTRY_URL);
    const bodies = await eventually(
      async () => {
        if (outbound.messages.length < 2) return undefined;
        const values = await Promise.all(
          outbound.messages.map((m) => registry.decode(m.value!) as Promise<{ payload: string }>),
        );
        return values.map((v) => JSON.parse(v.payload) as { type: string; data: Record<string, unknown> });
      },
      60_000,
      'both payments on the topic',
    );
    const [a, b] = bodies.map((x) => x.data);
    assert.equal(a!.entity, 'payment');
    assertSameShape(a, b);
    assert.deepEqual(new Set(bodies.map((x) => x.data.id)), new Set([pi, 'tr_WDqYK6vllg']));
    for (const x of bodies) assert.equal(x.data.provider, undefined, 'provider-neutral: no provider fields in data');
  });

  after(async () => {
    await payments?.stop();
    await outbound?.stop();
    const codes = [];
    for (const s of services.reverse()) codes.push(await s.stop());
    assert.deepEqual(codes, [0, 0, 0, 0], 'every service exits 0 on SIGTERM');
  });
});
