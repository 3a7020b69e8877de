import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Signature } from '@hubspot/api-client';
import Stripe from 'stripe';
import { H } from '../common/kafka/types.ts';
import { fromRawMessage, rawEventId } from '../common/raw.ts';
import { startTelemetry } from '../common/telemetry.ts';
import { fakeProducer, seenUrls, testIngress, type TestIngress } from './testing.ts';

const telemetry = startTelemetry({ serviceName: 'hookline-ingress-unit' });
after(() => telemetry.shutdown());

const stripe = new Stripe('sk_test_unused');
const STRIPE_EVENT = JSON.stringify({
  id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  object: 'event',
  type: 'payment_intent.succeeded',
  created: 1_700_000_000,
  data: { object: { id: 'pi_3MtwBwLkdIwHu7ix28a3tqPa', object: 'payment_intent', status: 'succeeded', amount: 2000 } },
});

function stripeRequest(body: string, secret = 'whsec_new_test', extra: Record<string, string> = {}): RequestInit {
  const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': sig, ...extra } };
}

async function post(t: TestIngress, path: string, init: RequestInit, env?: unknown): Promise<Response> {
  return t.app.request(`http://ingress.local${path}`, init, env);
}

describe('routing and refusals before the body', () => {
  it('unknown source → 404, counted as "unknown" (never the raw path segment)', async () => {
    const t = testIngress();
    const res = await post(t, '/webhooks/nope', stripeRequest('{}'));
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: { code: 'not_found' } });
    assert.ok(t.metrics.events.includes('rejected unknown unknown_source'));
    assert.equal(t.producer.sent.length, 0);
  });

  it('wrong method → 405 with Allow; a provider extra method is allowed', async () => {
    const t = testIngress();
    const put = await post(t, '/webhooks/stripe-a', {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'POST');
    const get = await post(t, '/webhooks/stripe-a', { method: 'GET' });
    assert.equal(get.status, 405);
    const extra = await post(t, '/webhooks/test', { method: 'GET', headers: { 'x-test-handshake': '1' } });
    assert.equal(extra.status, 200);
    const del = await post(t, '/webhooks/test', { method: 'DELETE' });
    assert.equal(del.headers.get('allow'), 'POST, GET');
  });

  it('declared Content-Length over the source limit → 413, body never read', async () => {
    const t = testIngress();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(500));
      },
    });
    const res = await post(t, '/webhooks/small', {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json', 'content-length': '5000', 'x-test-token': 'tok' },
    });
    assert.equal(res.status, 413);
    assert.ok(pulled <= 1, `read ${pulled} chunks`);
    assert.ok(t.metrics.events.includes('rejected small body_too_large'));
  });

  it('chunked body (no Content-Length) over the limit → 413, reading stops at the limit', async () => {
    const t = testIngress();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        if (pulled > 10_000) c.close();
        else c.enqueue(new Uint8Array(300));
      },
    });
    const res = await post(t, '/webhooks/small', {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json', 'x-test-token': 'tok' },
    });
    assert.equal(res.status, 413);
    assert.ok(pulled <= 6, `pulled ${pulled} chunks of 300 bytes for a 1000-byte limit`);
    assert.equal(t.producer.sent.length, 0);
  });

  it('chunked body within the limit is accepted byte-exact', async () => {
    const t = testIngress();
    const parts = ['[{"id":"a","thing":"1"}', ',{"id":"b","thing":"2"}]'];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(new TextEncoder().encode(p));
        c.close();
      },
    });
    const res = await post(t, '/webhooks/small', {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json', 'x-test-token': 'tok' },
    });
    assert.equal(res.status, 200);
    assert.equal(t.producer.sent.length, 2);
  });

  it('content type not accepted by the provider → 415 (media type compared without parameters)', async () => {
    const t = testIngress();
    const res = await post(t, '/webhooks/stripe-a', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'text/xml' },
    });
    assert.equal(res.status, 415);
    const missing = await post(t, '/webhooks/stripe-a', { method: 'POST', body: new Uint8Array([1]) });
    assert.equal(missing.status, 415);
    const withCharset = await post(
      t,
      '/webhooks/stripe-a',
      stripeRequest(STRIPE_EVENT, 'whsec_new_test', { 'content-type': 'Application/JSON; charset=utf-8' }),
    );
    assert.equal(withCharset.status, 200);
  });
});

describe('verification (Stripe, signed by the stripe SDK as the oracle)', () => {
  it('valid with either rotated secret → 200 {received, ids}', async () => {
    const t = testIngress();
    for (const secret of ['whsec_old_test', 'whsec_new_test']) {
      const res = await post(t, '/webhooks/stripe-a', stripeRequest(STRIPE_EVENT, secret));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        received: true,
        ids: [rawEventId('stripe-a', 'evt_1NG8Du2eZvKYlo2CUI79vXWy')],
      });
    }
    assert.equal(t.producer.sent.length, 2);
  });

  const bad: [string, () => RequestInit, string][] = [
    [
      'tampered body',
      () => ({ ...stripeRequest(STRIPE_EVENT), body: STRIPE_EVENT.replace('2000', '2001') }),
      'bad_signature',
    ],
    ['wrong secret', () => stripeRequest(STRIPE_EVENT, 'whsec_someone_else'), 'bad_signature'],
    [
      'missing header',
      () => ({ method: 'POST', body: STRIPE_EVENT, headers: { 'content-type': 'application/json' } }),
      'missing_signature',
    ],
    [
      'stale timestamp',
      () => {
        const ts = Math.floor(Date.now() / 1000) - 3600;
        const sig = stripe.webhooks.generateTestHeaderString({
          payload: STRIPE_EVENT,
          secret: 'whsec_new_test',
          timestamp: ts,
        });
        return {
          method: 'POST',
          body: STRIPE_EVENT,
          headers: { 'content-type': 'application/json', 'stripe-signature': sig },
        };
      },
      'stale_timestamp',
    ],
  ];
  for (const [name, init, reason] of bad) {
    it(`${name} → 401 with a generic body, counted by reason, nothing written`, async () => {
      const t = testIngress();
      const res = await post(t, '/webhooks/stripe-a', init());
      assert.equal(res.status, 401);
      assert.equal(await res.text(), '{"error":{"code":"unauthorized"}}');
      assert.ok(t.metrics.events.includes(`rejected stripe-a ${reason}`), t.metrics.events.join('; '));
      assert.equal(t.producer.sent.length, 0);
    });
  }

  it('IP allowlist uses the socket address; X-Forwarded-For only with TRUST_PROXY', async () => {
    const socket = (address: string) => ({
      incoming: { socket: { remoteAddress: address, remotePort: 1, remoteFamily: 'IPv4' } },
    });
    const init = () => ({
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain', 'x-test-token': 'tok', 'x-forwarded-for': '203.0.113.9' },
    });
    const direct = testIngress();
    assert.equal((await post(direct, '/webhooks/ips', init(), socket('198.51.100.1'))).status, 401);
    assert.ok(direct.metrics.events.includes('rejected ips ip_not_allowed'));
    assert.equal((await post(direct, '/webhooks/ips', init(), socket('::ffff:203.0.113.5'))).status, 200);
    const proxied = testIngress({ deps: { trustProxyHops: 1 } });
    assert.equal((await post(proxied, '/webhooks/ips', init(), socket('10.0.0.1'))).status, 200);
    const spoofed = { ...init(), headers: { ...init().headers, 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } };
    assert.equal(
      (await post(proxied, '/webhooks/ips', spoofed, socket('10.0.0.1'))).status,
      401,
      'only the entry our proxy wrote counts',
    );
  });

  it('verify sees the source publicUrl (Twilio signs the public URL) with the query actually sent', async () => {
    const t = testIngress();
    seenUrls.length = 0;
    await post(t, '/webhooks/twilio-like?bodySHA256=abc', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain', 'x-test-token': 'tok' },
    });
    await post(t, '/webhooks/test?a=1', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain', 'x-test-token': 'tok' },
    });
    assert.deepEqual(seenUrls, [
      'https://hooks.example.com/webhooks/twilio-like?bodySHA256=abc',
      'http://ingress.local/webhooks/test?a=1',
    ]);
  });
});

describe('handshakes', () => {
  it('provider handshake is answered without verification and nothing is written', async () => {
    const t = testIngress();
    const res = await post(t, '/webhooks/test', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'x-test-handshake': '1' },
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello');
    assert.equal(t.producer.sent.length, 0);
  });

  it('WooCommerce unsigned creation ping → 200, not enqueued; a signed delivery is enqueued', async () => {
    const t = testIngress();
    const ping = await post(t, '/webhooks/woo', {
      method: 'POST',
      body: 'webhook_id=42',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(ping.status, 200);
    assert.equal(t.producer.sent.length, 0);
    const body = JSON.stringify({ id: 7, date_modified_gmt: '2024-05-01T10:00:00' });
    const sig = createHmac('sha256', 'woo-secret').update(body).digest('base64');
    const res = await post(t, '/webhooks/woo', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-wc-webhook-signature': sig,
        'x-wc-webhook-topic': 'order.updated',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(t.producer.sent.length, 1);
  });
});

describe('rate limit', () => {
  it('over the source budget → 429 with Retry-After, counted; other sources unaffected', async () => {
    const t = testIngress();
    const init = () => ({
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain', 'x-test-token': 'tok' },
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(t, '/webhooks/limited', init())).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const res = await post(t, '/webhooks/limited', init());
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.ok(t.metrics.events.includes('rejected limited rate_limited'));
    assert.equal((await post(t, '/webhooks/test', init())).status, 200);
  });

  it('unauthenticated requests do not spend the budget', async () => {
    const t = testIngress();
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (
          await post(t, '/webhooks/limited', {
            method: 'POST',
            body: 'x',
            headers: { 'content-type': 'text/plain', 'x-test-token': 'wrong' },
          })
        ).status,
        401,
      );
    }
    assert.equal(
      (
        await post(t, '/webhooks/limited', {
          method: 'POST',
          body: 'x',
          headers: { 'content-type': 'text/plain', 'x-test-token': 'tok' },
        })
      ).status,
      200,
    );
  });
});

describe('durable before acknowledged', () => {
  it('Kafka rejects → 503 with Retry-After, counted', async () => {
    const t = testIngress({ producer: fakeProducer('fail') });
    const res = await post(t, '/webhooks/stripe-a', stripeRequest(STRIPE_EVENT));
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.ok(t.metrics.events.includes('unavailable stripe-a kafka_unavailable'), t.metrics.events.join('; '));
  });

  it('Kafka slower than the deadline → 503', async () => {
    const t = testIngress({ producer: fakeProducer('hang'), deadlineMs: 50 });
    const started = Date.now();
    const res = await post(t, '/webhooks/stripe-a', stripeRequest(STRIPE_EVENT));
    assert.equal(res.status, 503);
    assert.ok(Date.now() - started < 1000);
    assert.ok(t.metrics.events.includes('unavailable stripe-a kafka_timeout'));
  });

  it('producer not connected → 503 at once, and a reconnect is started', async () => {
    const p = fakeProducer();
    p.isConnected = false;
    const t = testIngress({ producer: p });
    const res = await post(t, '/webhooks/stripe-a', stripeRequest(STRIPE_EVENT));
    assert.equal(res.status, 503);
    assert.ok(p.connectCalls >= 1);
  });
});

describe('the webhooks.raw record', () => {
  it('Stripe: key = resource key, body byte-exact, headers of the contract, secrets dropped, trace started here', async () => {
    const t = testIngress();
    const init = stripeRequest(STRIPE_EVENT, 'whsec_new_test', {
      authorization: 'Bearer secret',
      'x-extra': 'kept',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const before = Date.now();
    const res = await post(t, '/webhooks/stripe-a', init);
    assert.equal(res.status, 200);
    assert.equal(t.producer.sent.length, 1);
    const r = t.producer.sent[0]!;
    assert.equal(r.topic, 'p.webhooks.raw');
    assert.equal(r.key, 'stripe-a:payment_intent:pi_3MtwBwLkdIwHu7ix28a3tqPa');
    assert.ok(r.value!.equals(Buffer.from(STRIPE_EVENT)));
    const h = r.headers!;
    assert.equal(h[H.eventId], rawEventId('stripe-a', 'evt_1NG8Du2eZvKYlo2CUI79vXWy'));
    assert.equal(h[H.source], 'stripe-a');
    assert.equal(h[H.provider], 'stripe');
    assert.equal(h[H.deliveryId], 'evt_1NG8Du2eZvKYlo2CUI79vXWy');
    assert.equal(h[H.contentType], 'application/json');
    assert.ok(Date.parse(h[H.receivedAt]!) >= before - 1000);
    const stored = JSON.parse(h[H.requestHeaders]!) as Record<string, string>;
    assert.equal(stored['x-extra'], 'kept');
    assert.equal(stored['stripe-signature'], (init.headers as Record<string, string>)['stripe-signature']);
    assert.equal(stored.authorization, undefined);
    assert.match(h[H.traceparent]!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.ok(
      !h[H.traceparent]!.includes('0af7651916cd43dd8448eb211c80319c'),
      'an incoming traceparent is linked, not continued',
    );
    // what the validator reads back
    const back = fromRawMessage({
      topic: r.topic,
      partition: 0,
      offset: '0',
      key: r.key,
      value: r.value,
      headers: h,
      timestamp: 0,
    });
    assert.equal(back.deliveryId, 'evt_1NG8Du2eZvKYlo2CUI79vXWy');
    assert.equal(back.sourceId, 'stripe-a');
  });

  it('concurrent requests each carry their own trace', async () => {
    const t = testIngress();
    await Promise.all(
      [1, 2, 3, 4].map((i) => post(t, '/webhooks/stripe-a', stripeRequest(STRIPE_EVENT.replace('evt_1', `evt_${i}`)))),
    );
    const traces = new Set(t.producer.sent.map((r) => r.headers![H.traceparent]!.split('-')[1]));
    assert.equal(traces.size, 4);
  });

  it('a batch is split into one record per item, each with its own id, batch index and key', async () => {
    const t = testIngress();
    const body = JSON.stringify([
      { id: 'e1', thing: 'a' },
      { id: 'e2', thing: 'b' },
      { id: 'e3', thing: 'a' },
    ]);
    const res = await post(t, '/webhooks/test', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-test-token': 'tok' },
    });
    assert.equal(res.status, 200);
    const sent = t.producer.sent;
    assert.deepEqual(
      sent.map((r) => [r.key, r.headers![H.batchIndex], r.headers![H.deliveryId], r.value!.toString()]),
      [
        ['test:thing:a', '0', 'e1', '{"id":"e1","thing":"a"}'],
        ['test:thing:b', '1', 'e2', '{"id":"e2","thing":"b"}'],
        ['test:thing:a', '2', 'e3', '{"id":"e3","thing":"a"}'],
      ],
    );
    const { ids } = (await res.json()) as { ids: string[] };
    assert.deepEqual(ids, [rawEventId('test', 'e1', 0), rawEventId('test', 'e2', 1), rawEventId('test', 'e3', 2)]);
    assert.equal(
      JSON.parse(sent[0]!.headers![H.requestHeaders]!)['x-test-token'],
      undefined,
      'provider sensitive header dropped',
    );
  });

  it('HubSpot (signed by @hubspot/api-client, v3): the batch becomes one record per event, each with its own id', async () => {
    const t = testIngress();
    const body = readFileSync(new URL('../../test/fixtures/hubspot/batch.json', import.meta.url), 'utf8');
    const url = 'http://ingress.local/webhooks/hubspot-a';
    const timestamp = Date.now();
    const signature = Signature.getSignature('POST', 'v3', {
      signature: '',
      clientSecret: 'hs-client-secret',
      requestBody: body,
      url,
      timestamp,
    });
    const res = await post(t, '/webhooks/hubspot-a', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': String(timestamp),
      },
    });
    assert.equal(res.status, 200);
    const items = JSON.parse(body) as { eventId: number }[];
    assert.equal(t.producer.sent.length, items.length);
    const { ids } = (await res.json()) as { ids: string[] };
    assert.equal(new Set(ids).size, items.length);
    t.producer.sent.forEach((r, i) => {
      assert.equal(r.headers![H.batchIndex], String(i));
      assert.ok(r.headers![H.deliveryId]!.endsWith(`|${items[i]!.eventId}`), r.headers![H.deliveryId]);
      assert.equal(r.headers![H.eventId], ids[i]);
    });
  });

  it('the provider reply is sent after the write; no items (e.g. a challenge) → reply, nothing written', async () => {
    const t = testIngress();
    const res = await post(t, '/webhooks/test', {
      method: 'POST',
      body: '[{"id":"x","thing":"y"}]',
      headers: { 'content-type': 'application/json', 'x-test-token': 'tok', 'x-test-reply': '1' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/xml');
    assert.equal(await res.text(), '<ack/>');
    assert.equal(t.producer.sent.length, 1);
    const empty = await post(t, '/webhooks/test', {
      method: 'POST',
      body: '',
      headers: { 'content-type': 'application/json', 'x-test-token': 'tok', 'x-test-reply': '1' },
    });
    assert.equal(await empty.text(), '<ack/>');
    assert.equal(t.producer.sent.length, 1);
  });

  it('a verified request the provider cannot interpret is stored whole (for the DLQ), not dropped', async () => {
    const t = testIngress();
    const res = await post(t, '/webhooks/test', {
      method: 'POST',
      body: 'boom',
      headers: { 'content-type': 'text/plain', 'x-test-token': 'tok' },
    });
    assert.equal(res.status, 200);
    assert.equal(t.producer.sent.length, 1);
    assert.equal(t.producer.sent[0]!.value!.toString(), 'boom');
    assert.match(t.producer.sent[0]!.key!, /^test:delivery:sha256:/);
    assert.ok(t.metrics.events.includes('uninterpretable test'));
  });
});
