/**
 * Schemas survive a restart of the stack: Avro records written before `stack.sh down` are decoded
 * after `stack.sh up` by a fresh registry client (no cache), because Apicurio keeps its storage in
 * a Kafka topic. Runs on a second, private stack (own data directory and ports) so the shared
 * stack other tests use is never disturbed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createKafka } from '../../services/common/kafka/client.ts';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { AvroCodec, createRegistry, registerSchemas } from '../../services/common/schemas.ts';
import { applyTopics, TOPICS } from '../../services/common/topics.ts';
import { collect } from '../helpers/collect.ts';
import { testLogger } from '../helpers/env.ts';
import { ROOT } from '../helpers/services.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hookline-stack-'));
const ports = { KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093', REGISTRY_PORT: '18081', REDIS_PORT: '16379' };
const env = {
  ...process.env,
  ...ports,
  HOOKLINE_STACK_DIR: dir,
  STACK_MONITORING: '0',
  KAFKA_HEAP: '512m',
  REGISTRY_HEAP: '384m',
};
const stack = (cmd: string) => run('bash', [`${ROOT}deploy/local/stack.sh`, cmd], { env, timeout: 300_000 });
const registryUrl = `http://127.0.0.1:${ports.REGISTRY_PORT}/apis/ccompat/v7`;
const brokers = [`127.0.0.1:${ports.KAFKA_PORT}`];

describe('stack restart', () => {
  after(async () => {
    await stack('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('still decodes messages written before the restart, with the same schema ids', async () => {
    await stack('up');
    const spec = TOPICS.filter((t) => t.name === 'webhooks.dlq');
    const kafka = createKafka({ brokers, clientId: 'restart-test', logger: testLogger });
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, { prefix: '', replicationFactor: 1, minInsyncReplicas: 1, topics: spec });
    await admin.disconnect();
    const [registered] = await registerSchemas(registryUrl, '', spec);
    const avro = new AvroCodec(createRegistry(registryUrl));
    const letter = {
      id: 'webhooks.raw/0/1',
      stage: 'validator',
      reason: 'missing_field',
      error: 'missing required field id',
      attempts: 1,
      sourceTopic: 'webhooks.raw',
      sourcePartition: 0,
      sourceOffset: 1,
      sourceId: 'stripe-test',
      eventType: null,
      key: 'k',
      value: Buffer.from('{"broken":'),
      headers: { a: 'b' },
      traceId: null,
      failedAt: 1_700_000_000_000,
    };
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send([{ topic: 'webhooks.dlq', key: 'k', value: await avro.encode('webhooks.dlq', letter) }]);
    await producer.disconnect();

    await stack('down');
    await stack('up');

    const status = await stack('status');
    assert.match(status.stdout, /kafka\s+healthy/);
    assert.match(status.stdout, /registry\s+healthy/);
    const fresh = new SchemaRegistry({ host: registryUrl });
    assert.equal(
      await fresh.getLatestSchemaId('webhooks.dlq-value'),
      registered!.id,
      'same schema id after the restart',
    );
    const kafka2 = createKafka({ brokers, clientId: 'restart-test-2', logger: testLogger });
    const c = await collect(kafka2, 'webhooks.dlq');
    const deadline = Date.now() + 30_000;
    while (c.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await c.stop();
    assert.equal(c.messages.length, 1, 'the record written before the restart is still there');
    const decoded = await fresh.decode(c.messages[0]!.value!);
    assert.equal(decoded.reason, 'missing_field');
    assert.deepEqual(Buffer.from(decoded.value), Buffer.from('{"broken":'), 'full original bytes');
  });
});
