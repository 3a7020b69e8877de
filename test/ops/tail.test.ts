/**
 * `hookline tail` on the real Kafka and registry: domain events written with the registered schema are
 * printed decoded, with the canonical record up front, filtered by resource, with progress reported
 * while it catches up from --since.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canonical } from '../../services/common/canonical.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { tail } from '../../services/ops-cli/tail.ts';
import { provision, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';

const prefix = uniquePrefix('tail');
const topic = topicName(prefix, 'events.payments');

function domainEvent(resourceId: string, n: number, status: 'pending' | 'succeeded') {
  return {
    eventId: `00000000-0000-4000-8000-00000000000${n}`,
    sourceId: 'stripe-test',
    provider: 'stripe',
    eventType: 'payment_intent.updated',
    resourceType: 'payment_intent',
    resourceId,
    resourceKey: `stripe-test:payment_intent:${resourceId}`,
    dedupeKey: `evt_${n}`,
    occurredAt: 1_700_000_000_000 + n,
    receivedAt: 1_700_000_000_000 + n,
    ordering: { kind: 'NONE', value: null, statusRank: null },
    payload: '{}',
    contentType: 'application/json',
    deliveryId: `evt_${n}`,
    headers: {},
    raw: { topic: 'webhooks.raw', partition: 0, offset: n },
    domain: 'payments',
    position: n,
    gap: null,
    stale: false,
    sequencedAt: 1_700_000_000_000 + n,
    staleReason: null,
    releasedBy: null,
    canonical: canonical('payment', { id: resourceId, status, amount: { amountMinor: 100 * n, currency: 'EUR' } }),
  };
}

describe('hookline tail', () => {
  const kafka = testKafka('tail-test');
  const admin = kafka.admin();
  const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));

  before(async () => {
    await provision(
      prefix,
      TOPICS.filter((t) => t.name === 'events.payments'),
    );
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    const events = [
      domainEvent('pi_a', 1, 'pending'),
      domainEvent('pi_b', 2, 'pending'),
      domainEvent('pi_a', 3, 'succeeded'),
    ];
    for (const e of events) {
      await producer.send({ topic, messages: [{ key: e.resourceKey, value: await avro.encode(topic, e) }] });
    }
    await producer.disconnect();
  });

  it('prints decoded canonical events of one resource from --since, with progress', async () => {
    const lines: string[] = [];
    const progress: string[] = [];
    const printed = await tail(kafka, admin, avro, {
      topic,
      resource: 'pi_a',
      since: new Date(Date.now() - 3_600_000),
      max: 2,
      out: (l) => lines.push(l),
      progress: (l) => progress.push(l),
      progressEveryMs: 50,
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(printed, 2);
    const parsed = lines.map(
      (l) => JSON.parse(l) as { entity: string; resourceKey: string; record: { status: string; amount: unknown } },
    );
    assert.deepEqual(
      parsed.map((p) => [p.entity, p.resourceKey, p.record.status]),
      [
        ['payment', 'stripe-test:payment_intent:pi_a', 'pending'],
        ['payment', 'stripe-test:payment_intent:pi_a', 'succeeded'],
      ],
    );
    assert.deepEqual(parsed[1]!.record.amount, { amountMinor: 300, currency: 'EUR' });
  });

  after(async () => {
    await admin.disconnect();
  });
});
