/**
 * Example producer for outbound.requests: how a service inside the company publishes a message
 * to one tenant's endpoints without HTTP. It uses only kafkajs and the Confluent schema registry
 * client (no hookline code), as another team's service would; any Confluent-compatible producer
 * in any language does the same: Avro value under the subject outbound.requests-value, key
 * "{tenantId}:{resourceId}", acks=all. The admin's reader applies the same checks and the same
 * Idempotency-Key store as POST /v1/tenants/{tenantId}/messages.
 *
 *   node scripts/publish-example.ts <tenantId> <eventType> '<payload JSON>' [resourceId] [idempotencyKey]
 *
 * Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX (as the services).
 */
import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

const [tenantId, eventType, payload, resourceId, idempotencyKey] = process.argv.slice(2);
if (!tenantId || !eventType || !payload) {
  console.error("usage: node scripts/publish-example.ts <tenantId> <eventType> '<payload JSON>' [resourceId] [key]");
  process.exit(2);
}
const topic = `${process.env.TOPIC_PREFIX ?? ''}outbound.requests`;
const registry = new SchemaRegistry({
  host: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
});
const kafka = new Kafka({
  clientId: 'publish-example',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.WARN,
});
const producer = kafka.producer({ idempotent: true });
await producer.connect();
const schemaId = await registry.getLatestSchemaId(`${topic}-value`);
const request = {
  tenantId,
  eventType,
  payload: JSON.stringify(JSON.parse(payload)),
  resourceId: resourceId ?? null,
  idempotencyKey: idempotencyKey ?? randomUUID(),
  requestedAt: Date.now(),
};
await producer.send({
  topic,
  acks: -1,
  messages: [
    {
      key: resourceId ? `${tenantId}:${resourceId}` : tenantId,
      value: await registry.encode(schemaId, request),
    },
  ],
});
await producer.disconnect();
console.log(
  `published to ${topic}: ${JSON.stringify({ ...request, payload: JSON.parse(request.payload) as unknown })}`,
);
