/**
 * The registry connection with basic auth and TLS against a real registry: an HTTPS reverse proxy
 * (certificate from deploy/local/certs.sh, basic auth required) in front of the stack's Apicurio,
 * as Confluent Cloud, Aiven or Karapace put one in front of theirs. Schemas are registered and
 * records encoded and decoded through it; a wrong password and an untrusted CA are refused (and
 * classified so the readiness log names what to check).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { baseSpec, readConfig } from '../../services/common/config.ts';
import { connections, connectionSpec, registryRequest } from '../../services/common/connections/index.ts';
import { classifyConnectionError } from '../../services/common/connections/readiness.ts';
import { AvroCodec, createRegistry, registerSchemas } from '../../services/common/schemas.ts';
import { topicName, TOPICS } from '../../services/common/topics.ts';
import { stackConfig, uniquePrefix } from '../helpers/env.ts';
import { ROOT } from '../helpers/services.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hookline-registry-tls-'));
const prefix = uniquePrefix('registry-auth');
const USER = 'registry-key';
const PASSWORD = 'registry-secret-0123456789';
const upstream = new URL(stackConfig.SCHEMA_REGISTRY_URL);
let server: Server;
let url = '';

const connect = (env: Record<string, string>) =>
  connections(readConfig({ ...baseSpec, ...connectionSpec }, { SCHEMA_REGISTRY_URL: url, ...env })).registry;

describe('schema registry over HTTPS with basic auth', () => {
  before(async () => {
    await run('bash', [`${ROOT}deploy/local/certs.sh`, dir]);
    const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    server = createServer(
      { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) },
      (req, res) => {
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":401,"message":"Unauthorized"}');
          return;
        }
        const path = `${upstream.pathname}${(req.url ?? '/').replace(/^\/registry/, '')}`;
        const fwd = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            path,
            method: req.method,
            headers: { ...req.headers, host: upstream.host },
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        fwd.on('error', () => res.writeHead(502).end());
        req.pipe(fwd);
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/registry`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers, encodes and decodes with the CA and the password from a _FILE', async () => {
    const pw = join(dir, 'password');
    writeFileSync(pw, `${PASSWORD}\n`);
    const conn = connect({
      SCHEMA_REGISTRY_USERNAME: USER,
      SCHEMA_REGISTRY_PASSWORD_FILE: pw,
      SCHEMA_REGISTRY_CA_FILE: join(dir, 'ca.crt'),
    });
    const spec = TOPICS.filter((t) => t.name === 'webhooks.dlq');
    const [registered] = await registerSchemas(conn, prefix, spec);
    assert.ok(registered && registered.id > 0);
    const avro = new AvroCodec(createRegistry(conn));
    const topic = topicName(prefix, 'webhooks.dlq');
    const value = {
      id: 'webhooks.raw/0/1',
      stage: 'validator',
      reason: 'unparseable',
      error: 'not JSON',
      attempts: 1,
      sourceTopic: 'webhooks.raw',
      sourcePartition: 0,
      sourceOffset: 1,
      sourceId: null,
      eventType: null,
      key: null,
      value: Buffer.from('{oops'),
      headers: {},
      traceId: null,
      failedAt: 1_700_000_000_000,
    };
    const buf = await avro.encode(topic, value);
    assert.equal(buf.readUInt32BE(1), registered.id, 'Confluent framing carries the registered id');
    assert.deepEqual({ ...(await avro.decode<object>(buf)) }, value);
    const ready = await registryRequest(conn, '/subjects', { timeoutMs: 2000 });
    assert.equal(ready.status, 200);
  });

  it('a wrong password gets 401, classified as authentication', async () => {
    const conn = connect({
      SCHEMA_REGISTRY_USERNAME: USER,
      SCHEMA_REGISTRY_PASSWORD: 'wrong',
      SCHEMA_REGISTRY_CA_FILE: join(dir, 'ca.crt'),
    });
    const res = await registryRequest(conn, '/subjects');
    assert.equal(res.status, 401);
    assert.equal(classifyConnectionError(new Error(`registry answered ${res.status}`)).kind, 'authentication');
  });

  it('an untrusted CA is refused before any credential is sent', async () => {
    const conn = connect({
      SCHEMA_REGISTRY_USERNAME: USER,
      SCHEMA_REGISTRY_PASSWORD: PASSWORD,
      SCHEMA_REGISTRY_CA_FILE: join(dir, 'other-ca.crt'),
    });
    const err = await registryRequest(conn, '/subjects').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err, 'the request fails');
    assert.equal(classifyConnectionError(err).kind, 'tls');
  });
});
