/**
 * Fakes for the validator's unit tests (only imported by *.test.ts): an AvroCodec over a registry
 * that encodes with the real schema files in memory, an in-memory DedupeStore with the same
 * claim rule as the Lua script, counting metrics, and raw messages built with toRawRecord.
 */
import avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { TOPIC } from '../common/contracts/index.ts';
import type { InMessage } from '../common/kafka/types.ts';
import { toRawRecord, type RawInput } from '../common/raw.ts';
import { AvroCodec, schemaText } from '../common/schemas.ts';
import type { Claim, DedupeStore } from './dedupe.ts';
import type { ValidatorMetrics } from './metrics.ts';

const typeOf = (file: string) => avro.Type.forSchema(JSON.parse(schemaText(file)) as avro.Schema);

/** Subject → schema file; subjects ending in webhooks.normalized-value, webhooks.enrich-value (same schema) / webhooks.dlq-value. */
export function fakeAvro(o: { down?: () => boolean } = {}): AvroCodec {
  const types = [typeOf('webhooks.normalized.avsc'), typeOf('dlq.avsc')];
  const registry = {
    getLatestSchemaId(subject: string): Promise<number> {
      if (o.down?.()) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8081'));
      if (subject.endsWith('webhooks.normalized-value') || subject.endsWith('webhooks.enrich-value'))
        return Promise.resolve(1);
      if (subject.endsWith('webhooks.dlq-value')) return Promise.resolve(2);
      return Promise.reject(new Error(`no subject ${subject}`));
    },
    encode(id: number, value: unknown): Promise<Buffer> {
      if (o.down?.()) return Promise.reject(new Error('fetch failed: ECONNREFUSED'));
      const body = types[id - 1]!.toBuffer(value);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(id, 1);
      return Promise.resolve(Buffer.concat([head, body]));
    },
    decode(buf: Buffer): Promise<unknown> {
      return Promise.resolve(types[buf.readUInt32BE(1) - 1]!.fromBuffer(buf.subarray(5)));
    },
  };
  return new AvroCodec(registry as unknown as SchemaRegistry);
}

/** Same rule as CLAIM_SCRIPT: no key → claim; own position → emit; other position → duplicate. */
export function memoryDedupe(): DedupeStore & {
  readonly keys: Map<string, { position: string; windowSeconds: number }>;
  calls: number;
  failNext: number;
} {
  const keys = new Map<string, { position: string; windowSeconds: number }>();
  const store = {
    keys,
    calls: 0,
    failNext: 0,
    claim(claims: readonly Claim[]): Promise<boolean[]> {
      store.calls++;
      if (store.failNext > 0) {
        store.failNext--;
        return Promise.reject(
          Object.assign(new Error('redis unavailable'), { retriable: true, reason: 'redis_unavailable' }),
        );
      }
      return Promise.resolve(
        claims.map((c) => {
          const cur = keys.get(c.eventId);
          if (!cur) keys.set(c.eventId, { position: c.position, windowSeconds: c.windowSeconds });
          return !cur || cur.position === c.position;
        }),
      );
    },
  };
  return store;
}

export function countingMetrics(): ValidatorMetrics & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const inc = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  return {
    counts,
    normalized: (s, p) => inc(`normalized ${s} ${p}`),
    deadLettered: (s, r) => inc(`dlq ${s} ${r}`),
    duplicate: (s) => inc(`duplicate ${s}`),
  };
}

/** A webhooks.raw message as the validator receives it (toRawRecord, then a position). */
export function rawMessage(
  input: Omit<RawInput, 'topic' | 'contentType' | 'requestHeaders' | 'receivedAt'> &
    Partial<Pick<RawInput, 'contentType' | 'requestHeaders' | 'receivedAt'>>,
  pos: { topic?: string; partition?: number; offset: number },
  extraHeaders: Record<string, string> = {},
): InMessage {
  const topic = pos.topic ?? TOPIC.raw;
  const rec = toRawRecord({
    contentType: 'application/json',
    requestHeaders: {},
    receivedAt: new Date('2024-05-01T12:00:00Z'),
    ...input,
    topic,
  });
  return {
    topic,
    partition: pos.partition ?? 0,
    offset: String(pos.offset),
    key: rec.key,
    value: rec.value,
    headers: { ...(rec.headers ?? {}), ...extraHeaders },
    timestamp: Date.now(),
  };
}
