import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, FIXED_NOW, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider, TRADINGVIEW_IPS } from './index.ts';

const ALERT = fixture('tradingview', 'strategy-alert.json');
const TEXT = fixture('tradingview', 'text-alert.txt');
const TV_IP = '52.89.214.238';
const src = makeSource('tradingview', ['tv-secret-1', 'tv-secret-0']);
const json = { 'content-type': 'application/json; charset=utf-8' };
const text = { 'content-type': 'text/plain; charset=utf-8' };

describe('tradingview verify', () => {
  const cases: {
    name: string;
    body: Buffer | string;
    url?: string;
    headers?: Record<string, string>;
    ip?: string;
    src?: typeof src;
    want: string;
  }[] = [
    { name: 'passphrase in the JSON from a TradingView IP', body: ALERT, headers: json, want: 'ok' },
    {
      name: 'rotated passphrase accepted',
      body: ALERT.toString().replace('tv-secret-1', 'tv-secret-0'),
      headers: json,
      want: 'ok',
    },
    {
      name: 'wrong passphrase',
      body: ALERT.toString().replace('tv-secret-1', 'guess'),
      headers: json,
      want: 'bad_token',
    },
    { name: 'non-string passphrase', body: '{"passphrase":123,"ticker":"X"}', headers: json, want: 'bad_token' },
    { name: 'no passphrase, no query token', body: '{"ticker":"BTCUSD"}', headers: json, want: 'missing_signature' },
    {
      name: 'text alert with query token',
      body: TEXT,
      url: 'https://h.example/webhooks/src-1?token=tv-secret-1',
      headers: text,
      want: 'ok',
    },
    { name: 'text alert without token', body: TEXT, headers: text, want: 'missing_signature' },
    {
      name: 'good passphrase but bad query token',
      body: ALERT,
      url: 'https://h.example/w?token=bad',
      headers: json,
      want: 'bad_token',
    },
    {
      name: 'default allowlist rejects other IPs',
      body: ALERT,
      headers: json,
      ip: '203.0.113.10',
      want: 'ip_not_allowed',
    },
    {
      name: 'makeSource allowlist overrides the default',
      body: ALERT,
      headers: json,
      ip: '203.0.113.10',
      src: makeSource('tradingview', ['tv-secret-1'], { allowedIps: ['203.0.113.0/24'] }),
      want: 'ok',
    },
    {
      name: 'custom token field',
      body: '{"key":"tv-secret-1","ticker":"X"}',
      headers: json,
      src: makeSource('tradingview', ['tv-secret-1'], { tokenField: 'key' }),
      want: 'ok',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(
        makeRequest({ url: c.url, headers: c.headers, body: c.body, remoteAddress: c.ip ?? TV_IP }),
        c.src ?? src,
      );
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
  test('all four published IPs are the default allowlist', () => {
    for (const ip of TRADINGVIEW_IPS)
      assert.equal(provider.verify(makeRequest({ headers: json, body: ALERT, remoteAddress: ip }), src).ok, true);
  });
});

describe('tradingview interpret and normalize', () => {
  test('the passphrase never reaches the stored body or payload', () => {
    const { items } = provider.interpret(makeRequest({ headers: json, body: ALERT, remoteAddress: TV_IP }), src);
    const stored = items[0]?.body.toString() ?? '';
    assert.ok(!stored.includes('tv-secret-1'));
    assert.ok(!stored.includes('passphrase'));
    const n = provider.normalize(makeRecord('tradingview', ALERT), src);
    assert.ok(!n.payload.includes('tv-secret-1'));
  });

  test('normalize a strategy alert: composite key, ticker resource, timenow', () => {
    const n = provider.normalize(makeRecord('tradingview', ALERT), src);
    assert.equal(
      n.dedupeKey,
      'ticker=BTCUSD|exchange=BITSTAMP|timenow=2024-12-16T15:57:04Z|time=2024-12-16T15:57:00Z|interval=15|action=buy|order_id=Long Entry',
    );
    assert.equal(n.eventType, 'buy');
    assert.equal(n.resourceType, 'ticker');
    assert.equal(n.resourceId, 'BITSTAMP:BTCUSD');
    assert.equal(n.occurredAt, Date.parse('2024-12-16T15:57:04Z'));
    assert.equal(n.ordering.kind, 'NONE');
  });

  test('interpret and normalize agree on the key', () => {
    const item = provider.interpret(makeRequest({ headers: json, body: ALERT }), src).items[0];
    assert.ok(item);
    assert.equal(item.extracted.deliveryId, provider.normalize(makeRecord('tradingview', item.body), src).dedupeKey);
  });

  test('text alert: hashed within the minute; resends collapse', () => {
    const a = provider.normalize(
      makeRecord('tradingview', TEXT, { contentType: 'text/plain', receivedAt: FIXED_NOW }),
      src,
    );
    const b = provider.normalize(
      makeRecord('tradingview', TEXT, {
        contentType: 'text/plain',
        receivedAt: new Date(FIXED_NOW.getTime() + 10_000),
      }),
      src,
    );
    assert.equal(a.dedupeKey, b.dedupeKey);
    assert.equal(a.resourceType, 'alert-text');
    assert.deepEqual(JSON.parse(a.payload), { text: 'BTCUSD Greater Than 9000' });
  });

  const broken: { name: string; body: string; contentType: string; reason: string }[] = [
    {
      name: 'JSON content type but not JSON',
      body: '{"ticker":',
      contentType: 'application/json',
      reason: 'unparseable',
    },
    {
      name: 'JSON alert without ticker',
      body: '{"action":"buy"}',
      contentType: 'application/json',
      reason: 'missing_field',
    },
    { name: 'empty text alert', body: '   ', contentType: 'text/plain', reason: 'missing_field' },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(
        () => provider.normalize(makeRecord('tradingview', c.body, { contentType: c.contentType }), src),
        normalizeError(c.reason),
      ));
  }
});
