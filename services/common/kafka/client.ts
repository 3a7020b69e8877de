/** kafkajs behind a factory; its log lines go to pino. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
// Side effect: fixes kafkajs's read_committed filter (aborted records leaked); see the file.
import './read-committed.ts';
import type { Logger } from '../logger.ts';
import type { HeaderMap } from '../telemetry.ts';
import type { InMessage } from './types.ts';

export type { Kafka };

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** ms to wait for a broker connection; short so readiness reflects reality. */
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
  readonly retry?: KafkaConfig['retry'];
  /** TLS and SASL, built by connections/kafka.ts; absent = plaintext. */
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: KafkaConfig['sasl'];
}

export function createKafka(o: KafkaOptions): Kafka {
  const log = o.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: o.clientId,
    brokers: [...o.brokers],
    ...(o.ssl ? { ssl: o.ssl } : {}),
    ...(o.sasl ? { sasl: o.sasl } : {}),
    connectionTimeout: o.connectionTimeout ?? 3000,
    requestTimeout: o.requestTimeout ?? 30000,
    retry: o.retry ?? { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level === logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  });
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined;

export function decodeHeaders(h: RawHeaders): HeaderMap {
  const out: HeaderMap = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) out[k] = Buffer.isBuffer(one) ? one.toString('utf8') : one;
  }
  return out;
}

export function toInMessage(
  topic: string,
  partition: number,
  m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: RawHeaders; timestamp: string },
): InMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value,
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/**
 * Waits `ms` inside an eachBatch callback without losing the group: sleeps in 1 s slices and
 * heartbeats between them, returning early when the consumer stops or the batch goes stale.
 */
export async function waitInBatch(
  ms: number,
  b: { heartbeat: () => Promise<void>; isRunning: () => boolean; isStale: () => boolean },
): Promise<void> {
  for (let waited = 0; waited < ms && b.isRunning() && !b.isStale(); waited += 1000) {
    await sleep(Math.min(1000, ms - waited));
    await b.heartbeat().catch(() => undefined);
  }
}
