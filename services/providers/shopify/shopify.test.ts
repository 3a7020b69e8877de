import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import '@shopify/shopify-api/adapters/web-api';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  test,
} from '../testing.ts';
import { provider } from './index.ts';

const SECRET = 'shpss_current';
const OLD = 'shpss_old';
const body = fixture('shopify', 'orders-updated.json').toString('utf8');
const sign = (payload: string, secret = SECRET): string =>
  createHmac('sha256', secret).update(payload).digest('base64');
const HEADERS = {
  'x-shopify-topic': 'orders/updated',
  'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'x-shopify-shop-domain': 'jsmith.myshopify.com',
  'x-shopify-api-version': '2024-10',
  'x-shopify-triggered-at': '2022-01-01T00:00:05.000Z',
  'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
};

describe('shopify verify', () => {
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid', headers: { 'x-shopify-hmac-sha256': sign(body) }, want: true },
    {
      name: 'tampered body',
      headers: { 'x-shopify-hmac-sha256': sign(body) },
      body: body.replace('403.00', '1.00'),
      want: 'bad_signature',
    },
    { name: 'wrong secret', headers: { 'x-shopify-hmac-sha256': sign(body, 'nope') }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'hex instead of base64', headers: { 'x-shopify-hmac-sha256': '%%%' }, want: 'malformed_signature' },
    {
      name: 'rotated: old secret accepted',
      headers: { 'x-shopify-hmac-sha256': sign(body, OLD) },
      secrets: [SECRET, OLD],
      want: true,
    },
    {
      name: 'rotated: new secret accepted',
      headers: { 'x-shopify-hmac-sha256': sign(body) },
      secrets: [OLD, SECRET],
      want: true,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ headers: { ...HEADERS, ...c.headers }, body: c.body ?? body });
      assertVerify(provider.verify(req, makeSource('shopify', c.secrets ?? [SECRET])), c.want);
    });
  }

  test('oracle: @shopify/shopify-api webhooks.validate agrees (valid and tampered)', async () => {
    const shopify = shopifyApi({
      apiKey: 'key',
      apiSecretKey: SECRET,
      hostName: 'hooks.example.com',
      apiVersion: ApiVersion.October24,
      isEmbeddedApp: false,
      logger: { level: LogSeverity.Error, log: () => Promise.resolve() },
    });
    for (const [payload, want] of [
      [body, true],
      [body.replace('403.00', '1.00'), false],
    ] as const) {
      const headers = { ...HEADERS, 'x-shopify-hmac-sha256': sign(body) };
      const rawRequest = new Request('https://hooks.example.com/webhooks/src-1', {
        method: 'POST',
        body: payload,
        headers,
      });
      const oracle = await shopify.webhooks.validate({ rawBody: payload, rawRequest });
      const ours = provider.verify(makeRequest({ headers, body: payload }), makeSource('shopify', [SECRET]));
      assert.equal(oracle.valid, want);
      assert.equal(ours.ok, want);
    }
  });
});

describe('shopify interpret/normalize', () => {
  const source = makeSource('shopify', [SECRET]);
  test('interpret: webhook id, topic, exact big id', () => {
    const out = provider.interpret(makeRequest({ headers: HEADERS, body }), source);
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: HEADERS['x-shopify-webhook-id'],
      eventType: 'orders/updated',
      resourceType: 'orders',
      resourceId: '820982911946154508',
    });
  });
  test('normalize: documented sample order', () => {
    const n = provider.normalize(makeRecord('shopify', body, { headers: HEADERS }), source);
    assert.equal(n.dedupeKey, HEADERS['x-shopify-webhook-id']);
    assert.equal(n.eventType, 'orders/updated');
    assert.equal(n.resourceType, 'orders');
    assert.equal(n.resourceId, '820982911946154508');
    assert.equal(n.occurredAt, Date.parse('2022-01-01T00:00:05.000Z'));
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: Date.parse('2021-12-31T19:00:00-05:00'), statusRank: null });
    assert.equal(n.payload, body);
  });
  test('normalize: no updated_at → Triggered-At is the version', () => {
    const n = provider.normalize(makeRecord('shopify', '{"id":5}', { headers: HEADERS }), source);
    assert.deepEqual(n.ordering, {
      kind: 'VERSION',
      value: Date.parse(HEADERS['x-shopify-triggered-at']),
      statusRank: null,
    });
  });
  test('normalize: shop-level topic (app/uninstalled) uses the shop domain when no id', () => {
    const n = provider.normalize(
      makeRecord('shopify', '{"domain":"jsmith.myshopify.com"}', {
        headers: { ...HEADERS, 'x-shopify-topic': 'app/uninstalled' },
      }),
      source,
    );
    assert.equal(n.resourceType, 'app');
    assert.equal(n.resourceId, 'jsmith.myshopify.com');
  });
  const broken: {
    name: string;
    body: string;
    headers?: Record<string, string>;
    reason: 'unparseable' | 'missing_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: '<xml/>', reason: 'unparseable' },
    { name: 'array', body: '[]', reason: 'unexpected_payload' },
    { name: 'no webhook id header', body, headers: { 'x-shopify-topic': 'orders/updated' }, reason: 'missing_field' },
    { name: 'no topic header', body, headers: { 'x-shopify-webhook-id': 'w' }, reason: 'missing_field' },
    {
      name: 'no id and no shop',
      body: '{"x":1}',
      headers: { 'x-shopify-topic': 'orders/updated', 'x-shopify-webhook-id': 'w' },
      reason: 'missing_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () => provider.normalize(makeRecord('shopify', c.body, { headers: c.headers ?? HEADERS }), source),
        c.reason,
      ));
  }
});
