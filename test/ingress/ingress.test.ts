/**
 * The ingress against the real stack (Kafka, registry, Redis): a Stripe-signed webhook (signed by
 * the stripe SDK, the oracle) goes through the running service and is read back from
 * webhooks.raw byte-exact, with the contract's key and headers and the trace begun at the POST;
 * concurrent requests share Kafka round trips yet keep their own traces; the rate limit runs in
 * the real Redis; readiness and metrics are served.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import Stripe from 'stripe';
import { H } from '../../services/common/kafka/types.ts';
import { fromRawMessage, rawEventId } from '../../services/common/raw.ts';
import { startService, type RunningService } from '../../services/common/service.ts';
import { startTelemetry } from '../../services/common/telemetry.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { SPAN_REQUEST } from '../../services/ingress/app.ts';
import { ingressService } from '../../services/ingress/service.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, provision, serviceEnv, testKafka, uniquePrefix } from '../helpers/env.ts';

const spans = new InMemorySpanExporter();
const telemetry = startTelemetry({
  serviceName: 'hookline-ingress-it',
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
const prefix = uniquePrefix('ingress');
const kafka = testKafka();
const stripe = new Stripe('sk_test_unused');
const SECRET = 'whsec_test_ingress_integration_only';
const dir = mkdtempSync(join(tmpdir(), 'hookline-ingress-it-'));
const sourcesFile = join(dir, 'sources.json');

function stripeEvent(id: string, pad = 2500): string {
  // Whitespace, key order and non-ASCII exactly as a sender might write them: must survive byte-exact.
  return `{\n  "id": "${id}",\n  "object": "event",\n  "type": "payment_intent.succeeded",\n  "created": 1700000000,\n  "data": {"object": {"id": "pi_${id}", "object": "payment_intent", "status": "succeeded", "description": "Crème brûlée ☕ ${'x'.repeat(pad)}"}}\n}\n`;
}

function signed(body: string, secret = SECRET): RequestInit {
  const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': sig,
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
  };
}

describe('ingress on the real stack', () => {
  let svc: RunningService;
  let raw: Collector;
  let base: string;

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((t) => t.name === 'webhooks.raw'),
    );
    writeFileSync(
      sourcesFile,
      JSON.stringify({
        sources: [
          { id: 'stripe-it', provider: 'stripe', secrets: [SECRET] },
          {
            id: 'stripe-limited',
            provider: 'stripe',
            secrets: [SECRET],
            options: { rateLimitPerSecond: 0.5, rateLimitBurst: 2 },
          },
        ],
      }),
    );
    svc = await startService({
      ...ingressService(serviceEnv(prefix, { SOURCES_FILE: sourcesFile, HTTP_PORT: '0' })),
      telemetry,
    });
    base = `http://127.0.0.1:${svc.port}`;
    await eventually(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      30_000,
      'ingress ready',
    );
    raw = await collect(kafka, topicName(prefix, 'webhooks.raw'));
  });

  after(async () => {
    await raw?.stop();
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a Stripe-signed webhook lands on webhooks.raw byte-exact, keyed by resource, with the contract headers and the trace of the POST', async () => {
    const body = stripeEvent('evt_it_1');
    const res = await fetch(`${base}/webhooks/stripe-it`, signed(body));
    assert.equal(res.status, 200);
    const eventId = rawEventId('stripe-it', 'evt_it_1');
    assert.deepEqual(await res.json(), { received: true, ids: [eventId] });

    const m = await eventually(
      () => raw.messages.find((x) => x.headers[H.eventId] === eventId),
      30_000,
      'the raw record',
    );
    assert.ok(m.value!.equals(Buffer.from(body, 'utf8')), 'body byte-exact');
    assert.equal(m.key, 'stripe-it:payment_intent:pi_evt_it_1');
    assert.equal(m.headers[H.source], 'stripe-it');
    assert.equal(m.headers[H.provider], 'stripe');
    assert.equal(m.headers[H.deliveryId], 'evt_it_1');
    assert.equal(m.headers[H.contentType], 'application/json');
    const stored = JSON.parse(m.headers[H.requestHeaders]!) as Record<string, string>;
    assert.equal(stored['user-agent'], 'Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    assert.ok(stored['stripe-signature']?.startsWith('t='));
    const back = fromRawMessage(m);
    assert.equal(back.eventId, eventId);
    assert.ok(Math.abs(back.receivedAt.getTime() - Date.now()) < 60_000);

    const span = spans
      .getFinishedSpans()
      .find((s) => s.name === SPAN_REQUEST && s.spanContext().traceId === m.headers[H.traceparent]?.split('-')[1]);
    assert.ok(span, `the traceparent on Kafka (${m.headers[H.traceparent]}) is the ingress request span's trace`);
    assert.equal(m.headers[H.traceparent]!.split('-')[2], span.spanContext().spanId);
  });

  it('60 concurrent webhooks: all acknowledged, each stored once, each with its own trace', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `evt_conc_${i}`);
    const statuses = await Promise.all(
      ids.map(async (id) => (await fetch(`${base}/webhooks/stripe-it`, signed(stripeEvent(id, 3000)))).status),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    const records = await eventually(
      () => {
        const got = raw.messages.filter((m) => m.headers[H.deliveryId]?.startsWith('evt_conc_'));
        return got.length >= ids.length ? got : undefined;
      },
      30_000,
      'all concurrent records',
    );
    await new Promise((r) => setTimeout(r, 500));
    const again = raw.messages.filter((m) => m.headers[H.deliveryId]?.startsWith('evt_conc_'));
    assert.equal(again.length, ids.length, 'no duplicates');
    assert.deepEqual(new Set(records.map((m) => m.headers[H.deliveryId])), new Set(ids));
    assert.equal(
      new Set(records.map((m) => m.headers[H.traceparent]!.split('-')[1])).size,
      ids.length,
      'one trace per request',
    );
  });

  it('a bad signature is refused 401 with no detail, counted per source and reason, and nothing is stored', async () => {
    const before = raw.messages.length;
    const res = await fetch(`${base}/webhooks/stripe-it`, signed(stripeEvent('evt_forged'), 'whsec_attacker'));
    assert.equal(res.status, 401);
    assert.equal(await res.text(), '{"error":{"code":"unauthorized"}}');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /hookline_ingress_rejected_total\{source="stripe-it",reason="bad_signature"[^}]*\} 1/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(raw.messages.slice(before).filter((m) => m.headers[H.deliveryId] === 'evt_forged').length, 0);
  });

  it('per-source rate limit in Redis → 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/webhooks/stripe-limited`, signed(stripeEvent(`evt_rl_${i}`, 10)));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    assert.deepEqual(statuses.slice(0, 2), [200, 200]);
    assert.ok(statuses.slice(2).includes(429), `statuses ${statuses.join(',')}`);
    assert.ok(Number(retryAfter) >= 1);
    const keys = await svc.deps.redis.keys(`hookline:${prefix}ingress:ratelimit:stripe-limited`);
    assert.equal(keys.length, 1, 'the bucket lives in Redis under the documented key');
  });

  it('413 for a declared body over 1 MiB, 404 unknown source, 405 wrong method', async () => {
    const big = await fetch(`${base}/webhooks/stripe-it`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024 + 1),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${base}/webhooks/nope`, signed('{}'))).status, 404);
    const get = await fetch(`${base}/webhooks/stripe-it`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });
});
