import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, FIXED_NOW, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider, statusRank } from './index.ts';

const STATUS = fixture('myparcel', 'shipment-status-change.json');
const LABEL = fixture('myparcel', 'shipment-label-created.json');
const API_KEY = 'mp-api-key-1';
const src = makeSource('myparcel', [API_KEY, 'mp-api-key-0']);
const HOOK = {
  'content-type': 'application/json; charset=utf-8',
  'user-agent': 'MyParcel/Webhook-Notifier',
  'x-myparcel-hook': 'shipment_status_change',
  'x-myparcel-hookid': 'd91e16cbfbcfec0b17cfafb3a9bf3c1b206a9dd0',
};
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('myparcel verify', () => {
  const cases: {
    name: string;
    url?: string;
    headers: Record<string, string>;
    ip?: string;
    src?: typeof src;
    want: string;
  }[] = [
    {
      name: 'documented X-MyParcel-Authorization (base64 API key)',
      headers: { 'x-myparcel-authorization': b64(API_KEY) },
      want: 'ok',
    },
    { name: 'rotated API key accepted', headers: { 'x-myparcel-authorization': b64('mp-api-key-0') }, want: 'ok' },
    { name: 'URL token instead', url: 'https://h.example/webhooks/src-1?token=mp-api-key-1', headers: {}, want: 'ok' },
    { name: 'wrong key', headers: { 'x-myparcel-authorization': b64('other') }, want: 'bad_token' },
    {
      name: 'wrong key and wrong token',
      url: 'https://h.example/w?token=bad',
      headers: { 'x-myparcel-authorization': b64('other') },
      want: 'bad_token',
    },
    { name: 'nothing presented', headers: {}, want: 'missing_signature' },
    { name: 'raw (not base64) key is refused', headers: { 'x-myparcel-authorization': API_KEY }, want: 'bad_token' },
    {
      name: 'IP allowlist rejects',
      headers: { 'x-myparcel-authorization': b64(API_KEY) },
      ip: '198.51.100.1',
      src: makeSource('myparcel', [API_KEY], { allowedIps: ['203.0.113.10'] }),
      want: 'ip_not_allowed',
    },
    {
      name: 'IP allowlist accepts',
      headers: { 'x-myparcel-authorization': b64(API_KEY) },
      ip: '203.0.113.10',
      src: makeSource('myparcel', [API_KEY], { allowedIps: ['203.0.113.10'] }),
      want: 'ok',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(
        makeRequest({ url: c.url, headers: { ...HOOK, ...c.headers }, body: STATUS, remoteAddress: c.ip }),
        c.src ?? src,
      );
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
  test('the authorization header is never stored', () =>
    assert.ok(provider.sensitiveHeaders?.includes('x-myparcel-authorization')));
});

describe('myparcel interpret (batch split) and normalize', () => {
  test('one item per hook, each its own body', () => {
    const two = JSON.stringify({
      data: {
        hooks: [
          { shipment_id: '1', status: 3 },
          { shipment_id: '2', status: 7 },
        ],
      },
    });
    const { items } = provider.interpret(makeRequest({ headers: HOOK, body: two }), src);
    assert.equal(items.length, 2);
    assert.deepEqual(
      items.map((i): unknown[] => [
        i.batchIndex,
        i.extracted.deliveryId,
        (JSON.parse(i.body.toString()) as { shipment_id: string }).shipment_id,
      ]),
      [
        [0, 'shipment_status_change|1|3', '1'],
        [1, 'shipment_status_change|2|7', '2'],
      ],
    );
  });

  test('normalize the documented status hook (split item)', () => {
    const item = provider.interpret(makeRequest({ headers: HOOK, body: STATUS }), src).items[0];
    assert.ok(item);
    const n = provider.normalize(
      makeRecord('myparcel', item.body, { headers: HOOK, batchIndex: 0, receivedAt: FIXED_NOW }),
      src,
    );
    assert.deepEqual(n, {
      dedupeKey: 'shipment_status_change|25482412|2',
      eventType: 'shipment_status_change',
      resourceType: 'shipment',
      resourceId: '25482412',
      occurredAt: FIXED_NOW.getTime(),
      ordering: { kind: 'STATUS', value: FIXED_NOW.getTime(), statusRank: 20 },
      payload:
        '{"hook":"shipment_status_change","shipment_id":"25482412","account_id":7003,"shop_id":1897,"status":2,"barcode":"3SMYPA749883621"}',
    });
  });

  test('normalize the documented label hook (unsplit single-hook body)', () => {
    const headers = { ...HOOK, 'x-myparcel-hook': 'shipment_label_created' };
    const n = provider.normalize(makeRecord('myparcel', LABEL, { headers }), src);
    assert.equal(n.eventType, 'shipment_label_created');
    assert.equal(n.resourceId, '15001826');
    assert.equal(n.ordering.kind, 'NONE');
  });

  test('status ranks: delivered > distribution > registered; unknown 0', () => {
    assert.ok(statusRank('7', {}) > statusRank('5', {}));
    assert.ok(statusRank('5', {}) > statusRank('2', {}));
    assert.equal(statusRank('12345', {}), 0);
  });

  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: 'x', reason: 'unparseable' },
    { name: 'no shipment_id', body: '{"status":2}', reason: 'missing_field' },
    { name: 'no status', body: '{"shipment_id":"1"}', reason: 'missing_field' },
    {
      name: 'unsplit batch of two',
      body: '{"data":{"hooks":[{"shipment_id":"1","status":2},{"shipment_id":"2","status":2}]}}',
      reason: 'unexpected_payload',
    },
    { name: 'hooks not an array', body: '{"data":{"hooks":{}}}', reason: 'unexpected_payload' },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(
        () => provider.normalize(makeRecord('myparcel', c.body, { headers: HOOK }), src),
        normalizeError(c.reason),
      ));
  }
});
