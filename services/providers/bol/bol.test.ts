import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, normalizeError, makeRecord, makeRequest, rsaPair, rsaSign, makeSource } from '../testing.ts';
import { parseSignatureHeader, provider, validateOptions } from './index.ts';

const BODY = fixture('bol', 'process-status-success.json');
const current = rsaPair();
const next = rsaPair();
const stranger = rsaPair();
// Bol's key API returns bare base64 SPKI; a PEM is accepted as well.
const src = makeSource('bol', [], { publicKeys: { 'key-1': current.publicDerB64, 'key-2': next.publicPem } });
const header = (keyId: string, sig: string): string => `keyId=${keyId}, algorithm="rsa-sha256", signature=${sig}`;

describe('bol verify', () => {
  const cases: { name: string; headers: Record<string, string>; body?: Buffer | string; want: string }[] = [
    { name: 'valid (DER key)', headers: { signature: header('key-1', rsaSign(current.privateKey, BODY)) }, want: 'ok' },
    {
      name: 'rotated key (second key id, PEM) accepted',
      headers: { signature: header('key-2', rsaSign(next.privateKey, BODY)) },
      want: 'ok',
    },
    {
      name: 'tampered body',
      headers: { signature: header('key-1', rsaSign(current.privateKey, BODY)) },
      body: BODY.toString().replace('SUCCESS', 'FAILURE'),
      want: 'bad_signature',
    },
    {
      name: 'wrong key',
      headers: { signature: header('key-1', rsaSign(stranger.privateKey, BODY)) },
      want: 'bad_signature',
    },
    {
      name: 'right signature under the wrong key id',
      headers: { signature: header('key-2', rsaSign(current.privateKey, BODY)) },
      want: 'bad_signature',
    },
    {
      name: 'unknown key id',
      headers: { signature: header('key-9', rsaSign(current.privateKey, BODY)) },
      want: 'bad_signature',
    },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'malformed header', headers: { signature: 'garbage' }, want: 'malformed_signature' },
    {
      name: 'other algorithm',
      headers: { signature: `keyId=key-1, algorithm="hmac-sha256", signature=${rsaSign(current.privateKey, BODY)}` },
      want: 'malformed_signature',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(
        makeRequest({ headers: { 'content-type': 'application/json', ...c.headers }, body: c.body ?? BODY }),
        src,
      );
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
  test('signature header parser keeps quoted values', () => {
    assert.deepEqual(parseSignatureHeader('keyId="a", algorithm="rsa-sha256", signature=QUJD'), {
      keyid: 'a',
      algorithm: 'rsa-sha256',
      signature: 'QUJD',
    });
  });
  test('validateOptions: publicKeys required and parseable', () => {
    assert.deepEqual(validateOptions(src.options), []);
    assert.equal(validateOptions({}).length, 1);
    assert.equal(validateOptions({ publicKeys: { k: 'not a key' } }).length, 1);
  });
});

describe('bol interpret and normalize', () => {
  test('interpret', () => {
    assert.deepEqual(provider.interpret(makeRequest({ body: BODY }), src).items[0]?.extracted, {
      deliveryId: 'PROCESS_STATUS|SUCCESS|1234567|2020-02-02T23:23:23+01:00',
      eventType: 'PROCESS_STATUS.SUCCESS',
      resourceType: 'PROCESS_STATUS',
      resourceId: '1234567',
    });
  });
  test('normalize the documented push message', () => {
    const n = provider.normalize(makeRecord('bol', BODY), src);
    const at = Date.parse('2020-02-02T23:23:23+01:00');
    assert.equal(n.dedupeKey, 'PROCESS_STATUS|SUCCESS|1234567|2020-02-02T23:23:23+01:00');
    assert.equal(n.occurredAt, at);
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: at, statusRank: null });
  });
  test('shipment event passes with its type', () => {
    const n = provider.normalize(
      makeRecord(
        'bol',
        '{"retailerId":1,"timestamp":"2024-12-16T15:57:04+01:00","event":{"resource":"SHIPMENT","type":"UPDATE_TRANSPORT_EVENT","resourceId":"99"}}',
      ),
      src,
    );
    assert.equal(n.eventType, 'SHIPMENT.UPDATE_TRANSPORT_EVENT');
  });
  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: '{', reason: 'unparseable' },
    { name: 'no event', body: '{"retailerId":1,"timestamp":"2020-02-02T23:23:23+01:00"}', reason: 'missing_field' },
    {
      name: 'no timestamp',
      body: '{"event":{"resource":"SHIPMENT","type":"X","resourceId":"1"}}',
      reason: 'missing_field',
    },
    {
      name: 'bad timestamp',
      body: '{"timestamp":"nope","event":{"resource":"SHIPMENT","type":"X","resourceId":"1"}}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(() => provider.normalize(makeRecord('bol', c.body), src), normalizeError(c.reason)));
  }
});
