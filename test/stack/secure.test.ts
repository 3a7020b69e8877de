/**
 * The platform through secured connections, on a private stack started by this test with
 * HOOKLINE_SECURE=1 (stack.sh): Kafka's SASL_SSL listener with a SCRAM-SHA-512 user and a CA made
 * by openssl, Redis TLS-only with an ACL user (default user off). Every service connects only
 * through them (passwords from *_FILE) and the whole demo runs end to end. Then a wrong password
 * and an untrusted CA: the service stays unready (503 on /readyz) and logs one clear line naming
 * what to check (passwords appear in no log line and no /metrics); it never connects another way (Redis has no plaintext port to fall back to, and
 * the broker address given is the SASL_SSL one).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runDemo, type DemoResult } from '../../scripts/demo.ts';
import { baseSpec, readConfig } from '../../services/common/config.ts';
import { connections, connectionSpec } from '../../services/common/connections/index.ts';
import { createKafka } from '../../services/common/kafka/client.ts';
import { registerSchemas } from '../../services/common/schemas.ts';
import { applyTopics } from '../../services/common/topics.ts';
import { serviceEnv, testLogger, uniquePrefix } from '../helpers/env.ts';
import { freePort, ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hookline-secure-'));
const ports = {
  KAFKA_PORT: '19320',
  KAFKA_CONTROLLER_PORT: '19321',
  KAFKA_SASL_SSL_PORT: '19322',
  REGISTRY_PORT: '19323',
  REDIS_PORT: '19324',
};
const stackEnv = {
  ...process.env,
  ...ports,
  HOOKLINE_STACK_DIR: dir,
  HOOKLINE_SECURE: '1',
  KAFKA_HEAP: '512m',
  REGISTRY_HEAP: '384m',
};
const stack = (cmd: string) => run('bash', [`${ROOT}deploy/local/stack.sh`, cmd], { env: stackEnv, timeout: 400_000 });
const secure = `${dir}/secure`;
const prefix = uniquePrefix('secure');
const ADMIN_KEY = 'secure-admin-key-0123456789';
const ORDER = ['ingress', 'admin', 'validator', 'sequencer', 'processors', 'dispatcher'];

let secureEnv: Record<string, string> = {};

describe('secured connections (SASL_SSL Kafka, TLS + ACL Redis)', () => {
  const services = new Map<string, ServiceProcess>();
  let result: DemoResult;

  before(async () => {
    await stack('up');
    const { stdout } = await stack('env');
    secureEnv = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(secureEnv.KAFKA_BROKERS, `127.0.0.1:${ports.KAFKA_SASL_SSL_PORT}`);
    const config = readConfig({ ...baseSpec, ...connectionSpec }, secureEnv);
    const conn = connections(config);
    const admin = createKafka({
      brokers: config.KAFKA_BROKERS,
      clientId: 'secure-setup',
      logger: testLogger,
      ...conn.kafka,
    }).admin();
    await admin.connect();
    try {
      await applyTopics(admin, { prefix, replicationFactor: 1, minInsyncReplicas: 1 });
    } finally {
      await admin.disconnect();
    }
    await registerSchemas(conn.registry, prefix);
  });

  after(async () => {
    for (const name of [...ORDER].reverse()) await services.get(name)?.stop();
    await stack('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the end-to-end demo with every service on SASL_SSL Kafka and TLS Redis', async () => {
    const env = {
      ...secureEnv,
      SOURCES_FILE: `${ROOT}deploy/local/sources.example.json`,
      ADMIN_API_KEYS: `${ADMIN_KEY}:*`,
      ADMIN_ALLOW_HTTP: 'true',
      DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
      REDIS_KEY_PREFIX: `hookline-test:${prefix}`,
    };
    for (const name of ORDER) services.set(name, await startServiceProcess(name, prefix, env));
    result = await runDemo({
      ingressUrl: `http://127.0.0.1:${services.get('ingress')!.port}`,
      adminUrl: `http://127.0.0.1:${services.get('admin')!.port}`,
      adminKey: ADMIN_KEY,
      stripeSource: 'stripe-test',
      stripeSecret: 'whsec_test_hookline_local_only_not_a_real_secret',
      githubSource: 'github-test',
      githubSecret: 'test-github-secret-local-only',
      timeoutMs: 120_000,
    });
    assert.deepEqual(result.ingressStatuses, [200, 200, 200, 200, 401, 200]);
    const payment = result.deliveries.filter((d) => d.type.startsWith('payment.'));
    assert.deepEqual(
      payment.map((d) => d.type),
      ['payment.updated', 'payment.succeeded'],
    );
    for (const d of result.deliveries) assert.ok(d.verified, `delivery ${d.webhookId} verified`);
    const logs = [...services.values()].flatMap((s) => s.output).join('');
    let metrics = '';
    for (const s of services.values()) metrics += await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
    assert.match(metrics, /# HELP/, 'metrics were read');
    for (const secret of ['kafka-password', 'redis-password']) {
      const value = readFileSync(`${secure}/${secret}`, 'utf8').trim();
      assert.ok(value.length > 10);
      assert.ok(!logs.includes(value), `the ${secret} never appears in a log line`);
      assert.ok(!metrics.includes(value), `the ${secret} never appears in /metrics`);
    }
  });

  for (const c of [
    {
      name: 'a wrong Kafka password and an untrusted Redis certificate',
      env: () => ({
        KAFKA_SASL_PASSWORD_FILE: '',
        KAFKA_SASL_PASSWORD: 'wrong',
        REDIS_TLS_CA_FILE: `${secure}/other-ca.crt`,
      }),
      want: {
        kafka: /kafka authentication refused: .*SASL.*check KAFKA_SASL_MECHANISM/,
        redis: /redis TLS certificate not accepted/,
      },
    },
    {
      name: 'an untrusted Kafka certificate and a wrong Redis password',
      env: () => ({ KAFKA_SSL_CA_FILE: `${secure}/other-ca.crt`, REDIS_PASSWORD_FILE: '', REDIS_PASSWORD: 'wrong' }),
      want: {
        kafka: /kafka TLS certificate not accepted: .*check KAFKA_SSL_CA_FILE/,
        redis: /redis authentication refused/,
      },
    },
  ]) {
    it(`refuses readiness with ${c.name}, with a clear log line`, async () => {
      const port = await freePort();
      const output: string[] = [];
      const child = spawn(process.execPath, [`${ROOT}services/ingress/main.ts`], {
        env: serviceEnv(prefix, {
          ...secureEnv,
          ...c.env(),
          LOG_LEVEL: 'info',
          HTTP_PORT: String(port),
          SOURCES_FILE: `${ROOT}deploy/local/sources.example.json`,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
      child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
      try {
        const deadline = Date.now() + 60_000;
        let ready: { status: number; body: { checks?: Record<string, string> } } | undefined;
        let logged = false;
        while (Date.now() < deadline) {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          if (res) ready = { status: res.status, body: (await res.json()) as { checks?: Record<string, string> } };
          const text = output.join('');
          logged = c.want.kafka.test(text) && c.want.redis.test(text);
          if (ready && logged) break;
          await sleep(500);
        }
        assert.equal(child.exitCode, null, `the service keeps running, unready:\n${output.join('')}`);
        assert.equal(ready?.status, 503, 'never ready');
        assert.notEqual(ready?.body.checks?.kafka, 'ok');
        assert.notEqual(ready?.body.checks?.redis, 'ok');
        assert.ok(logged, `log names the problem:\n${output.join('').slice(-4000)}`);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});
