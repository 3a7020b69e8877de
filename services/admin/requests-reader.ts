/**
 * The outbound.requests reader: internal producers publish without HTTP by writing a
 * PublishRequest (schemas/outbound.request.avsc) to outbound.requests. Each record goes through
 * the same checks and the same publisher (and so the same Idempotency-Key store) as
 * POST /v1/tenants/{tenantId}/messages. At-least-once (offsets committed after the chunk):
 * a record read again after a crash meets its own idempotency claim and publishes nothing new.
 * A record that can never be published (undecodable, unknown tenant, unknown event type, schema
 * mismatch, key reused with another body) goes to outbound.dlq with its full bytes and the reason.
 * Kafka or Redis unavailable → the chunk is retried in place, in order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PublishRequest } from '../common/contracts/publish.ts';
import { deadLetterOf, deadLetterRecord } from '../common/dlq.ts';
import { PermanentError, isRetriable, messageOf } from '../common/errors.ts';
import { runConsumer, type RunningConsumer } from '../common/kafka/consumer.ts';
import type { HooklineProducer } from '../common/kafka/producer.ts';
import type { InMessage } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { KafkaClient } from '../common/kafka/client.ts';
import { publishProblems, type PublishCheckDeps } from './publish-check.ts';
import { PublishConflict, type Publisher } from './publisher.ts';
import type { TenantStore } from './tenant-store.ts';

export interface RequestsReaderDeps extends PublishCheckDeps {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly avro: AvroCodec;
  readonly producer: HooklineProducer;
  readonly publisher: Publisher;
  readonly tenants: TenantStore;
  readonly logger: Logger;
  readonly onPublished?: (n: number) => void;
}

export function startRequestsReader(d: RequestsReaderDeps): Promise<RunningConsumer> {
  async function one(m: InMessage): Promise<void> {
    let r: PublishRequest;
    try {
      r = await d.avro.decode<PublishRequest>(m.value ?? Buffer.alloc(0));
    } catch (err) {
      if (isRetriable(err)) throw err;
      throw new PermanentError(`undecodable publish request: ${messageOf(err)}`, 'undecodable', err);
    }
    if (!(await d.tenants.get(r.tenantId)))
      throw new PermanentError(`tenant ${r.tenantId} does not exist`, 'unknown_tenant');
    let payload: unknown;
    try {
      payload = JSON.parse(r.payload);
    } catch {
      throw new PermanentError('payload is not JSON', 'invalid_payload');
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      throw new PermanentError('payload must be a JSON object', 'invalid_payload');
    const refused = await publishProblems(d, r.eventType, payload);
    if (refused)
      throw new PermanentError(refused.problems.map((p) => `${p.path}: ${p.message}`).join('; '), refused.code);
    for (let i = 0; ; i++) {
      try {
        await d.publisher.publish(r);
        d.onPublished?.(1);
        return;
      } catch (err) {
        if (err instanceof PublishConflict && err.kind === 'in_progress' && i < 30) {
          await sleep(500);
          continue;
        }
        if (err instanceof PublishConflict) throw new PermanentError(err.message, err.kind);
        throw err;
      }
    }
  }

  return runConsumer({
    kafka: d.kafka,
    groupId: d.groupId,
    topics: [d.topic],
    logger: d.logger,
    chunkSize: 200,
    handle: async (messages) => {
      for (const m of messages) {
        try {
          await one(m);
        } catch (err) {
          if (isRetriable(err)) throw err;
          d.logger.warn(
            { offset: m.offset, partition: m.partition, err: messageOf(err) },
            'publish request dead-lettered',
          );
          const dl = deadLetterOf(m, { stage: 'admin.publish', error: err, attempts: 1 });
          await d.producer.send([await deadLetterRecord(d.avro, d.dlqTopic, dl)]);
        }
      }
    },
  });
}
