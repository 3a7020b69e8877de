import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { makeRecord, makeRequest, makeSource } from '../testing.ts';
import { provider, validateOptions } from './index.ts';

// Test keys generated here: Binance's private key is, of course, not public.
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const binance = pair();
const stranger = pair();
const SN = '5f2a0c1b9e8d7c6b5a4f3e2d1c0b9a87';
const pem = binance.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const src = makeSource('binance-pay', [], { publicKeys: { [SN]: pem } });
const body = fixtureText('binance-pay', 'pay-success.json');
const NOW = new Date('2024-12-16T16:00:00Z');
const NONCE = 'aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeF';

function headersFor(b: Buffer | string, o: { ts?: number; key?: typeof binance; sn?: string; nonce?: string } = {}) {
  const ts = String(o.ts ?? NOW.getTime());
  const nonce = o.nonce ?? NONCE;
  const payload = Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`), Buffer.from(b), Buffer.from('\n')]);
  return {
    'binancepay-timestamp': ts,
    'binancepay-nonce': nonce,
    'binancepay-certificate-sn': o.sn ?? SN,
    'binancepay-signature': rsaSign('sha256', payload, (o.key ?? binance).privateKey).toString('base64'),
  };
}
const verify = (headers: Record<string, string>, b: Buffer | string = body) =>
  provider.verify(makeRequest({ headers, body: b, receivedAt: NOW }), src);

describe('binance-pay verify: RSA-SHA256 over timestamp\\nnonce\\nbody\\n', () => {
  it('accepts the exact bytes signed with the key the certificate SN names', () => {
    assert.deepEqual(verify(headersFor(body)), { ok: true });
  });
  it('refuses another key, an unknown SN, a changed nonce or body, missing headers and stale timestamps', () => {
    assert.deepEqual(verify(headersFor(body, { key: stranger })), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verify(headersFor(body, { sn: 'unknown' })), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verify({ ...headersFor(body), 'binancepay-nonce': 'x'.repeat(32) }), {
      ok: false,
      reason: 'bad_signature',
    });
    assert.deepEqual(verify(headersFor(body), `${body.toString()} `), { ok: false, reason: 'bad_signature' });
    const { 'binancepay-signature': _s, ...unsigned } = headersFor(body);
    assert.deepEqual(verify(unsigned), { ok: false, reason: 'missing_signature' });
    assert.deepEqual(verify({ ...headersFor(body), 'binancepay-signature': '%%%' }), {
      ok: false,
      reason: 'malformed_signature',
    });
    assert.deepEqual(verify(headersFor(body, { ts: NOW.getTime() - 3_600_000 })), {
      ok: false,
      reason: 'stale_timestamp',
    });
  });
  it('validateOptions names a missing or unparseable key', () => {
    assert.equal(validateOptions({}).length, 1);
    assert.match(validateOptions({ publicKeys: { a: 'nope' } })[0] ?? '', /publicKeys\["a"\]/);
    assert.deepEqual(validateOptions({ publicKeys: { [SN]: pem } }), []);
  });
});

describe('binance-pay interpret and normalize', () => {
  it('dedupe bizType|bizIdStr|bizStatus (bizId beyond 2^53 kept exact), Binance SUCCESS reply', () => {
    const { items, reply } = provider.interpret(makeRequest({ body, receivedAt: NOW }), src);
    assert.equal(items[0]?.extracted.resourceId, '29383937493038367292');
    assert.equal(items[0]?.extracted.eventType, 'PAY.PAY_SUCCESS');
    assert.deepEqual(JSON.parse(reply?.body ?? ''), { returnCode: 'SUCCESS', returnMessage: null });
    const n = provider.normalize(makeRecord('binance-pay', body, { headers: headersFor(body) }), src);
    assert.equal(n.dedupeKey, items[0]?.extracted.deliveryId);
    assert.deepEqual([n.resourceType, n.occurredAt, n.ordering.kind], ['PAY', 1619508939664, 'NONE']);
  });
});

describe('binance-pay canonical records', () => {
  it('pay-success fixture → Payment, field by field (USDT is not ISO 4217: amount null)', () => {
    assert.deepEqual(entity(canonicalFor(provider, body), 'payment'), {
      id: '29383937493038367292',
      status: 'succeeded',
      providerStatus: 'PAY_SUCCESS',
      amount: null,
      amountRefunded: null,
      method: 'funding',
      customerRef: '1211HS10K81f4273ac031',
      orderRef: '9825382937292',
      description: 'Ice Cream',
      createdAt: 1619508939664,
      metadata: {},
    });
  });
  it('a fiat order has an exact amount; PAY_CLOSED is unknown; a refund maps to Refund', () => {
    const b = JSON.parse(body.toString()) as Record<string, unknown>;
    const data = JSON.parse(b.data as string) as Record<string, unknown>;
    const withData = (over: Record<string, unknown>, top: Record<string, unknown> = {}) =>
      JSON.stringify({ ...b, ...top, data: JSON.stringify({ ...data, ...over }) });
    const eur = entity(canonicalFor(provider, withData({ currency: 'EUR', totalFee: 10.1 })), 'payment');
    assert.deepEqual(eur.amount, { amountMinor: 1010, currency: 'EUR' });
    const closed = entity(canonicalFor(provider, withData({}, { bizStatus: 'PAY_CLOSED' })), 'payment');
    assert.deepEqual([closed.status, closed.providerStatus], ['unknown', 'PAY_CLOSED']);
    const refund = entity(
      canonicalFor(provider, withData({}, { bizType: 'PAY_REFUND', bizStatus: 'REFUND_REJECTED' })),
      'refund',
    );
    assert.deepEqual([refund.status, refund.paymentRef], ['failed', '29383937493038367292']);
  });
});
