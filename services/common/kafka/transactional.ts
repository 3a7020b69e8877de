/**
 * Transactional producers: the one configuration every transactional writer uses (stage, changelog
 * fencing, DLQ redrive), and an atomic send for writers outside this folder.
 */
import type { Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { KafkaClient } from './client.ts';
import { toKafkaMessages } from './producer.ts';
import { splitBySize } from './split.ts';
import type { OutRecord } from './types.ts';

/** Default max bytes per produce request inside a transaction (below the topics' max.message.bytes). */
export const MAX_SEND_BYTES = 900_000;

export function transactionalProducer(
  kafka: KafkaClient,
  o: { readonly transactionalId: string; readonly transactionTimeoutMs?: number },
): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    transactionalId: o.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    ...(o.transactionTimeoutMs !== undefined ? { transactionTimeout: o.transactionTimeoutMs } : {}),
    allowAutoTopicCreation: false,
  });
}

export interface AtomicWriter {
  /** Initialises the transactional id: fences an older holder of it and aborts what that one left open. */
  connect(): Promise<void>;
  /** Writes all records in ONE transaction (several requests when big): all visible, or none. */
  send(records: readonly OutRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function createAtomicWriter(kafka: KafkaClient, transactionalId: string): AtomicWriter {
  const producer = transactionalProducer(kafka, { transactionalId });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(records) {
      const txn = await producer.transaction();
      try {
        for (const part of splitBySize(records, MAX_SEND_BYTES))
          await txn.sendBatch({ topicMessages: toKafkaMessages(part), acks: -1 });
        await txn.commit();
      } catch (err) {
        await txn.abort().catch(() => undefined);
        throw err;
      }
    },
  };
}
