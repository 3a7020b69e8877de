/**
 * `hookline tail <topic> [--resource <key or id>] [--since <iso>] [--max <n>]`: prints the decoded
 * events of a domain topic as they arrive, one JSON line each with the canonical record up front, for a
 * team checking what its consumer will see. Without --since it starts at the end (new events only);
 * with --since it starts at that time on every partition and reports progress on stderr until it has
 * caught up. A throwaway consumer group, read_committed, never commits; deleted on exit.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Canonical } from '../common/canonical.ts';
import type { AvroCodec } from '../common/schemas.ts';

export interface TailOptions {
  readonly topic: string;
  /** Keep only events whose resourceKey or resourceId equals this. */
  readonly resource?: string;
  readonly since?: Date;
  /** Stop after this many printed events (default: run until the signal aborts). */
  readonly max?: number;
  readonly out: (line: string) => void;
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly progressEveryMs?: number;
}

interface DomainView {
  eventId: string;
  resourceKey: string;
  resourceId: string;
  provider: string;
  eventType: string;
  occurredAt: number;
  position: number;
  canonical?: Canonical | null;
}

/** One output line: what happened, to which resource, and the canonical record (null when none). */
export function tailLine(e: DomainView): string {
  const c = e.canonical ?? null;
  return JSON.stringify({
    occurredAt: new Date(e.occurredAt).toISOString(),
    resourceKey: e.resourceKey,
    eventType: e.eventType,
    provider: e.provider,
    eventId: e.eventId,
    position: e.position,
    entity: c?.entity ?? null,
    record: c && c.entity !== 'unknown' ? c[c.entity] : null,
  });
}

/** Runs until `max` events were printed or the signal aborts; returns the number printed. */
export async function tail(kafka: Kafka, admin: Admin, avro: AvroCodec, o: TailOptions): Promise<number> {
  const groupId = `hookline-ops.tail.${randomBytes(5).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  const highs = new Map((await admin.fetchTopicOffsets(o.topic)).map((p) => [p.partition, BigInt(p.high)]));
  const starts = o.since ? await admin.fetchTopicOffsetsByTimestamp(o.topic, o.since.getTime()) : [];
  const next = new Map<number, bigint>();
  let printed = 0;
  let read = 0;
  let caughtUp = !o.since;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  o.signal?.addEventListener('abort', () => stop(), { once: true });
  const behind = () => {
    let n = 0n;
    for (const [p, high] of highs) {
      const at = next.get(p) ?? BigInt(starts.find((s) => s.partition === p)?.offset ?? high.toString());
      if (high > at) n += high - at;
    }
    return n;
  };
  const timer = setInterval(() => {
    if (caughtUp) return;
    const left = behind();
    if (left === 0n) {
      caughtUp = true;
      o.progress(`caught up after ${read} events; waiting for new ones`);
    } else o.progress(`read ${read} events, ${left} behind`);
  }, o.progressEveryMs ?? 2000);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        next.set(partition, BigInt(message.offset) + 1n);
        read++;
        if (!message.value || (o.max !== undefined && printed >= o.max)) return;
        const e = await avro.decode<DomainView>(message.value);
        if (o.resource !== undefined && e.resourceKey !== o.resource && e.resourceId !== o.resource) return;
        o.out(tailLine(e));
        printed++;
        if (o.max !== undefined && printed >= o.max) stop();
      },
    });
    for (const s of starts) consumer.seek({ topic: o.topic, partition: s.partition, offset: s.offset });
    await stopped;
  } finally {
    clearInterval(timer);
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return printed;
}
