/**
 * The enrichment stage: webhooks.enrich (+ webhooks.enrich.retry.*) → webhooks.normalized, inside
 * runStage's transaction, so the enriched envelope, a retry or a dead letter commit atomically with
 * the input offsets: nothing lost, nothing twice.
 *
 * Per record (fetch.ts does the GET):
 *   fetched      → the envelope with payload, canonical and ordering filled, to webhooks.normalized
 *                  (same key: the resource), where the sequencer orders it like any other event;
 *   transient    → the next retry topic (5 s, 1 m, 10 m by default; due time in a header, the retry
 *                  topics are read with runStage's dueAt), then webhooks.dlq `exhausted_retries`;
 *   permanent    → webhooks.dlq with the envelope's full bytes, the reason and the attempts; a dead
 *                  letter names webhooks.enrich as its source topic (the origin header), so a redrive
 *                  fetches again.
 * Infrastructure failures (registry, Redis) throw: the chunk is aborted and retried in place.
 *
 * Order: within a chunk, records of one resource are fetched one after the other, in offset order, and
 * different resources concurrently (bounded); the output keeps input order. No parking behind a record
 * that waits for a retry: the API answers with the object's CURRENT state, so a later event of the
 * resource is fetched with a state at least as new, and the retried one re-fetches later still. The
 * sequencer's ordering value from the fetched object (Mollie: status rank, then the time of that status;
 * Exact: the notification's EventCreatedOn) keeps an older state from applying over a newer one.
 */
import type { Counter, Meter } from '@opentelemetry/api';
import type { NormalizedEnvelope } from '../../common/contracts/index.ts';
import { deadLetterOf, deadLetterRecord } from '../../common/dlq.ts';
import { isRetriable, messageOf, PermanentError, reasonOf } from '../../common/errors.ts';
import type { StageHandler } from '../../common/kafka/stage.ts';
import { H, type InMessage, type OutRecord } from '../../common/kafka/types.ts';
import type { Logger } from '../../common/logger.ts';
import type { AvroCodec } from '../../common/schemas.ts';
import { PH } from '../processor.ts';
import type { Fetcher } from './fetch.ts';

export const ENRICH_STAGE = 'enrichment';

export interface EnrichStageDeps {
  readonly fetcher: Fetcher;
  readonly avro: AvroCodec;
  readonly logger: Logger;
  readonly meter?: Meter;
  /** Physical names: the input, its retry topics (one per delay, shortest first), the output, the DLQ. */
  readonly topics: {
    readonly input: string;
    readonly retry: readonly string[];
    readonly normalized: string;
    readonly dlq: string;
  };
  readonly delaysMs: readonly number[];
  /** Resources fetched at the same time within a chunk. */
  readonly concurrency: number;
  readonly now?: () => number;
}

export interface EnrichStage {
  readonly handler: StageHandler;
  /** For runStage's dueAt: records on the retry topics wait for their due time. */
  dueAt(m: InMessage): number;
}

function outcomes(meter: Meter | undefined): Counter | undefined {
  return meter?.createCounter('hookline_enrich_events_total', {
    description: 'Enrichment outcomes: enriched, passed (nothing to fetch), retry, dead_letter',
  });
}

export function createEnrichStage(deps: EnrichStageDeps): EnrichStage {
  if (deps.topics.retry.length !== deps.delaysMs.length || deps.delaysMs.length === 0)
    throw new Error('enrichment: one delay per retry topic');
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'enrichment' });
  const counter = outcomes(deps.meter);

  function originOf(m: InMessage): { topic: string; partition: number; offset: string } {
    const o = m.headers[PH.origin];
    if (!o) return { topic: m.topic, partition: m.partition, offset: m.offset };
    const [topic, partition, offset] = o.split('\u0000') as [string, string, string];
    return { topic, partition: Number(partition), offset };
  }

  /** The input's headers without the stage's own (attempt, due time, origin, last error). */
  function cleanHeaders(m: InMessage): Record<string, string> {
    const headers: Record<string, string> = { ...m.headers };
    for (const h of [H.attempt, PH.dueAt, PH.origin, PH.lastError]) delete headers[h];
    return headers;
  }

  async function deadLetter(m: InMessage, error: unknown, attempts: number, eventType?: string): Promise<OutRecord> {
    const origin = originOf(m);
    const dl = deadLetterOf(
      { ...m, topic: origin.topic, partition: origin.partition, offset: origin.offset, headers: cleanHeaders(m) },
      { stage: ENRICH_STAGE, error, attempts, eventType },
    );
    counter?.add(1, { outcome: 'dead_letter', reason: dl.reason });
    log.warn(
      { sourceId: dl.sourceId, reason: dl.reason, error: dl.error, attempts, id: dl.id },
      'enrichment failed: dead-lettered',
    );
    return deadLetterRecord(deps.avro, deps.topics.dlq, dl);
  }

  function retryRecord(m: InMessage, e: NormalizedEnvelope, attempt: number, error: unknown): OutRecord {
    const origin = originOf(m);
    const level = attempt - 1;
    const headers: Record<string, string> = {
      ...cleanHeaders(m),
      [H.attempt]: String(attempt),
      [PH.dueAt]: String(now() + deps.delaysMs[level]!),
      [PH.origin]: `${origin.topic}\u0000${origin.partition}\u0000${origin.offset}`,
      [PH.lastError]: messageOf(error).slice(0, 500),
    };
    counter?.add(1, { outcome: 'retry', reason: reasonOf(error) });
    log.info(
      { sourceId: e.sourceId, eventId: e.eventId, attempt, delayMs: deps.delaysMs[level], reason: reasonOf(error) },
      'enrichment failed, retry scheduled',
    );
    return { topic: deps.topics.retry[level]!, key: m.key, value: m.value, headers };
  }

  /** The records for one input record (at most one). */
  async function one(m: InMessage): Promise<OutRecord[]> {
    if (m.value === null) return [];
    let e: NormalizedEnvelope;
    try {
      e = await deps.avro.decode<NormalizedEnvelope>(m.value);
    } catch (err) {
      if (isRetriable(err)) throw err;
      return [await deadLetter(m, err, 1)];
    }
    const attempt = Number(m.headers[H.attempt] ?? '0') + 1;
    let enriched: NormalizedEnvelope;
    try {
      enriched = await deps.fetcher.enrich(e);
    } catch (err) {
      if (isRetriable(err) && attempt <= deps.delaysMs.length) return [retryRecord(m, e, attempt, err)];
      const why = isRetriable(err)
        ? new PermanentError(`retries exhausted after ${attempt} attempts: ${messageOf(err)}`, 'exhausted_retries', err)
        : err;
      return [await deadLetter(m, why, attempt, e.eventType)];
    }
    counter?.add(1, { outcome: enriched === e ? 'passed' : 'enriched' });
    const value = await deps.avro.encode(deps.topics.normalized, enriched);
    return [{ topic: deps.topics.normalized, key: enriched.resourceKey, value, headers: cleanHeaders(m) }];
  }

  async function handle(messages: readonly InMessage[]): Promise<readonly OutRecord[]> {
    // Lanes per resource (offset order inside), run `concurrency` at a time; output in input order.
    const lanes = new Map<string, number[]>();
    messages.forEach((m, i) => {
      const k = m.key ?? `\u0000${i}`;
      const lane = lanes.get(k);
      if (lane) lane.push(i);
      else lanes.set(k, [i]);
    });
    const results: OutRecord[][] = new Array<OutRecord[]>(messages.length);
    const queue = [...lanes.values()];
    const worker = async (): Promise<void> => {
      for (let lane = queue.shift(); lane; lane = queue.shift())
        for (const i of lane) results[i] = await one(messages[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency, queue.length) }, worker));
    return results.flat();
  }

  return {
    handler: { handle },
    dueAt: (m) => Number(m.headers[PH.dueAt] ?? '0'),
  };
}
