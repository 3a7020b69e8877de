/**
 * Consumer lag and DLQ depth on the admin's /metrics, read from the real Kafka: a group of this
 * deployment committed at offset 10 of 30 records shows a lag of 20 on that topic; 3 dead letters
 * show as 3; a group of another deployment (other prefix) is not reported; consuming moves the lag.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProducer } from '../../services/common/kafka/producer.ts';
import type { RunningService } from '../../services/common/service.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { OUTBOUND_TOPICS } from '../dispatcher/helpers.ts';
import { startLagMonitor } from '../../services/admin/lag.ts';
import { clearRedisPrefix, eventually, provision, testKafka, testLogger, uniquePrefix } from '../helpers/env.ts';
import { startAdminInProcess } from './helpers.ts';

const prefix = uniquePrefix('admin-lag');
const redisPrefix = `${prefix}hl:`;
const raw = topicName(prefix, 'webhooks.raw');
const dlq = topicName(prefix, 'webhooks.dlq');
const mine = `hookline-test.${prefix}validator`;
const foreign = `hookline-other.${prefix}validator`;

describe('admin: consumer lag and DLQ depth', () => {
  let svc: RunningService;
  const kafka = testKafka();
  const admin = kafka.admin();

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((t) => OUTBOUND_TOPICS.includes(t) || t.name.startsWith('webhooks.') || t.name.endsWith('.dlq')),
    );
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send(
      Array.from({ length: 30 }, (_, i) => ({ topic: raw, partition: 0, key: `k${i}`, value: Buffer.from(String(i)) })),
    );
    await producer.send(
      Array.from({ length: 3 }, (_, i) => ({ topic: dlq, key: `d${i}`, value: Buffer.from(String(i)) })),
    );
    await producer.disconnect();
    await admin.connect();
    await admin.setOffsets({ groupId: mine, topic: raw, partitions: [{ partition: 0, offset: '10' }] });
    await admin.setOffsets({ groupId: foreign, topic: raw, partitions: [{ partition: 0, offset: '5' }] });
    svc = await startAdminInProcess(prefix, redisPrefix, { ADMIN_LAG_INTERVAL_MS: '1000' });
  });
  after(async () => {
    await svc?.stop();
    await admin.deleteGroups([mine, foreign]).catch(() => undefined);
    await admin.disconnect();
    await clearRedisPrefix(redisPrefix);
  });

  const metrics = async () => (await fetch(`http://127.0.0.1:${svc.port}/metrics`)).text();
  const lagLine = (text: string, group: string) =>
    text
      .split('\n')
      .find(
        (l) => l.startsWith('hookline_consumer_lag{') && l.includes(`group="${group}"`) && l.includes(`topic="${raw}"`),
      );

  it('reports each group of this deployment by topic, and each dead-letter topic', async () => {
    const text = await eventually(
      async () => {
        const t = await metrics();
        return lagLine(t, mine) ? t : undefined;
      },
      30_000,
      'the lag of the group',
    );
    assert.match(lagLine(text, mine)!, / 20$/, 'committed 10 of 30 on partition 0, nothing elsewhere');
    assert.equal(lagLine(text, foreign), undefined, "another deployment's group is not reported");
    const committed = text
      .split('\n')
      .find((l) => l.startsWith('hookline_consumer_committed{') && l.includes(`group="${mine}"`));
    assert.match(committed ?? '', / 10$/, 'the committed offset, for the stalled-consumer alert');
    assert.match(text, new RegExp(`hookline_dlq_records\\{topic="${dlq.replace(/\./g, '\\.')}"[^}]*\\} 3\\n`));
    assert.match(text, /hookline_lag_scrape_age_seconds\{[^}]*\} \d/);

    await admin.setOffsets({ groupId: mine, topic: raw, partitions: [{ partition: 0, offset: '30' }] });
    await eventually(
      async () => (/ 0$/.test(lagLine(await metrics(), mine) ?? '') ? true : undefined),
      30_000,
      'the lag back to 0 after consuming',
    );
  });

  it('skips a dead-letter topic that does not exist instead of failing the whole read', async () => {
    const monitor = startLagMonitor({
      admin,
      groupPrefix: `hookline-test.${prefix}`,
      dlqTopics: [dlq, `${prefix}no-such.dlq`],
      intervalMs: 60_000,
      logger: testLogger,
    });
    try {
      const figures = await monitor.refresh();
      assert.deepEqual(figures.dlq, [{ topic: dlq, records: 3 }]);
      assert.ok(figures.lag.some((l) => l.group === mine && l.topic === raw));
    } finally {
      await monitor.stop();
    }
  });
});
