/**
 * The whole platform, every service its own process, on the real Kafka, registry and Redis:
 * signed provider webhooks in at the ingress → validator → sequencer → processors → dispatcher →
 * a customer endpoint that verifies each delivery with the `standardwebhooks` library.
 * Also: provider retries are delivered once, a late event never overwrites newer state, a bad
 * signature is refused, one trace runs from the provider's POST to the customer's endpoint, the
 * delivery log shows the attempts, and every service shuts down cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runDemo, type DemoResult } from '../../scripts/demo.ts';
import { H } from '../../services/common/kafka/types.ts';
import { topicName } from '../../services/common/topics.ts';
import { collect } from '../helpers/collect.ts';
import { provision, testKafka, uniquePrefix } from '../helpers/env.ts';
import { ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';

const prefix = uniquePrefix('e2e');
const ADMIN_KEY = 'e2e-admin-key-0123456789';
const env = {
  SOURCES_FILE: `${ROOT}deploy/local/sources.example.json`,
  ADMIN_API_KEYS: `${ADMIN_KEY}:*`,
  ADMIN_ALLOW_HTTP: 'true',
  DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  REDIS_KEY_PREFIX: `hookline-test:${prefix}`,
};
const ORDER = ['ingress', 'admin', 'validator', 'sequencer', 'processors', 'dispatcher'];

describe('end to end: provider POST → customer endpoint', () => {
  const services = new Map<string, ServiceProcess>();
  let result: DemoResult;

  before(async () => {
    await provision(prefix);
    for (const name of ORDER) services.set(name, await startServiceProcess(name, prefix, env));
    result = await runDemo({
      ingressUrl: `http://127.0.0.1:${services.get('ingress')!.port}`,
      adminUrl: `http://127.0.0.1:${services.get('admin')!.port}`,
      adminKey: ADMIN_KEY,
      stripeSource: 'stripe-test',
      stripeSecret: 'whsec_test_hookline_local_only_not_a_real_secret',
      githubSource: 'github-test',
      githubSecret: 'test-github-secret-local-only',
      timeoutMs: 90_000,
    });
  });

  it('acknowledges signed webhooks and refuses the forged one', () => {
    assert.deepEqual(result.ingressStatuses, [200, 200, 200, 200, 401, 200]);
  });

  it('delivers each event once, signed (verified by standardwebhooks), in provider order', () => {
    assert.ok(result.deliveries.length > 0, 'something was delivered');
    for (const d of result.deliveries) assert.ok(d.verified, `delivery ${d.webhookId} verified`);
    const payment = result.deliveries.filter((d) => d.type.startsWith('payment.'));
    // created → succeeded; the late "processing" is stale (not applied), the retry is a duplicate.
    assert.deepEqual(
      payment.map((d) => d.type),
      ['payment.updated', 'payment.succeeded'],
    );
    assert.equal(
      new Set(result.deliveries.map((d) => d.webhookId)).size,
      result.deliveries.length,
      'no webhook-id twice',
    );
    assert.equal(result.deliveries.filter((d) => d.type.startsWith('issue')).length, 1, 'the GitHub issue event once');
    // data is the canonical Payment (provider-neutral, self-contained; see test/e2e/canonical.test.ts).
    const data = payment[1]!.body.data as { entity: string; id: string; status: string; amount: unknown };
    assert.equal(data.entity, 'payment');
    assert.equal(data.id, result.paymentId);
    assert.equal(data.status, 'succeeded', 'self-contained body carries the full state');
    assert.deepEqual(data.amount, { amountMinor: 2500, currency: 'EUR' });
  });

  it('carries one trace from the provider POST (webhooks.raw) to the customer endpoint', async () => {
    const raw = await collect(testKafka(), topicName(prefix, 'webhooks.raw'));
    try {
      const deadline = Date.now() + 20_000;
      while (raw.messages.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const succeeded = raw.messages
        .filter((m) => m.value!.toString().includes('"payment_intent.succeeded"'))
        .sort((a, b) => Number(a.offset) - Number(b.offset));
      assert.equal(succeeded.length, 2, 'the original and the provider retry were both stored raw');
      const firstTrace = succeeded[0]!.headers[H.traceparent]!.split('-')[1];
      const delivered = result.deliveries.find((d) => d.type === 'payment.succeeded')!;
      assert.ok(delivered.traceparent, 'the dispatcher sends traceparent to the endpoint');
      assert.equal(delivered.traceparent.split('-')[1], firstTrace, 'same trace id at the ingress and at the endpoint');
    } finally {
      await raw.stop();
    }
  });

  it('shows the attempts in the delivery log', () => {
    const text = JSON.stringify(result.log);
    assert.match(text, /SUCCEEDED/);
    assert.ok(text.includes(result.endpointId));
  });

  after(async () => {
    const codes: Record<string, number | null> = {};
    for (const name of [...ORDER].reverse()) {
      const svc = services.get(name);
      if (svc) codes[name] = await svc.stop();
    }
    assert.deepEqual(
      codes,
      Object.fromEntries(
        [...ORDER]
          .reverse()
          .filter((n) => services.has(n))
          .map((n) => [n, 0]),
      ),
      'every service exits 0 on SIGTERM',
    );
  });
});
