/**
 * The Kafka client behind a factory; its log lines go to pino. kafkajs is imported only inside
 * services/common/kafka (eslint enforces it): the rest of the code holds a KafkaClient handle, passes
 * it to this folder's runtime (runStage, runConsumer, createProducer, readTopicToEnd, …) and uses
 * KafkaAdmin (admin.ts) for cluster operations, so the client can be replaced in this one folder.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
// Side effect: fixes kafkajs's read_committed filter (aborted records leaked); see the file.
import './read-committed.ts';
// Side effect: fixes the cause of kafkajs's TimeoutNegativeWarning; see the file.
import './timeout-fix.ts';
import type { Logger } from '../logger.ts';
import type { HeaderMap } from '../telemetry.ts';
import type { InMessage } from './types.ts';

/** Opaque outside this folder: hand it to the runtime's functions, do not call it. */
export type KafkaClient = Kafka;

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

export function createKafka(o: KafkaOptions): KafkaClient {
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
 * The group no longer knows this member's generation (session expired, rebalance under way):
 * only kafkajs's runner can fix that, by re-joining, and it does so when such an error leaves the
 * eachBatch callback. Retrying the chunk in place instead keeps the member out of the group forever
 * (every heartbeat and offset commit refused), which is how a restarted dispatcher got stuck.
 */
export function isMembershipError(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return (
    type === 'UNKNOWN_MEMBER_ID' ||
    type === 'REBALANCE_IN_PROGRESS' ||
    type === 'ILLEGAL_GENERATION' ||
    type === 'NOT_COORDINATOR_FOR_GROUP'
  );
}

/**
 * Runs `work` inside an eachBatch callback and heartbeats every second while it runs (kafkajs only
 * sends one per heartbeatInterval), as the Java client's heartbeat thread does: a handler slowed by
 * a dependency (a registry starved of CPU, a Redis round trip under load) no longer lets the session
 * expire. A membership error seen by a heartbeat is thrown once `work` has settled.
 */
export async function withHeartbeats<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  let lost: Error | undefined;
  const timer = setInterval(() => {
    if (lost === undefined)
      heartbeat().catch((err: unknown) => {
        if (isMembershipError(err)) lost = err as Error;
      });
  }, 1000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    if (lost !== undefined) throw lost;
  }
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
