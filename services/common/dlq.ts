/**
 * Dead letters (contract: contracts/dead-letter.ts, schemas/dlq.avsc): built from the failed input
 * message, encoded for the stage's DLQ topic, keyed like the original so redrive can put it back.
 */
import type { DeadLetter } from './contracts/index.ts';
import { messageOf, reasonOf } from './errors.ts';
import type { InMessage, OutRecord } from './kafka/types.ts';
import { H } from './kafka/types.ts';
import type { AvroCodec } from './schemas.ts';
import { currentTraceId, extractTrace } from './telemetry.ts';

export function deadLetterOf(
  m: InMessage,
  o: { stage: string; error: unknown; attempts: number; eventType?: string | undefined; now?: number },
): DeadLetter {
  return {
    id: `${m.topic}/${m.partition}/${m.offset}`,
    stage: o.stage,
    reason: reasonOf(o.error),
    error: messageOf(o.error).slice(0, 4000),
    attempts: o.attempts,
    sourceTopic: m.topic,
    sourcePartition: m.partition,
    sourceOffset: Number(m.offset),
    sourceId: m.headers[H.source] ?? null,
    eventType: o.eventType ?? null,
    key: m.key,
    value: m.value,
    headers: { ...m.headers },
    traceId: currentTraceId(extractTrace(m.headers)) ?? null,
    failedAt: o.now ?? Date.now(),
  };
}

/** Encodes a dead letter for `dlqTopic` (Avro, Confluent framing), keyed like the original. */
export async function deadLetterRecord(avro: AvroCodec, dlqTopic: string, dl: DeadLetter): Promise<OutRecord> {
  return {
    topic: dlqTopic,
    key: dl.key,
    value: await avro.encode(dlqTopic, dl),
    headers: { [H.source]: dl.sourceId ?? '', 'hookline-dlq-stage': dl.stage, 'hookline-dlq-reason': dl.reason },
  };
}
