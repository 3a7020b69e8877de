/**
 * DLQ list / show / redrive over any dead-letter topic (schemas/dlq.avsc).
 *
 * Redrive puts each chosen record's original bytes back on its source topic (original key and
 * headers, plus hookline-redriven-from) EXACTLY ONCE: a ledger of redriven ids lives in ops.events
 * ({"type":"dlq.redriven","dlqTopic","id"}), written in the SAME Kafka transaction as the redriven
 * records. The redriver first initialises its transactional id `hookline-redrive.<dlq topic>`
 * (fencing any other redriver of that DLQ and aborting what a killed one left open), then reads the
 * ledger read_committed to its end, and skips ids already there. A crash mid-way aborts the open
 * batch; running the command again finishes the rest and never sends a record twice.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { DeadLetter } from '../common/contracts/index.ts';
import { toKafkaMessages } from '../common/kafka/producer.ts';
import type { OutRecord } from '../common/kafka/types.ts';
import type { AvroCodec } from '../common/schemas.ts';
import { readTopicToEnd } from './read.ts';

export interface DlqFilter {
  readonly source?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly since?: Date;
  readonly ids?: readonly string[];
}

export interface DlqEntry extends DeadLetter {
  readonly dlqPartition: number;
  readonly dlqOffset: string;
}

export function matches(d: DeadLetter, f: DlqFilter): boolean {
  if (f.source !== undefined && d.sourceId !== f.source) return false;
  if (f.type !== undefined && d.eventType !== f.type) return false;
  if (f.reason !== undefined && d.reason !== f.reason) return false;
  if (f.since !== undefined && d.failedAt < f.since.getTime()) return false;
  if (f.ids !== undefined && !f.ids.includes(d.id)) return false;
  return true;
}

export async function listDlq(
  kafka: Kafka,
  admin: Admin,
  avro: AvroCodec,
  topic: string,
  f: DlqFilter = {},
): Promise<DlqEntry[]> {
  const out: DlqEntry[] = [];
  await readTopicToEnd(kafka, admin, topic, async (m) => {
    if (m.value === null) return;
    const d = await avro.decode<DeadLetter>(m.value);
    if (matches(d, f)) out.push({ ...d, failedAt: Number(d.failedAt), dlqPartition: m.partition, dlqOffset: m.offset });
  });
  return out;
}

export interface RedriveResult {
  readonly chosen: number;
  readonly alreadyRedriven: number;
  readonly redriven: number;
}

export async function redrive(o: {
  kafka: Kafka;
  admin: Admin;
  avro: AvroCodec;
  dlqTopic: string;
  ledgerTopic: string;
  filter: DlqFilter;
  dryRun?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<RedriveResult> {
  let producer: Producer | undefined;
  if (!o.dryRun) {
    producer = o.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: `hookline-redrive.${o.dlqTopic}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect(); // fences any other redriver of this DLQ before the ledger is read
  }
  try {
    const done = new Set<string>();
    await readTopicToEnd(o.kafka, o.admin, o.ledgerTopic, (m) => {
      if (!m.value) return;
      try {
        const e = JSON.parse(m.value.toString('utf8')) as { type?: string; dlqTopic?: string; id?: string };
        if (e.type === 'dlq.redriven' && e.dlqTopic === o.dlqTopic && e.id) done.add(e.id);
      } catch {
        /* other operational events */
      }
    });
    const chosen = await listDlq(o.kafka, o.admin, o.avro, o.dlqTopic, o.filter);
    const todo = chosen.filter((d) => !done.has(d.id));
    if (o.dryRun || !producer)
      return { chosen: chosen.length, alreadyRedriven: chosen.length - todo.length, redriven: 0 };
    const size = o.batchSize ?? 100;
    let n = 0;
    for (let i = 0; i < todo.length; i += size) {
      const batch = todo.slice(i, i + size);
      const records: OutRecord[] = [];
      for (const d of batch) {
        records.push({
          topic: d.sourceTopic,
          key: d.key,
          value: d.value === null ? null : Buffer.from(d.value),
          headers: { ...d.headers, 'hookline-redriven-from': d.id },
        });
        records.push({
          topic: o.ledgerTopic,
          key: d.id,
          value: Buffer.from(
            JSON.stringify({
              type: 'dlq.redriven',
              dlqTopic: o.dlqTopic,
              id: d.id,
              sourceTopic: d.sourceTopic,
              at: new Date().toISOString(),
            }),
          ),
        });
      }
      const txn = await producer.transaction();
      try {
        await txn.sendBatch({ topicMessages: toKafkaMessages(records), acks: -1 });
        await txn.commit();
      } catch (err) {
        await txn.abort().catch(() => undefined);
        throw err;
      }
      n += batch.length;
      o.onProgress?.(n, todo.length);
    }
    return { chosen: chosen.length, alreadyRedriven: chosen.length - todo.length, redriven: n };
  } finally {
    await producer?.disconnect();
  }
}
