/**
 * Hostile input at the ingress, property-based (fast-check): generated requests get one of the
 * documented answers (README: 200, 400, 401, 404, 405, 413, 415, 429; never 500), only verified
 * requests are stored, and stored bytes are exactly the received bytes. Over a real socket: 10 MB
 * bodies with and without Content-Length are refused without being buffered, memory stays bounded,
 * and trickled headers or bodies are timed out by the server.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { listen, type RunningServer } from '../common/http.ts';
import { testIngress, type TestIngress } from './testing.ts';

const DOCUMENTED = new Set([200, 400, 401, 404, 405, 413, 415, 429]);
const STRIPE_SECRET = 'whsec_new_test';
const stripeSig = (body: Buffer | string) => {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', STRIPE_SECRET).update(`${t}.`).update(body).digest('hex')}`;
};

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/);
const headerValue = fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
const headers = fc.dictionary(token, headerValue, { maxKeys: 12 });
const bytes = fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a));
const invalidUtf8 = fc
  .tuple(bytes, fc.constantFrom([0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0x28], [0xff]))
  .map(([b, bad]) => Buffer.concat([b, Buffer.from(bad)]));
const nested = fc
  .integer({ min: 90, max: 120 })
  .map((n) => Buffer.from(`{"id":"evt_deep","type":"x","data":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`));
const body = fc.oneof(
  bytes,
  invalidUtf8,
  nested,
  fc.json().map((j) => Buffer.from(j)),
);
const sourceId = fc.oneof(
  fc.constantFrom('stripe-a', 'test', 'small', 'nope'),
  fc.constantFrom('..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'stripe-a%00', '%2F', 'a%5C..%5Cb', '....//'),
  fc.string({ minLength: 1, maxLength: 60 }).map((s) => encodeURIComponent(s)),
);
const method = fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE', 'PATCH');

async function send(t: TestIngress, m: string, id: string, h: Record<string, string>, b: Buffer): Promise<Response> {
  const init: RequestInit = { method: m, headers: h };
  if (m !== 'GET') init.body = b;
  return t.app.request(`http://ingress.local/webhooks/${id}`, init);
}

describe('ingress: generated hostile requests (fast-check)', () => {
  it('random method, path, headers and bodies: a documented status, never 500, nothing stored unverified', async () => {
    await fc.assert(
      fc.asyncProperty(method, sourceId, headers, body, async (m, id, h, b) => {
        const t = testIngress();
        const res = await send(t, m, id, h, b);
        await res.arrayBuffer();
        assert.ok(DOCUMENTED.has(res.status), `status ${res.status} for ${m} /webhooks/${id}`);
        assert.equal(t.producer.sent.length, 0, 'nothing unverified is stored');
      }),
      { numRuns: 300 },
    );
  });

  it('path traversal in sourceId never reaches another source', async () => {
    for (const id of ['..%2Fstripe-a', 'stripe-a%2F..', '%2E%2E', '..', 'stripe-a%2F..%2Fstripe-a', '%00stripe-a']) {
      const t = testIngress();
      const raw = Buffer.from('{"id":"evt_x","type":"a","data":{"object":{}}}');
      const res = await send(
        t,
        'POST',
        id,
        { 'content-type': 'application/json', 'stripe-signature': stripeSig(raw) },
        raw,
      );
      assert.ok([404, 405].includes(res.status), `${id} → ${res.status}`);
      assert.equal(t.producer.sent.length, 0);
    }
  });

  it('validly signed hostile bodies (invalid UTF-8, 100 levels of JSON, random bytes): stored byte-exact or refused 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, headers, async (b, h) => {
        const t = testIngress();
        const res = await send(
          t,
          'POST',
          'stripe-a',
          { ...h, 'content-type': 'application/json', 'stripe-signature': stripeSig(b) },
          b,
        );
        await res.arrayBuffer();
        assert.ok(DOCUMENTED.has(res.status), `status ${res.status}`);
        if (res.status === 200) {
          assert.equal(t.producer.sent.length, 1);
          assert.deepEqual(Buffer.from(t.producer.sent[0]!.value!), b, 'the bytes as received');
        } else assert.equal(t.producer.sent.length, 0);
      }),
      { numRuns: 200 },
    );
  });

  it('duplicate and oversized headers: documented status, nothing stored unverified', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 60_000 }), async (n, size) => {
        const t = testIngress();
        const h = new Headers({ 'content-type': 'application/json' });
        for (let i = 0; i < n; i++) h.append('stripe-signature', `t=1,v1=${'a'.repeat(size % 200)}`);
        h.append('x-big', 'x'.repeat(size));
        const res = await t.app.request('http://ingress.local/webhooks/stripe-a', {
          method: 'POST',
          headers: h,
          body: '{}',
        });
        assert.ok(DOCUMENTED.has(res.status), `status ${res.status}`);
        assert.equal(t.producer.sent.length, 0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('ingress over a real socket: big bodies and slow clients', () => {
  let t: TestIngress;
  let server: RunningServer;
  before(async () => {
    t = testIngress();
    server = await listen(t.app, '127.0.0.1', 0, { headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
  });
  after(() => server.close(100));

  /** Raw HTTP/1.1 exchange: writes `parts` with `gapMs` between them, returns what came back and when. */
  const exchange = (parts: (string | Buffer)[], gapMs = 0) =>
    new Promise<{ text: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      const sock = connect(server.port, '127.0.0.1');
      const got: Buffer[] = [];
      sock.on('data', (d) => got.push(d));
      sock.on('error', () => undefined);
      sock.on('close', () => resolve({ text: Buffer.concat(got).toString('latin1'), ms: Date.now() - t0 }));
      void (async () => {
        for (const p of parts) {
          if (sock.destroyed) return;
          sock.write(p);
          if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
    });

  it('10 MB with Content-Length: 413 before reading; without (chunked): 413 at the limit; memory bounded', async () => {
    const ten = Buffer.alloc(10 * 1024 * 1024, 0x61);
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      const withLength = await fetch(`http://127.0.0.1:${server.port}/webhooks/stripe-a`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body: ten,
      }).catch((e: unknown) => e);
      if (withLength instanceof Response) {
        assert.equal(withLength.status, 413);
        refused++;
      }
      const chunked = await fetch(`http://127.0.0.1:${server.port}/webhooks/stripe-a`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body: new ReadableStream({
          start(c) {
            for (let k = 0; k < 10; k++) c.enqueue(ten.subarray(k * 1024 * 1024, (k + 1) * 1024 * 1024));
            c.close();
          },
        }),
        duplex: 'half',
      }).catch((e: unknown) => e);
      if (chunked instanceof Response) {
        assert.equal(chunked.status, 413);
        refused++;
      }
    }
    assert.ok(refused >= 10, `${refused} of 20 uploads answered 413 (the others cut off mid-upload)`);
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - heap0;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew ${Math.round(grown / 1e6)} MB over 200 MB offered`);
    assert.equal(t.producer.sent.length, 0);
  });

  it('headers trickled one byte at a time are cut off by the server', async () => {
    const req = 'POST /webhooks/test HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    const r = await exchange([...req], 100);
    assert.ok(r.ms < 5000, `closed after ${r.ms} ms (headers timeout 1 s)`);
    assert.ok(r.text === '' || r.text.startsWith('HTTP/1.1 408'), r.text.slice(0, 40));
  });

  it('a body trickled slower than the request timeout is cut off with 408, nothing stored', async () => {
    const head =
      'POST /webhooks/test HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Test-Token: tok\r\nContent-Length: 100\r\n\r\n';
    const r = await exchange([head, ...'{"id":"slow","pad":"'.split('')], 300);
    assert.ok(r.ms < 8000, `closed after ${r.ms} ms`);
    assert.match(r.text, /^HTTP\/1\.1 408/);
    assert.equal(t.producer.sent.length, 0);
  });
});
