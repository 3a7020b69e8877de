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
 * Shared by the operator CLI (scripts/hookline.ts) and the admin API (/v1/dead-letters).
 */
import type { DeadLetter } from '../contracts/index.ts';
import type { KafkaAdmin } from '../kafka/admin.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { readTopicToEnd } from '../kafka/read.ts';
import { createAtomicWriter, type AtomicWriter } from '../kafka/transactional.ts';
import type { OutRecord } from '../kafka/types.ts';
import type { AvroCodec } from '../schemas.ts';

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
  kafka: KafkaClient,
  admin: KafkaAdmin,
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
  /** Ids redriven now (dry run: the ids that would be), in DLQ order. */
  readonly ids: readonly string[];
}

export async function redrive(o: {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  avro: AvroCodec;
  dlqTopic: string;
  ledgerTopic: string;
  filter: DlqFilter;
  dryRun?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<RedriveResult> {
  let producer: AtomicWriter | undefined;
  if (!o.dryRun) {
    producer = createAtomicWriter(o.kafka, `hookline-redrive.${o.dlqTopic}`);
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
      return {
        chosen: chosen.length,
        alreadyRedriven: chosen.length - todo.length,
        redriven: 0,
        ids: todo.map((d) => d.id),
      };
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
      await producer.send(records);
      n += batch.length;
      o.onProgress?.(n, todo.length);
    }
    return {
      chosen: chosen.length,
      alreadyRedriven: chosen.length - todo.length,
      redriven: n,
      ids: todo.map((d) => d.id),
    };
  } finally {
    await producer?.disconnect();
  }
}
