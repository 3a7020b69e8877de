import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { fixture, FIXED_NOW, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider } from './index.ts';

const BODY = fixture('woocommerce', 'order-updated.json');
const sig = (secret: string, body: Buffer | string): string =>
  createHmac('sha256', secret).update(body).digest('base64');
const src = makeSource('woocommerce', ['wc-new', 'wc-old']);
const WC = {
  'content-type': 'application/json',
  'x-wc-webhook-source': 'https://shop.example/',
  'x-wc-webhook-topic': 'order.updated',
  'x-wc-webhook-resource': 'order',
  'x-wc-webhook-event': 'updated',
  'x-wc-webhook-id': '12',
  'x-wc-webhook-delivery-id': 'a1b2c3',
};

describe('woocommerce verify', () => {
  const cases: { name: string; headers: Record<string, string>; body?: Buffer | string; want: string }[] = [
    { name: 'valid', headers: { 'x-wc-webhook-signature': sig('wc-new', BODY) }, want: 'ok' },
    { name: 'rotated secret accepted', headers: { 'x-wc-webhook-signature': sig('wc-old', BODY) }, want: 'ok' },
    {
      name: 'tampered body',
      headers: { 'x-wc-webhook-signature': sig('wc-new', BODY) },
      body: BODY.toString().replace('"total":"29.35"', '"total":"0.01"'),
      want: 'bad_signature',
    },
    { name: 'wrong secret', headers: { 'x-wc-webhook-signature': sig('nope', BODY) }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    {
      name: 'hex instead of base64 still refused',
      headers: { 'x-wc-webhook-signature': 'zz!!' },
      want: 'malformed_signature',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(makeRequest({ headers: { ...WC, ...c.headers }, body: c.body ?? BODY }), src);
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
});

describe('woocommerce handshake (creation ping)', () => {
  test('unsigned webhook_id ping gets 200 and is not verified or enqueued', () => {
    const reply = provider.handshake?.(
      makeRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=12' }),
      src,
    );
    assert.equal(reply?.status, 200);
  });
  const notPings: { name: string; headers: Record<string, string>; body: string }[] = [
    { name: 'signed request is not a ping', headers: { 'x-wc-webhook-signature': 'abc=' }, body: 'webhook_id=12' },
    { name: 'other form fields are not a ping', headers: {}, body: 'webhook_id=12&x=1' },
    { name: 'JSON body is not a ping', headers: {}, body: '{"webhook_id":12}' },
  ];
  for (const c of notPings) {
    test(c.name, () =>
      assert.equal(provider.handshake?.(makeRequest({ headers: c.headers, body: c.body }), src), undefined),
    );
  }
});

describe('woocommerce interpret and normalize', () => {
  const key = 'order.updated|727|2017-03-22T19:28:08';
  test('interpret: key is topic + id + date_modified_gmt, not the per-send delivery id', () => {
    const { items } = provider.interpret(makeRequest({ headers: WC, body: BODY }), src);
    assert.deepEqual(items[0]?.extracted, {
      deliveryId: key,
      eventType: 'order.updated',
      resourceType: 'order',
      resourceId: '727',
    });
  });

  test('normalize the documented order', () => {
    const n = provider.normalize(makeRecord('woocommerce', BODY, { headers: WC }), src);
    const modified = Date.parse('2017-03-22T19:28:08Z');
    assert.deepEqual(
      { ...n, payload: undefined },
      {
        dedupeKey: key,
        eventType: 'order.updated',
        resourceType: 'order',
        resourceId: '727',
        occurredAt: modified,
        ordering: { kind: 'VERSION', value: modified, statusRank: null },
        payload: undefined,
      },
    );
    assert.equal(JSON.parse(n.payload).id, 727);
  });

  test('a redelivery (new delivery id) has the same dedupe key', () => {
    const a = provider.normalize(makeRecord('woocommerce', BODY, { headers: WC }), src);
    const b = provider.normalize(
      makeRecord('woocommerce', BODY, { headers: { ...WC, 'x-wc-webhook-delivery-id': 'zzz' } }),
      src,
    );
    assert.equal(a.dedupeKey, b.dedupeKey);
  });

  test('topic from resource + event headers when X-WC-Webhook-Topic is absent', () => {
    const { 'x-wc-webhook-topic': _t, ...rest } = WC;
    assert.equal(
      provider.normalize(makeRecord('woocommerce', BODY, { headers: rest }), src).eventType,
      'order.updated',
    );
  });

  test('deletion payload {id} → NONE ordering, receive time', () => {
    const n = provider.normalize(
      makeRecord('woocommerce', '{"id":93}', {
        headers: { ...WC, 'x-wc-webhook-topic': 'product.deleted' },
        receivedAt: FIXED_NOW,
      }),
      src,
    );
    assert.equal(n.dedupeKey, 'product.deleted|93|-');
    assert.equal(n.occurredAt, FIXED_NOW.getTime());
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });

  test('unknown topic passes with its type', () => {
    const n = provider.normalize(
      makeRecord('woocommerce', '{"id":5,"date_modified_gmt":"2024-01-01T00:00:00"}', {
        headers: { 'x-wc-webhook-topic': 'subscription.renewed' },
      }),
      src,
    );
    assert.equal(n.eventType, 'subscription.renewed');
    assert.equal(n.resourceType, 'subscription');
  });

  const broken: { name: string; body: string; headers?: Record<string, string>; reason: string }[] = [
    { name: 'not JSON', body: '{"id":7', reason: 'unparseable' },
    { name: 'no id', body: '{"status":"processing"}', reason: 'missing_field' },
    { name: 'no topic header', body: '{"id":1}', headers: {}, reason: 'missing_field' },
    { name: 'bad date_modified_gmt', body: '{"id":1,"date_modified_gmt":"soon"}', reason: 'invalid_field' },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () => {
      assert.throws(
        () => provider.normalize(makeRecord('woocommerce', c.body, { headers: c.headers ?? WC }), src),
        normalizeError(c.reason),
      );
    });
  }
});
