/**
 * "Durable before acknowledged": hands a request's records to the group-commit producer and
 * waits for Kafka's acks=all, bounded by a deadline. Anything short of that is a TransientError
 * the handler turns into 503 + Retry-After, so the platform retries; never a 2xx for a record
 * that could be lost.
 *
 * A write that misses the deadline may still land later (the producer keeps retrying): the
 * platform's retry then stores it twice on webhooks.raw. That is the safe direction — the raw
 * event id is deterministic (source, delivery id, batch index) and the validator deduplicates.
 *
 * Also the Kafka side of readiness: not ready until the producer is connected, and while the last
 * write failed (for up to `failureMemoryMs`, so a quiet instance is not stuck "not ready").
 */
import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { TransientError } from '../common/errors.ts';
import type { HooklineProducer } from '../common/kafka/producer.ts';
import type { OutRecord } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';

export interface DurableWriter {
  /** Resolves once every record is acknowledged by all in-sync replicas; TransientError otherwise. */
  write(records: readonly OutRecord[]): Promise<void>;
  /** Readiness check: throws while Kafka cannot take writes. */
  ready(): Promise<void>;
  /** Connects in the background, retrying with backoff until it succeeds or stop() is called. */
  start(): void;
  /** Waits for queued writes, then disconnects. */
  stop(): Promise<void>;
}

export interface DurableWriterOptions {
  readonly producer: HooklineProducer;
  readonly deadlineMs: number;
  readonly maxPending: number;
  readonly logger?: Logger;
  readonly failureMemoryMs?: number;
  readonly now?: () => number;
}

export function createDurableWriter(o: DurableWriterOptions): DurableWriter {
  const now = o.now ?? Date.now;
  const failureMemoryMs = o.failureMemoryMs ?? 10_000;
  let pending = 0;
  let lastSuccess = 0;
  let lastFailure = 0;
  let connecting: Promise<void> | undefined;
  let stopped = false;

  function connect(): Promise<void> {
    connecting ??= (async () => {
      let delay = 200;
      while (!stopped && !o.producer.connected) {
        try {
          await o.producer.connect();
          if (o.producer.connected) break;
        } catch (err) {
          o.logger?.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'kafka producer not connected, retrying',
          );
        }
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(5000, delay * 2);
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  return {
    start() {
      void connect();
    },

    async write(records) {
      if (records.length === 0) return;
      if (!o.producer.connected) {
        void connect();
        throw new TransientError('kafka producer is not connected', 'kafka_unavailable');
      }
      if (pending + records.length > o.maxPending) {
        throw new TransientError(`more than ${o.maxPending} records wait for kafka`, 'overloaded');
      }
      pending += records.length;
      // Enqueue outside any request context: the group-commit pump then runs in the root context,
      // so the producer's own trace injection finds no span and each record keeps the traceparent of
      // ITS request (set by the handler) instead of the span of whichever request started the batch.
      const acked = context
        .with(ROOT_CONTEXT, () => Promise.all(records.map((r) => o.producer.enqueue(r))))
        .then(
          () => {
            lastSuccess = now();
          },
          (err: unknown) => {
            lastFailure = now();
            throw err;
          },
        )
        .finally(() => {
          pending -= records.length;
        });
      acked.catch(() => undefined); // settled after the deadline: handled here, already answered 503

      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          lastFailure = now();
          reject(new TransientError(`kafka did not acknowledge within ${o.deadlineMs} ms`, 'kafka_timeout'));
        }, o.deadlineMs);
      });
      try {
        await Promise.race([acked, deadline]);
      } catch (err) {
        if (err instanceof TransientError) throw err;
        throw new TransientError('kafka did not acknowledge the write', 'kafka_unavailable', err);
      } finally {
        clearTimeout(timer);
      }
    },

    ready() {
      if (!o.producer.connected) return Promise.reject(new Error('kafka producer not connected'));
      if (lastFailure > lastSuccess && now() - lastFailure < failureMemoryMs) {
        return Promise.reject(new Error('the last kafka write failed'));
      }
      return Promise.resolve();
    },

    async stop() {
      stopped = true;
      await connecting?.catch(() => undefined);
      if (o.producer.connected) await o.producer.disconnect();
    },
  };
}
