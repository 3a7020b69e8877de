import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { baseSpec, readConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { connections, connectionSpec } from './index.ts';
import { classifyConnectionError } from './readiness.ts';

const dir = mkdtempSync(join(tmpdir(), 'hookline-conn-'));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ca = file('ca.pem', PEM);
const pwFile = file('password', 's3cret-from-file\n');

const build = (env: Record<string, string>) => connections(readConfig({ ...baseSpec, ...connectionSpec }, env));
const fails = (env: Record<string, string>, re: RegExp) =>
  assert.throws(
    () => build(env),
    (err: unknown) => err instanceof ConfigError && re.test(err.message),
  );

test('plaintext by default: no ssl, no sasl, plain clients', () => {
  const c = build({});
  assert.equal(c.kafka.ssl, undefined);
  assert.equal(c.kafka.sasl, undefined);
  assert.equal(c.registry.agent, undefined);
  assert.deepEqual(c.redis, {});
});

test('SASL_SSL with SCRAM-SHA-512, a CA file and the password from a _FILE', () => {
  const c = build({
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'hookline',
    KAFKA_SASL_PASSWORD_FILE: pwFile,
    KAFKA_SSL_CA_FILE: ca,
  });
  assert.deepEqual(c.kafka.sasl, { mechanism: 'scram-sha-512', username: 'hookline', password: 's3cret-from-file' });
  assert.equal(c.kafka.ssl?.ca, PEM);
  assert.equal(c.kafka.ssl?.rejectUnauthorized, true);
  assert.equal(c.kafka.ssl?.checkServerIdentity, undefined, 'hostname verification stays on by default');
  assert.ok(!c.describe.includes('s3cret'), c.describe);
  assert.match(c.describe, /SASL_SSL SCRAM-SHA-512 as hookline CA /);
});

test('KAFKA_SSL_VERIFY_HOSTNAME=false turns off the hostname check only', () => {
  const c = build({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_VERIFY_HOSTNAME: 'false' });
  assert.equal(typeof c.kafka.ssl?.checkServerIdentity, 'function');
  assert.equal(c.kafka.ssl?.rejectUnauthorized, true);
});

test('PLAIN and SCRAM-SHA-256 map to the kafkajs mechanisms', () => {
  for (const [m, want] of [
    ['PLAIN', 'plain'],
    ['SCRAM-SHA-256', 'scram-sha-256'],
  ] as const) {
    const c = build({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: m,
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    assert.equal(c.kafka.sasl?.mechanism, want);
  }
});

test('OAUTHBEARER re-reads the token file on each authentication', async () => {
  const tokenPath = file('token', 'tok-1\n');
  const c = build({
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
    KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenPath,
  });
  assert.equal(c.kafka.sasl?.mechanism, 'oauthbearer');
  if (c.kafka.sasl?.mechanism !== 'oauthbearer') return;
  assert.deepEqual(await c.kafka.sasl.oauthBearerProvider(), { value: 'tok-1' });
  writeFileSync(tokenPath, 'tok-2');
  assert.deepEqual(await c.kafka.sasl.oauthBearerProvider(), { value: 'tok-2' });
});

test('bad combinations fail at start naming the variable', () => {
  fails({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }, /KAFKA_SASL_MECHANISM is required/);
  fails(
    { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u' },
    /KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) is required/,
  );
  fails({ KAFKA_SASL_MECHANISM: 'PLAIN' }, /KAFKA_SASL_\* is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT/);
  fails({ KAFKA_SSL_CA_FILE: ca }, /KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: ca }, /KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'TLS' }, /KAFKA_SECURITY_PROTOCOL must be one of/);
  fails({ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, /KAFKA_SSL_CA_FILE names a file that cannot be read/);
  fails({ REDIS_TLS_CA_FILE: file('not-pem', 'hello') }, /REDIS_TLS_CA_FILE .* is not a PEM file/);
  fails(
    { KAFKA_SASL_PASSWORD: 'a', KAFKA_SASL_PASSWORD_FILE: pwFile },
    /set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE/,
  );
  fails({ REDIS_TLS_CA_FILE: ca }, /REDIS_TLS_CA_FILE \/ REDIS_TLS_CERT_FILE need a rediss:\/\/ REDIS_URL/);
  fails({ SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }, /needs an https:\/\/ SCHEMA_REGISTRY_URL/);
  fails({ REDIS_SENTINELS: 'a:26379' }, /REDIS_SENTINEL_MASTER is required/);
});

test('registry: basic auth and a CA over https', () => {
  const c = build({
    SCHEMA_REGISTRY_URL: 'https://registry.example:8081',
    SCHEMA_REGISTRY_USERNAME: 'key',
    SCHEMA_REGISTRY_PASSWORD_FILE: pwFile,
    SCHEMA_REGISTRY_CA_FILE: ca,
  });
  assert.deepEqual(c.registry.auth, { username: 'key', password: 's3cret-from-file' });
  assert.equal(c.registry.agent?.options.ca, PEM);
});

test('redis: rediss with CA and ACL user; sentinel options', () => {
  const c = build({
    REDIS_URL: 'rediss://redis.example:6380',
    REDIS_USERNAME: 'hookline',
    REDIS_PASSWORD: 'pw',
    REDIS_TLS_CA_FILE: ca,
  });
  assert.equal(c.redis.username, 'hookline');
  assert.equal(c.redis.password, 'pw');
  assert.equal(c.redis.tls?.ca, PEM);
  assert.match(c.describe, /redis TLS as hookline/);
  const s = build({ REDIS_SENTINELS: 's1:26379, s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' });
  assert.deepEqual(s.redis.sentinels, [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26379 },
  ]);
  assert.equal(s.redis.name, 'mymaster');
});

test('secrets print as [redacted] in JSON, String() and util.inspect', () => {
  const config = readConfig(
    { ...baseSpec, ...connectionSpec },
    { KAFKA_SASL_PASSWORD: 'hunter2', REDIS_PASSWORD_FILE: pwFile },
  );
  for (const text of [JSON.stringify(config), inspect(config, { depth: 5 }), `${String(config.KAFKA_SASL_PASSWORD)}`]) {
    assert.ok(!text.includes('hunter2') && !text.includes('s3cret'), text);
    assert.match(text, /redacted/);
  }
});

test('connection errors are classified as tls, authentication or unreachable', () => {
  assert.equal(classifyConnectionError(new Error('self-signed certificate in certificate chain')).kind, 'tls');
  const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed'), {
    type: 'SASL_AUTHENTICATION_FAILED',
  });
  assert.equal(classifyConnectionError(sasl).kind, 'authentication');
  assert.equal(classifyConnectionError(new Error('WRONGPASS invalid username-password pair')).kind, 'authentication');
  assert.equal(classifyConnectionError(new Error('connect ECONNREFUSED 127.0.0.1:1')).kind, 'unreachable');
});
