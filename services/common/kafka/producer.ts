/**
 * Idempotent producer (acks=all) with group commit: records handed in by concurrent callers while
 * a send is in flight are sent together in the next request, so one Kafka round trip carries many
 * webhooks, and an idle producer still sends at once (no linger added to latency).
 */
import type { Producer } from 'kafkajs';
import type { KafkaClient } from './client.ts';
import { Partitioners } from 'kafkajs';
import { TransientError } from '../errors.ts';
import { injectTrace } from '../telemetry.ts';
import { recordBytes } from './split.ts';
import type { OutRecord } from './types.ts';

export interface HooklineProducer {
  connect(): Promise<void>;
  /** Sends now, one request; resolves when all in-sync replicas have the records. */
  send(records: readonly OutRecord[]): Promise<void>;
  /** Queues for the next group-commit request; resolves when durable, rejects if that send fails. */
  enqueue(record: OutRecord): Promise<void>;
  /** Resolves when everything queued so far has been sent. */
  flush(): Promise<void>;
  disconnect(): Promise<void>;
  readonly connected: boolean;
}

export interface ProducerOptions {
  /** Max records per group-commit request. */
  readonly maxBatch?: number;
  /** Max bytes per group-commit request (a single larger record goes alone). */
  readonly maxBatchBytes?: number;
  /** Per-request timeout, ms. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly record: OutRecord;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export function toKafkaMessages(records: readonly OutRecord[]) {
  const byTopic = new Map<
    string,
    { key: string | null; value: Buffer | null; headers: Record<string, string>; partition?: number }[]
  >();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    // A record's own trace context wins: group commit sends many callers' records from one
    // caller's async context, so the active context is only a fallback.
    const headers = r.headers?.traceparent ? { ...r.headers } : injectTrace({ ...(r.headers ?? {}) });
    list.push(
      r.partition === undefined
        ? { key: r.key, value: r.value, headers }
        : { key: r.key, value: r.value, headers, partition: r.partition },
    );
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export function createProducer(kafka: KafkaClient, o: ProducerOptions = {}): HooklineProducer {
  const maxBatch = o.maxBatch ?? 1000;
  const maxBatchBytes = o.maxBatchBytes ?? 900_000;
  const timeout = o.timeoutMs ?? 10_000;
  const producer: Producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  let connected = false;
  let queue: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });
  producer.on(producer.events.CONNECT, () => {
    connected = true;
  });

  async function sendNow(records: readonly OutRecord[]): Promise<void> {
    try {
      await producer.sendBatch({ topicMessages: toKafkaMessages(records), acks: -1, timeout });
    } catch (err) {
      throw new TransientError('kafka did not acknowledge the write', 'kafka_unavailable', err);
    }
  }

  function pump(): void {
    if (inFlight || queue.length === 0) return;
    // One request at most maxBatch records and maxBatchBytes: kafkajs puts a partition's records
    // of one request in one record batch, which must stay under the topic's max.message.bytes.
    let n = 0;
    let bytes = 0;
    while (n < queue.length && n < maxBatch) {
      const size = recordBytes(queue[n]!.record);
      if (n > 0 && bytes + size > maxBatchBytes) break;
      bytes += size;
      n++;
    }
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    inFlight = sendNow(batch.map((p) => p.record)).then(
      () => batch.forEach((p) => p.resolve()),
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
    void inFlight.finally(() => {
      inFlight = undefined;
      pump();
    });
  }

  return {
    get connected() {
      return connected;
    },
    async connect() {
      await producer.connect();
      connected = true;
    },
    send: sendNow,
    enqueue(record) {
      // Capture the caller's trace context now, not when the batch is sent.
      const traced = record.headers?.traceparent
        ? record
        : { ...record, headers: injectTrace({ ...(record.headers ?? {}) }) };
      return new Promise<void>((resolve, reject) => {
        queue.push({ record: traced, resolve, reject });
        pump();
      });
    },
    async flush() {
      while (inFlight || queue.length > 0) {
        pump();
        await inFlight?.catch(() => undefined);
      }
    },
    async disconnect() {
      await this.flush();
      await producer.disconnect();
      connected = false;
    },
  };
}
