/**
 * Example downstream consumer of events.payments — copy this file into your own service.
 *
 * One consumer for every payment provider: it reads the canonical `Payment` (schemas/canonical.avsc),
 * never the provider payload. Values are Confluent-framed Avro; @kafkajs/confluent-schema-registry
 * fetches the writer schema by the id in each record, so this keeps working when hookline adds
 * fields (BACKWARD compatible). Offsets are committed only after the record was handled
 * (at-least-once): make `handle` idempotent on `eventId`. read_committed: hookline writes
 * events.<domain> in Kafka transactions.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 \
 *     node scripts/examples/payments-consumer.ts
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka } from 'kafkajs';

interface Money {
  amountMinor: number;
  currency: string;
}
interface Payment {
  id: string;
  status: string;
  providerStatus: string | null;
  amount: Money | null;
  method: string | null;
  customerRef: string | null;
  orderRef: string | null;
  metadata: Record<string, string>;
}
interface DomainEvent {
  eventId: string;
  provider: string;
  eventType: string;
  resourceKey: string;
  occurredAt: number;
  canonical: { entity: string; payment: Payment | null } | null;
}

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const registry = new SchemaRegistry({
  host: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
});
const topic = `${process.env.TOPIC_PREFIX ?? ''}events.payments`;
const kafka = new Kafka({ clientId: 'payments-example', brokers });
const consumer = kafka.consumer({ groupId: process.env.GROUP_ID ?? 'payments-example', readUncommitted: false });

/** Your business logic: idempotent on eventId (a record can be seen again after a crash). */
function handle(e: DomainEvent, p: Payment): void {
  const amount = p.amount ? `${p.amount.amountMinor} minor units of ${p.amount.currency}` : 'no amount';
  process.stdout.write(`${e.eventId} ${p.id} ${p.status} (${e.provider}: ${p.providerStatus}) ${amount}\n`);
}

await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    if (message.value) {
      const e = (await registry.decode(message.value)) as DomainEvent;
      // Only payments; refunds, disputes and payouts arrive on the same topic with their own entity.
      if (e.canonical?.entity === 'payment' && e.canonical.payment) handle(e, e.canonical.payment);
    }
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void consumer.disconnect().then(() => process.exit(0)));
}
