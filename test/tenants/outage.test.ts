/**
 * Publishing while Kafka is down (issue 9): POST /v1/tenants/{id}/messages answers 503 with
 * Retry-After and accepts nothing; after Kafka returns, the client's retry with the same
 * Idempotency-Key publishes exactly once (the failed attempts did not burn the key, and a write
 * that missed the deadline but was still being retried by the client library is waited for, not
 * written a second time).
 *
 * The shared broker is never touched: like test/ingress/outage.test.ts, this test starts a second
 * real single-node Kafka from the same jars on its own ports and data dir, points an in-process
 * admin at it (shared Redis and registry), SIGKILLs the broker and starts it again on the same data
 * dir. What was published is read back from outbound.events on that broker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../services/common/kafka/client.ts';
import type { RunningService } from '../../services/common/service.ts';
import { registerSchemas } from '../../services/common/schemas.ts';
import { applyTopics, TOPICS } from '../../services/common/topics.ts';
import { api, startAdminInProcess, type Api } from '../admin/helpers.ts';
import { collect } from '../helpers/collect.ts';
import { clearRedisPrefix, eventually, stackConfig, testLogger, uniquePrefix } from '../helpers/env.ts';
import { createKafkaNode, findKafkaLibs, type KafkaNode } from '../ingress/kafka-node.ts';
import { publish } from './helpers.ts';

const libs = findKafkaLibs();
const prefix = uniquePrefix('tenants-outage');
const redisPrefix = `${prefix}r:`;
const topics = TOPICS.filter((t) => t.name === 'outbound.events' || t.name === 'outbound.attempts');

interface Try {
  readonly key: string;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly messageId: string | undefined;
  readonly at: number;
}

describe('tenants: publish while Kafka is down (second private broker)', () => {
  let node: KafkaNode;
  let admin: RunningService;
  let base = '';
  let call: Api;

  before(async () => {
    assert.ok(libs, 'no Kafka jars found: run `bash deploy/local/stack.sh up` or set HOOKLINE_KAFKA_LIBS');
    node = await createKafkaNode(libs);
    await node.start();
    const kadmin = createKafka({ brokers: [node.bootstrap], clientId: 'publish-outage', logger: testLogger }).admin();
    await eventually(
      async () => {
        await kadmin.connect();
        await kadmin.describeCluster();
        return true;
      },
      60_000,
      'second kafka answering',
    );
    await applyTopics(kadmin, { prefix, replicationFactor: 1, minInsyncReplicas: 1, topics });
    await kadmin.disconnect();
    await registerSchemas(stackConfig.SCHEMA_REGISTRY_URL, prefix, topics);
    admin = await startAdminInProcess(prefix, redisPrefix, {
      KAFKA_BROKERS: node.bootstrap,
      ADMIN_PUBLISH_DEADLINE_MS: '1500',
      ADMIN_PUBLISH_TOPIC_READER: 'false',
      LOG_LEVEL: 'fatal', // kafkajs logs every refused connection during the outage
    });
    base = `http://127.0.0.1:${admin.port}`;
    call = api(base);
    assert.equal((await call('POST', '/v1/tenants', { id: 'acme' })).status, 201);
    assert.equal((await call('PUT', '/v1/event-types/invoice.paid', { description: 'paid' })).status, 200);
  });

  after(async () => {
    await admin?.stop();
    await node?.destroy();
    await clearRedisPrefix(redisPrefix);
  });

  it('503 + Retry-After while down, nothing accepted; the same key publishes exactly once after', async (t) => {
    const tries: Try[] = [];
    const attempt = async (key: string, id: string) => {
      const res = await publish(
        { base: () => base },
        'acme',
        { eventType: 'invoice.paid', payload: { id } },
        {
          idempotencyKey: key,
        },
      );
      tries.push({
        key,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        messageId: (res.body as { messageId?: string } | null)?.messageId,
        at: Date.now(),
      });
      return res;
    };

    // The first write to a fresh broker (metadata, producer id) can miss the 1.5 s deadline on a
    // loaded box: retried with its key, as a client would.
    const before = await eventually(
      async () => {
        const r = await attempt('before-outage', 'inv_0');
        return r.status === 202 ? r : undefined;
      },
      60_000,
      'a publish accepted before the outage',
    );

    await node.kill();
    const killedAt = Date.now();
    // One key tried once and never again (a client that gave up), one retried through the outage.
    const once = await attempt('tried-once', 'inv_once');
    assert.equal(once.status, 503, JSON.stringify(once.body));
    while (Date.now() - killedAt < 30_000) {
      await attempt('retried', 'inv_retried');
      await sleep(1000);
    }
    const during = tries.filter((x) => x.at > killedAt);
    t.diagnostic(`answers while down: ${during.map((x) => x.status).join(' ')}`);
    assert.ok(during.length >= 10, 'the client kept trying');
    assert.deepEqual(
      during.filter((x) => x.status !== 503),
      [],
      'every attempt while Kafka is down answers 503',
    );
    assert.ok(
      during.every((x) => x.retryAfter !== null && Number(x.retryAfter) > 0),
      'every 503 carries Retry-After',
    );

    await node.start();
    const restartedAt = Date.now();
    let final: Try | undefined;
    await eventually(
      async () => {
        const r = await attempt('retried', 'inv_retried');
        if (r.status === 202) final = tries[tries.length - 1];
        else await sleep(500);
        return final;
      },
      120_000,
      'the retried key accepted after Kafka returned',
    );
    t.diagnostic(`accepted ${Date.now() - restartedAt} ms after the restart`);
    const again = await attempt('retried', 'inv_retried');
    assert.equal(again.status, 202);
    assert.equal((again.body as { messageId: string }).messageId, final!.messageId, 'the same messageId again');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');

    // What is on outbound.events of the restarted broker.
    const kafka = createKafka({ brokers: [node.bootstrap], clientId: 'publish-outage-read', logger: testLogger });
    const events = await collect(kafka, `${prefix}outbound.events`);
    try {
      const ids = () => events.messages.map((m) => m.headers['hookline-message-id']);
      await eventually(
        () => (ids().includes(final!.messageId) && ids().includes(before.body.messageId) ? true : undefined),
        60_000,
        'published records read back',
      );
      await sleep(3000); // time for any late duplicate to show up
      const count = (id: string | undefined) => ids().filter((x) => x === id).length;
      assert.equal(count(before.body.messageId), 1, 'the message published before the outage, once');
      assert.equal(count(final!.messageId), 1, 'the retried key: published exactly once');
      assert.equal(
        ids().length,
        2,
        `nothing else was published (the 503'd "tried-once" key included): ${ids().join(', ')}`,
      );
    } finally {
      await events.stop();
    }
    // Let the admin's consumers rejoin before after() stops them: a kafkajs consumer stopped while
    // it waits to restart after a crash (the outage) can restart anyway and keep the process alive.
    await eventually(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      60_000,
      'the admin ready again',
    );
    const groups = createKafka({
      brokers: [node.bootstrap],
      clientId: 'publish-outage-groups',
      logger: testLogger,
    }).admin();
    await groups.connect();
    try {
      await eventually(
        async () => {
          const names = ['log', 'index'].map((g) => `hookline-test.${prefix}admin.${g}`);
          const { groups: described } = await groups.describeGroups(names);
          return described.every((g) => g.state === 'Stable') ? true : undefined;
        },
        60_000,
        'the admin consumer groups stable again',
      );
    } finally {
      await groups.disconnect();
    }
  });
});
