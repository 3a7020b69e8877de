import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { readConfig } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { dispatcherSpec } from './config.ts';
import type { HttpClient } from './http-client.ts';
import { createOperationalNotifier, operationalEventOf } from './operational.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const msg = (offset: string, rec: unknown) => ({
  topic: 'ops.events',
  partition: 0,
  offset,
  key: null,
  value: Buffer.from(JSON.stringify(rec)),
  headers: {},
  timestamp: 0,
});

describe('operational webhooks', () => {
  it('maps endpoint.disabled and circuit.opened; other records and junk are not sent', () => {
    const at = Date.UTC(2026, 11, 2, 12);
    assert.deepEqual(
      operationalEventOf(msg('7', { type: 'endpoint.disabled', endpointId: 'ep_1', reason: 'gone', detail: 'x', at })),
      {
        id: 'op_0_7',
        type: 'endpoint.disabled',
        timestamp: '2026-12-02T12:00:00.000Z',
        data: { endpointId: 'ep_1', reason: 'gone', detail: 'x' },
      },
    );
    assert.equal(
      operationalEventOf(msg('8', { type: 'circuit.opened', endpointId: 'ep_1', at }))?.type,
      'endpoint.failing',
    );
    assert.equal(operationalEventOf(msg('9', { type: 'circuit.closed', endpointId: 'ep_1' })), undefined);
    assert.equal(operationalEventOf(msg('10', { type: 'gap.released' })), undefined);
    assert.equal(operationalEventOf({ partition: 0, offset: '11', value: Buffer.from('{not json') }), undefined);
  });

  it('signs with the configured secret (verifiable by a Standard Webhooks library) and throws a retriable error on non-2xx', async () => {
    const posts: { headers: Record<string, string>; body: string }[] = [];
    let status = 204;
    const http: HttpClient = {
      post: (_url: URL, headers: Record<string, string>, body: string) => {
        posts.push({ headers, body });
        return Promise.resolve({ status, excerpt: '', retryAfter: undefined });
      },
      close: () => undefined,
    };
    const notify = createOperationalNotifier({
      target: { url: new URL('https://ops.example.test/hook'), secret: SECRET },
      tenantTarget: () => Promise.resolve({ tenantId: 'acme', target: undefined }),
      consoleBase: 'https://admin.example.test/',
      http,
      timeoutMs: 1000,
      userAgent: 'test',
      logger: createLogger('test', 'silent'),
    });
    await notify([msg('1', { type: 'endpoint.disabled', endpointId: 'ep_2', reason: 'failing' })]);
    assert.equal(posts.length, 1);
    const verified = new Webhook(SECRET).verify(posts[0]!.body, posts[0]!.headers) as {
      type: string;
      data: Record<string, unknown>;
    };
    assert.equal(verified.type, 'endpoint.disabled');
    assert.equal(verified.data.tenantId, 'acme');
    assert.equal(verified.data.consoleUrl, 'https://admin.example.test/console/endpoints/ep_2');
    assert.equal(posts[0]!.headers['webhook-id'], 'op_0_1');

    status = 500;
    await assert.rejects(notify([msg('2', { type: 'circuit.opened', endpointId: 'ep_2' })]), (err: unknown) => {
      assert.equal((err as { retriable?: boolean }).retriable, true);
      return true;
    });
  });

  it('a tenant target is tried a bounded number of times, then given up (others are not held up)', async () => {
    const TENANT_SECRET = 'whsec_dGVuYW50LXNlY3JldC1mb3ItdGVzdHMtMDEyMw==';
    const urls: string[] = [];
    let failed = 0;
    const notify = createOperationalNotifier({
      target: undefined,
      tenantTarget: (id) =>
        Promise.resolve({
          tenantId: 'acme',
          target: { url: new URL(`https://acme.example.test/${id}`), secret: TENANT_SECRET },
        }),
      consoleBase: 'https://admin.example.test',
      http: {
        post: (url: URL, headers: Record<string, string>, body: string) => {
          urls.push(url.pathname);
          new Webhook(TENANT_SECRET).verify(body, headers);
          return Promise.resolve({
            status: url.pathname === '/ep_dead' ? 500 : 200,
            excerpt: '',
            retryAfter: undefined,
          });
        },
        close: () => undefined,
      },
      timeoutMs: 1000,
      userAgent: 'test',
      logger: createLogger('test', 'silent'),
      onTenantFailed: () => void failed++,
      sleep: () => Promise.resolve(),
    });
    await notify([
      msg('3', { type: 'circuit.opened', endpointId: 'ep_dead' }),
      msg('4', { type: 'circuit.opened', endpointId: 'ep_ok' }),
    ]);
    assert.deepEqual(urls, ['/ep_dead', '/ep_dead', '/ep_dead', '/ep_ok']);
    assert.equal(failed, 1);
  });

  it('config: URL and secret both or neither, the bad variable named', () => {
    const env = { DISPATCHER_OPERATIONAL_WEBHOOK_URL: 'https://ops.example.test/hook' };
    assert.throws(() => readConfig(dispatcherSpec, env), /DISPATCHER_OPERATIONAL_WEBHOOK_SECRET must be a whsec_/);
    assert.throws(
      () => readConfig(dispatcherSpec, { DISPATCHER_OPERATIONAL_WEBHOOK_SECRET: SECRET }),
      /DISPATCHER_OPERATIONAL_WEBHOOK_URL must be set/,
    );
    assert.throws(
      () =>
        readConfig(dispatcherSpec, {
          DISPATCHER_OPERATIONAL_WEBHOOK_URL: 'ftp://x',
          DISPATCHER_OPERATIONAL_WEBHOOK_SECRET: SECRET,
        }),
      /DISPATCHER_OPERATIONAL_WEBHOOK_URL must be an http\(s\) URL/,
    );
    const c = readConfig(dispatcherSpec, { ...env, DISPATCHER_OPERATIONAL_WEBHOOK_SECRET: SECRET });
    assert.equal(c.DISPATCHER_OPERATIONAL_WEBHOOK_URL?.url.href, 'https://ops.example.test/hook');
    assert.equal(readConfig(dispatcherSpec, {}).DISPATCHER_OPERATIONAL_WEBHOOK_URL, undefined);
  });
});
