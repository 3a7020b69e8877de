/**
 * Thin webhooks end to end, on the real Kafka, registry and Redis with every service its own process:
 * a Mollie classic webhook (form body `id=tr_…`, nothing else) arrives at the ingress, the validator
 * sends it to webhooks.enrich, the processors' enrichment stage fetches the payment from a local
 * "Mollie API" on 127.0.0.1 (answering the documented Get payment shape, test/fixtures/mollie/
 * get-payment-paid.json) and writes it to webhooks.normalized, and the sequencer puts a canonical
 * Payment on events.payments with the same shape as a Stripe payment's. Plus: a 503 then 200 is
 * delivered once and in order; a 404 ends in webhooks.dlq with the reason and the full envelope bytes.
 * Nothing leaves loopback: every source's API base URL is asserted to be 127.0.0.1 before anything is sent.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeadLetter, DomainEvent, NormalizedEnvelope } from '../../services/common/contracts/index.ts';
import { createRegistry } from '../../services/common/schemas.ts';
import { topicName } from '../../services/common/topics.ts';
import { hasApiCredential } from '../../services/providers/enrichment.ts';
import { getProvider } from '../../services/providers/index.ts';
import type { SourceConfig } from '../../services/providers/types.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, provision, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';
import { ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';

const prefix = uniquePrefix('enrich');
const STRIPE_SECRET = 'whsec_test_hookline_local_only_not_a_real_secret';
const MOLLIE_TOKEN = 'test-mollie-classic-url-token-local-only';
const MOLLIE_KEY = 'test_mollie_api_key_local_only';
const PAYMENT = JSON.parse(readFileSync(`${ROOT}test/fixtures/mollie/get-payment-paid.json`, 'utf8')) as Record<
  string,
  unknown
>;
const run = Date.now();
const ids = { paid: `tr_e2epaid${run}`, flaky: `tr_e2eflaky${run}`, missing: `tr_e2emissing${run}` };

/** Same keys at every level and the same JSON type wherever both are set (as test/e2e/canonical.test.ts). */
function assertSameShape(a: unknown, b: unknown, path: string): void {
  if (a === null || b === null) return;
  assert.equal(Array.isArray(a), Array.isArray(b), `${path}: array on one side only`);
  assert.equal(typeof a, typeof b, `${path}: ${typeof a} vs ${typeof b}`);
  if (typeof a !== 'object' || Array.isArray(a) || path.endsWith('.metadata')) return;
  const ka = Object.keys(a).sort();
  assert.deepEqual(ka, Object.keys(b as object).sort(), `${path}: different keys`);
  for (const k of ka)
    assertSameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
}

/** The local Mollie API: path → answers in turn (the last one repeats); every request is recorded. */
const answers = new Map<string, { status: number; body: unknown }[]>();
const requests: { path: string; auth: string | undefined }[] = [];
let api: Server;

describe('thin webhooks end to end: Mollie classic id=tr_… is enriched before events.payments', () => {
  const services: ServiceProcess[] = [];
  let payments: Collector;
  let dlq: Collector;
  let ingress = '';
  const registry = createRegistry(stackConfig.SCHEMA_REGISTRY_URL);

  const decodeAll = async (c: Collector) =>
    Promise.all(c.messages.map(async (m) => JSON.parse(JSON.stringify(await registry.decode(m.value!))) as unknown));
  const eventsOf = async (id: string) =>
    ((await decodeAll(payments)) as DomainEvent[]).filter((e) => e.resourceId === id);

  const postClassic = async (id: string) => {
    const res = await fetch(`${ingress}/webhooks/mollie-classic-e2e?token=${MOLLIE_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=${id}`,
    });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    api = createServer((req, res) => {
      const path = req.url ?? '';
      requests.push({ path, auth: req.headers.authorization });
      const queue = answers.get(path) ?? [{ status: 404, body: { status: 404, title: 'Not Found' } }];
      const a = queue.length > 1 ? queue.shift()! : queue[0]!;
      res.writeHead(a.status, { 'content-type': 'application/hal+json' });
      res.end(JSON.stringify(a.body));
    });
    await new Promise<void>((ok) => api.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const example = JSON.parse(readFileSync(`${ROOT}deploy/local/sources.example.json`, 'utf8')) as {
      sources: SourceConfig[];
    };
    const sources: SourceConfig[] = [
      ...example.sources,
      {
        id: 'mollie-classic-e2e',
        provider: 'mollie',
        secrets: [MOLLIE_TOKEN],
        options: { apiKey: 'env:E2E_MOLLIE_API_KEY', apiBaseUrl: base },
      },
    ];
    // Nothing leaves loopback: every source that could fetch points at the local API.
    for (const s of sources) {
      const options = s.options ?? {};
      const fetches = getProvider(s.provider)?.enrichment !== undefined && hasApiCredential({ ...s, options });
      if (fetches || options.apiBaseUrl !== undefined)
        assert.match(String(options.apiBaseUrl), /^http:\/\/127\.0\.0\.1:\d+$/, `${s.id} must point at loopback`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'hookline-enrich-'));
    writeFileSync(join(dir, 'sources.json'), JSON.stringify({ sources }));
    const env = {
      SOURCES_FILE: join(dir, 'sources.json'),
      REDIS_KEY_PREFIX: `hookline-test:${prefix}`,
      E2E_MOLLIE_API_KEY: MOLLIE_KEY,
      PROCESSORS_ENRICH_RETRY_DELAYS_MS: '1000,2000,4000',
    };

    await provision(prefix);
    for (const name of ['ingress', 'validator', 'sequencer', 'processors'])
      services.push(await startServiceProcess(name, prefix, env));
    ingress = `http://127.0.0.1:${services[0]!.port}`;
    payments = await collect(testKafka(), topicName(prefix, 'events.payments'));
    dlq = await collect(testKafka(), topicName(prefix, 'webhooks.dlq'));
  });

  it('a classic webhook arrives as a canonical Payment with the shape of a Stripe payment', async () => {
    answers.set(`/v2/payments/${ids.paid}`, [{ status: 200, body: { ...PAYMENT, id: ids.paid } }]);
    const created = Math.floor(Date.now() / 1000);
    const pi = `pi_enrich_${run}`;
    const stripe = JSON.stringify({
      id: `evt_enrich_${run}`,
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
          metadata: { order_id: '12345' },
          created,
        },
      },
    });
    const sig = createHmac('sha256', STRIPE_SECRET).update(`${created}.${stripe}`).digest('hex');
    const r = await fetch(`${ingress}/webhooks/stripe-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${created},v1=${sig}` },
      body: stripe,
    });
    assert.equal(r.status, 200);
    await postClassic(ids.paid);

    const [stripeEvent, mollieEvent] = await eventually(
      async () => {
        const [s] = await eventsOf(pi);
        const [m] = await eventsOf(ids.paid);
        return s && m ? [s, m] : undefined;
      },
      60_000,
      'both payments on events.payments',
    );
    assert.deepEqual(
      requests.filter((q) => q.path === `/v2/payments/${ids.paid}`),
      [{ path: `/v2/payments/${ids.paid}`, auth: `Bearer ${MOLLIE_KEY}` }],
      'fetched once, with the source key',
    );
    const sp = stripeEvent.canonical!.payment!;
    const mp = mollieEvent.canonical!.payment!;
    assert.equal(mollieEvent.canonical!.entity, 'payment');
    assertSameShape(sp, mp, 'payment');
    assert.deepEqual(mp.amount, { amountMinor: 1000, currency: 'EUR' });
    assert.deepEqual(mp.amount, sp.amount);
    assert.equal(mp.status, 'succeeded');
    assert.equal(sp.status, 'succeeded');
    assert.equal(mp.providerStatus, 'paid', 'provider status verbatim');
    assert.equal(sp.providerStatus, 'succeeded');
    assert.equal(mp.id, ids.paid);
    assert.equal(mollieEvent.eventType, 'payment.changed');
    assert.deepEqual(mollieEvent.ordering, {
      kind: 'STATUS',
      value: Date.parse(PAYMENT.paidAt as string),
      statusRank: 3,
    });
    assert.match(
      mollieEvent.payload,
      /"_embedded":\{"entity":\{"resource":"payment"/,
      'the fetched object is in the payload',
    );
  });

  it('503 then 200: delivered once, and a later change of the resource after it, in order', async () => {
    const path = `/v2/payments/${ids.flaky}`;
    answers.set(path, [
      { status: 503, body: { status: 503, title: 'Service Unavailable' } },
      { status: 200, body: { ...PAYMENT, id: ids.flaky } },
    ]);
    await postClassic(ids.flaky);
    const first = await eventually(async () => (await eventsOf(ids.flaky))[0], 60_000, 'the flaky payment');
    assert.equal(first.canonical!.payment!.status, 'succeeded');
    assert.deepEqual(
      requests.filter((q) => q.path === path).length,
      2,
      'one 503, one retry from webhooks.enrich.retry.* after its delay',
    );
    // The payment is refunded: Mollie calls the webhook again, the fetch now shows the refund.
    answers.set(path, [
      { status: 200, body: { ...PAYMENT, id: ids.flaky, amountRefunded: { value: '10.00', currency: 'EUR' } } },
    ]);
    await postClassic(ids.flaky);
    const both = await eventually(
      async () => {
        const es = await eventsOf(ids.flaky);
        return es.length >= 2 ? es : undefined;
      },
      60_000,
      'the refund after the payment',
    );
    await new Promise((r) => setTimeout(r, 3000)); // a duplicate would show up by now
    const all = await eventsOf(ids.flaky);
    assert.equal(all.length, 2, 'each webhook delivered exactly once');
    assert.deepEqual(
      both.map((e) => [e.position, e.canonical!.payment!.status]),
      [
        [1, 'succeeded'],
        [2, 'refunded'],
      ],
    );
    assert.equal(new Set(all.map((e) => e.eventId)).size, 2);
  });

  it('404: nothing on events.payments; webhooks.dlq holds the reason and the full envelope bytes', async () => {
    await postClassic(ids.missing);
    const dead = await eventually(
      async () => {
        const letters = (await decodeAll(dlq)) as (DeadLetter & { value: { type: 'Buffer'; data: number[] } })[];
        return letters.find((d) => d.stage === 'enrichment');
      },
      60_000,
      'the dead letter',
    );
    assert.equal(dead.reason, 'enrichment_http_404');
    assert.match(dead.error, new RegExp(`GET http://127\\.0\\.0\\.1:\\d+/v2/payments/${ids.missing} answered 404`));
    assert.equal(dead.sourceTopic, topicName(prefix, 'webhooks.enrich'), 'a redrive fetches again');
    assert.equal(dead.key, `mollie-classic-e2e:payment:${ids.missing}`);
    const envelope = (await registry.decode(Buffer.from(dead.value.data))) as NormalizedEnvelope;
    assert.equal(envelope.resourceId, ids.missing);
    assert.equal(envelope.payload, JSON.stringify({ id: ids.missing }));
    assert.ok(!JSON.stringify(dead).includes(MOLLIE_KEY), 'the API key is in no dead letter');
    assert.deepEqual(await eventsOf(ids.missing), []);
    for (const s of services) assert.ok(!s.output.join('').includes(MOLLIE_KEY), `${s.name} never logs the API key`);
  });

  after(async () => {
    await payments?.stop();
    await dlq?.stop();
    const codes = [];
    for (const s of services.reverse()) codes.push(await s.stop());
    api?.closeAllConnections();
    api?.close();
    assert.deepEqual(codes, [0, 0, 0, 0], 'every service exits 0 on SIGTERM');
  });
});
