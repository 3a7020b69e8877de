/** Cross-checked with the `standardwebhooks` npm library (code no one here wrote). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { newSecret } from './endpoints.ts';
import { expectedSignatures, parseSignatureHeader, secretKey, signedHeaders } from './standard-webhooks.ts';

const body = JSON.stringify({ type: 'payment.succeeded', data: { id: 'pay_1', amount: 100 } });
const now = () => Math.floor(Date.now() / 1000);

describe('standard webhooks signing and parsing', () => {
  it('is verified by the standardwebhooks library', () => {
    const secret = newSecret();
    const headers = signedHeaders([secretKey(secret)], 'msg_1', now(), body);
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  });

  it('matches the library signature byte for byte', () => {
    const secret = newSecret();
    const ts = now();
    const ours = signedHeaders([secretKey(secret)], 'msg_2', ts, body)['webhook-signature'];
    assert.equal(ours, new Webhook(secret).sign('msg_2', new Date(ts * 1000), body));
  });

  it('carries one signature per secret during rotation, each verifiable alone', () => {
    const [a, b] = [newSecret(), newSecret()];
    const headers = signedHeaders([secretKey(a), secretKey(b)], 'msg_3', now(), body);
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    assert.ok(new Webhook(a).verify(body, { ...headers }));
    assert.ok(new Webhook(b).verify(body, { ...headers }));
  });

  it('is rejected when one thing changes', () => {
    const secret = newSecret();
    const ts = now();
    const headers = { ...signedHeaders([secretKey(secret)], 'msg_4', ts, body) };
    const wh = new Webhook(secret);
    assert.throws(() => wh.verify(`${body} `, headers));
    assert.throws(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_5' }));
    assert.throws(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(ts + 1) }));
    assert.throws(() => new Webhook(newSecret()).verify(body, headers));
  });

  it('refuses a secret with no key bytes in both directions', () => {
    assert.throws(() => secretKey('whsec_'), /empty signing secret/);
    assert.throws(() => secretKey(''), /empty signing secret/);
    assert.deepEqual(expectedSignatures(['whsec_', ''], 'msg_6', '1700000000', body), []);
  });

  it('parses what it signs, and what the library signs', () => {
    const [a, b] = [newSecret(), newSecret()];
    const ts = now();
    const ours = signedHeaders([secretKey(a), secretKey(b)], 'msg_7', ts, body)['webhook-signature'];
    const parsed = parseSignatureHeader(`${ours} v1a,AAAA`);
    assert.equal(parsed.others, 1);
    assert.deepEqual(parsed.v1, expectedSignatures([a, b], 'msg_7', String(ts), body));
    const theirs = new Webhook(a).sign('msg_7', new Date(ts * 1000), body);
    assert.deepEqual(parseSignatureHeader(theirs).v1, expectedSignatures([a], 'msg_7', String(ts), body));
  });
});
