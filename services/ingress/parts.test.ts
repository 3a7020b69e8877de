import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../common/errors.ts';
import { listen, type RunningServer } from '../common/http.ts';
import type { Redis } from '../common/redis.ts';
import { ingressSpec } from './config.ts';
import { readConfig } from '../common/config.ts';
import { memoryRateLimiter, redisRateLimiter, ruleOf } from '../common/rate-limit.ts';
import { openSources } from '../common/source-store-redis.ts';
import { sourceOptionProblems } from '../common/sources.ts';
import { getProvider } from '../providers/index.ts';
import { fakeProducer, testIngress } from './testing.ts';
import { createDurableWriter } from './writer.ts';
import { signedUrl } from './app.ts';

describe('413 over a real socket (the rest of the body is not read)', () => {
  let server: RunningServer;
  before(async () => {
    server = await listen(testIngress().app, '127.0.0.1', 0);
  });
  after(() => server.close());

  function open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  }

  it('chunked: answers 413 mid-stream, then closes the connection (bounded discard, never buffered)', async () => {
    const s = await open();
    let response = '';
    let closed = false;
    s.on('data', (d: Buffer) => (response += d.toString()));
    s.on('close', () => (closed = true));
    s.on('error', () => undefined); // EPIPE once the server closed: expected
    s.write(
      'POST /webhooks/small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Test-Token: tok\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    let sent = 0;
    const chunk = `100\r\n${'a'.repeat(256)}\r\n`;
    while (!response && !closed && sent < 4 * 1024 * 1024) {
      if (!s.write(chunk)) await new Promise((r) => setTimeout(r, 5));
      sent += 256;
      if (sent % 4096 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(response, /^HTTP\/1\.1 413 /);
    assert.ok(closed, 'server closed the connection');
    assert.ok(sent < 256 * 1024, `client could push ${sent} bytes before the answer`);
    s.destroy();
  });

  it('declared Content-Length over the limit: 413 before any body byte is sent', async () => {
    const s = await open();
    let response = '';
    s.on('data', (d: Buffer) => (response += d.toString()));
    s.write(
      'POST /webhooks/small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Test-Token: tok\r\nContent-Length: 10485760\r\n\r\n',
    );
    for (let i = 0; i < 100 && !response; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(response, /^HTTP\/1\.1 413 /);
    s.destroy();
  });
});

describe('rate limiter', () => {
  it('rule: perSecond with a burst defaulting to one second of traffic', () => {
    assert.equal(ruleOf({}), undefined);
    assert.deepEqual(ruleOf({ rateLimitPerSecond: 2.5 }), { perSecond: 2.5, burst: 3 });
    assert.deepEqual(ruleOf({ rateLimitPerSecond: 0.2 }), { perSecond: 0.2, burst: 1 });
    assert.deepEqual(ruleOf({ rateLimitPerSecond: 10, rateLimitBurst: 50 }), { perSecond: 10, burst: 50 });
  });

  it('memory bucket refills at the rate', async () => {
    let t = 0;
    const rl = memoryRateLimiter(() => t);
    const rule = { perSecond: 2, burst: 2 };
    assert.equal((await rl.take('s', rule)).allowed, true);
    assert.equal((await rl.take('s', rule)).allowed, true);
    const refused = await rl.take('s', rule);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 1);
    assert.equal(refused.retryAfterMs, 500, 'one token at 2/s: 500 ms');
    t += 500;
    assert.equal((await rl.take('s', rule)).allowed, true);
    assert.equal((await rl.take('s', rule)).allowed, false);
  });

  it('Redis failing or hanging → decided in process (fail open, still limited), fallback reported', async () => {
    const failures: unknown[] = [];
    const failing = { script: () => Promise.reject(new Error('Connection is closed.')) } as unknown as Redis;
    const rl = redisRateLimiter({
      redis: failing,
      keyPrefix: 'k:',
      timeoutMs: 50,
      onFallback: (e) => failures.push(e),
    });
    const rule = { perSecond: 1, burst: 1 };
    const first = await rl.take('s', rule);
    assert.deepEqual(first, { allowed: true, retryAfterSeconds: 0, retryAfterMs: 0, fallback: true });
    assert.equal((await rl.take('s', rule)).allowed, false, 'the in-process bucket still limits');
    const hanging = { script: () => new Promise(() => undefined) } as unknown as Redis;
    const slow = redisRateLimiter({
      redis: hanging,
      keyPrefix: 'k:',
      timeoutMs: 30,
      onFallback: (e) => failures.push(e),
    });
    const started = Date.now();
    assert.equal((await slow.take('s', rule)).fallback, true);
    assert.ok(Date.now() - started < 500);
    assert.equal(failures.length, 3);
  });
});

describe('durable writer readiness', () => {
  it('not ready until connected; not ready right after a failed write; ready again after a success', async () => {
    let now = 1_000_000;
    const p = fakeProducer();
    p.isConnected = false;
    const w = createDurableWriter({ producer: p, deadlineMs: 100, maxPending: 10, now: () => now });
    await assert.rejects(w.ready());
    w.start();
    await new Promise((r) => setTimeout(r, 10));
    await w.ready();
    p.mode = 'fail';
    await assert.rejects(
      w.write([{ topic: 't', key: 'k', value: Buffer.from('v') }]),
      (e: Error) => e.name === 'TransientError',
    );
    await assert.rejects(w.ready());
    now += 11_000;
    await w.ready(); // a quiet instance is not stuck "not ready"; the ops kafka check still applies
    p.mode = 'ok';
    now -= 5_000;
    await w.write([{ topic: 't', key: 'k', value: Buffer.from('v') }]);
    await w.ready();
    await w.stop();
  });

  it('bounded backlog: more than maxPending records waiting → 503 at once (reason overloaded)', async () => {
    const p = fakeProducer('hang');
    const w = createDurableWriter({ producer: p, deadlineMs: 300, maxPending: 2 });
    const rec = { topic: 't', key: 'k', value: Buffer.from('v') };
    const waiting = w.write([rec, rec]);
    waiting.catch(() => undefined);
    await assert.rejects(w.write([rec]), (e: Error & { reason?: string }) => e.reason === 'overloaded');
  });
});

describe('configuration', () => {
  it('ingress defaults and TRUST_PROXY forms', async () => {
    const c = readConfig(ingressSpec, { SOURCES_FILE: 'x.json' });
    assert.equal(c.HTTP_PORT, 8080);
    assert.equal(c.INGRESS_PRODUCE_TIMEOUT_MS, 5000);
    assert.equal(c.TRUST_PROXY, 0);
    assert.equal(readConfig(ingressSpec, { SOURCES_FILE: 'x', TRUST_PROXY: 'true' }).TRUST_PROXY, 1);
    assert.equal(readConfig(ingressSpec, { SOURCES_FILE: 'x', TRUST_PROXY: '2' }).TRUST_PROXY, 2);
    assert.throws(() => readConfig(ingressSpec, { SOURCES_FILE: 'x', TRUST_PROXY: 'maybe' }), ConfigError);
    assert.throws(() => readConfig(ingressSpec, { SOURCES_STORE: 'etcd' }), /SOURCES_STORE must be one of file, redis/);
    await assert.rejects(
      openSources(readConfig(ingressSpec, {}), { redis: {} as Redis, logger: {} as never }, getProvider, {}),
      /SOURCES_FILE is required with SOURCES_STORE=file/,
    );
  });

  it('source options the ingress reads are validated at start-up, naming the source', () => {
    assert.deepEqual(
      sourceOptionProblems('s1', { bodyLimitBytes: 10, rateLimitPerSecond: 0.5, publicUrl: 'https://a.example/x' }),
      [],
    );
    assert.equal(sourceOptionProblems('s1', { bodyLimitBytes: -1 }).length, 1);
    assert.equal(sourceOptionProblems('s1', { rateLimitPerSecond: '5' }).length, 1);
    assert.equal(sourceOptionProblems('s1', { rateLimitBurst: 0.5 }).length, 1);
    assert.match(sourceOptionProblems('s1', { publicUrl: '/relative' })[0]!, /source s1: publicUrl/);
  });

  it('signedUrl keeps an explicit query of the public URL', () => {
    assert.equal(
      signedUrl('http://127.0.0.1/webhooks/a?x=1', 'https://pub.example/hooks/a?token=t').toString(),
      'https://pub.example/hooks/a?token=t',
    );
    assert.equal(signedUrl('http://127.0.0.1/webhooks/a?x=1', undefined).toString(), 'http://127.0.0.1/webhooks/a?x=1');
  });
});
