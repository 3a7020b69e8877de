/**
 * The validator's stage handler: webhooks.raw → webhooks.normalized (+ webhooks.dlq), one chunk of
 * one partition at a time, inside runStage's transaction.
 *
 * Per raw record, in offset order:
 *   fromRawMessage → source → provider.normalize (+ canonical mapping) → envelope → Avro → (claim) → OutRecord
 * Anything permanent (bad raw headers, unknown source/provider, NormalizeError, schema mismatch,
 * a provider bug, a record too large for Kafka) becomes a dead letter in the SAME transaction, so a
 * poison record never stops its partition. Transient failures (Redis, registry) throw: runStage
 * aborts the transaction and retries the chunk with backoff; nothing is dropped or reordered.
 *
 * Thin webhooks (an id only: Mollie classic, Exact Online) of a source with an API credential go to
 * webhooks.enrich instead, same key, same transaction: the enrichment stage (processors/enrich/) fetches
 * their object and writes them to webhooks.normalized. A source without a credential keeps them thin
 * (canonical null, ordering as the notification allows) on webhooks.normalized.
 *
 * Duplicates are claimed last, only for records that will really be emitted (a record that goes to
 * the DLQ must not hold a claim that would suppress a later good copy). See dedupe.ts.
 */
import { trace, type Span, type Tracer } from '@opentelemetry/api';
import { deadLetterOf, deadLetterRecord } from '../common/dlq.ts';
import type { NormalizedEnvelope } from '../common/contracts/index.ts';
import { HooklineError, messageOf, PermanentError, reasonOf } from '../common/errors.ts';
import { eventIdOf, resourceKeyOf } from '../common/ids.ts';
import type { ChunkContext, StageHandler } from '../common/kafka/stage.ts';
import type { InMessage, OutRecord } from '../common/kafka/types.ts';
import { H } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import { auditHeaders, fromRawMessage } from '../common/raw.ts';
import type { AvroCodec } from '../common/schemas.ts';
import { resolveSource, type SourceStore } from '../common/sources.ts';
import { extractTrace, injectTrace, type HeaderMap } from '../common/telemetry.ts';
import { canonicalOf, parseExact } from '../providers/canonical.ts';
import { hasApiCredential, needsEnrichment } from '../providers/enrichment.ts';
import { NormalizeError, type ProviderModule } from '../providers/types.ts';
import { positionOf, type DedupeStore } from './dedupe.ts';
import type { ValidatorMetrics } from './metrics.ts';

export const STAGE = 'validator';

export interface ValidatorDeps {
  readonly sources: SourceStore;
  readonly provider: (name: string) => ProviderModule | undefined;
  readonly avro: AvroCodec;
  readonly dedupe: DedupeStore;
  /** Physical topic names. */
  readonly topics: { readonly normalized: string; readonly enrich: string; readonly dlq: string };
  readonly metrics: ValidatorMetrics;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /**
   * Largest encoded normalized value accepted (bytes); bigger → DLQ "record_too_large" instead of a
   * transaction the broker refuses forever. Keep below the topic's max.message.bytes.
   */
  readonly maxRecordBytes: number;
}

type Decision =
  | {
      readonly kind: 'event';
      readonly m: InMessage;
      readonly span: Span;
      readonly out: OutRecord;
      readonly envelope: NormalizedEnvelope;
      readonly windowSeconds: number;
    }
  | { readonly kind: 'dead'; readonly m: InMessage; readonly span: Span; readonly error: unknown };

/** Errors that retrying cannot fix: the record goes to the DLQ. Everything else aborts the chunk. */
function isPermanent(err: unknown): boolean {
  return err instanceof NormalizeError || (err instanceof HooklineError && !err.retriable);
}

export function createValidatorHandler(deps: ValidatorDeps): StageHandler {
  const log = deps.logger.child({ component: 'validator' });

  /** Everything up to the Avro value; throws PermanentError/NormalizeError for the DLQ. */
  async function prepareEvent(m: InMessage, span: Span): Promise<Decision> {
    const raw = fromRawMessage(m);
    span.setAttribute('hookline.source', raw.sourceId);
    // A store that cannot be read throws a retriable error: the chunk is retried, not dead-lettered.
    const source = await resolveSource(deps.sources, raw.sourceId);
    if (!source) throw new PermanentError(`source ${raw.sourceId} is not configured (any more)`, 'unknown_source');
    // The provider that verified the request at ingress (the header) is the one that can read its body.
    const provider = deps.provider(raw.provider);
    if (!provider) throw new PermanentError(`provider ${raw.provider} is not known`, 'unknown_provider');
    let fields;
    let canonical;
    let thin = false;
    try {
      fields = provider.normalize(raw, source);
      // The canonical record (Payment, Order, …) from the provider's mapping; malformed money → DLQ.
      canonical = canonicalOf(provider.canonical, fields, source);
      // Parsed only for the few providers with an enrichment, on sources with a credential.
      thin =
        provider.enrichment !== undefined &&
        hasApiCredential(source) &&
        needsEnrichment(provider, parseExact(fields.payload), source);
    } catch (err) {
      if (isPermanent(err)) throw err;
      // normalize() is pure: an unexpected exception is a provider bug that fails the same way on
      // every retry. Dead-letter it (redrivable after the fix) instead of stalling the partition.
      throw new PermanentError(`provider ${provider.name} failed: ${messageOf(err)}`, 'provider_error', err);
    }
    const eventId = eventIdOf(raw.sourceId, fields.dedupeKey);
    const resourceKey = resourceKeyOf(raw.sourceId, fields.resourceType, fields.resourceId);
    const envelope: NormalizedEnvelope = {
      eventId,
      sourceId: raw.sourceId,
      provider: provider.name,
      eventType: fields.eventType,
      resourceType: fields.resourceType,
      resourceId: fields.resourceId,
      resourceKey,
      dedupeKey: fields.dedupeKey,
      occurredAt: fields.occurredAt,
      receivedAt: raw.receivedAt.getTime(),
      ordering: { kind: fields.ordering.kind, value: fields.ordering.value, statusRank: fields.ordering.statusRank },
      payload: fields.payload,
      contentType: raw.contentType,
      deliveryId: raw.deliveryId,
      headers: auditHeaders(raw.headers, provider.sensitiveHeaders),
      raw: { topic: m.topic, partition: m.partition, offset: Number(m.offset) },
      canonical,
    };
    span.setAttributes({ 'hookline.event_id': eventId, 'hookline.event_type': fields.eventType });
    const topic = thin ? deps.topics.enrich : deps.topics.normalized;
    span.setAttribute('hookline.enrich', thin);
    const value = await deps.avro.encode(topic, envelope);
    if (value.length > deps.maxRecordBytes) {
      throw new PermanentError(
        `normalized record is ${value.length} bytes, limit ${deps.maxRecordBytes}`,
        'record_too_large',
      );
    }
    const headers: HeaderMap = {
      [H.eventId]: eventId,
      [H.source]: raw.sourceId,
      [H.provider]: provider.name,
      [H.receivedAt]: raw.receivedAt.toISOString(),
    };
    injectTrace(headers, trace.setSpan(extractTrace(m.headers), span));
    const windowSeconds = source.options.idempotencyWindowSeconds ?? provider.defaultIdempotencyWindowSeconds;
    return {
      kind: 'event',
      m,
      span,
      envelope,
      windowSeconds,
      out: { topic, key: resourceKey, value, headers },
    };
  }

  async function decide(m: InMessage): Promise<Decision> {
    const span = deps.tracer.startSpan(
      'validator.normalize',
      { attributes: { 'messaging.kafka.offset': m.offset } },
      extractTrace(m.headers),
    );
    try {
      return await prepareEvent(m, span);
    } catch (err) {
      if (!isPermanent(err)) {
        span.end();
        throw err;
      }
      return { kind: 'dead', m, span, error: err };
    }
  }

  return {
    async handle(messages: readonly InMessage[], ctx: ChunkContext): Promise<readonly OutRecord[]> {
      const decisions: Decision[] = [];
      try {
        for (const m of messages) decisions.push(await decide(m));
        const events = decisions.filter((d) => d.kind === 'event');
        const emit = await deps.dedupe.claim(
          events.map((d) => ({
            eventId: d.envelope.eventId,
            position: positionOf(d.m.topic, d.m.partition, d.m.offset),
            windowSeconds: d.windowSeconds,
          })),
        );
        const verdict = new Map(events.map((d, i) => [d, emit[i] === true]));
        const out: OutRecord[] = [];
        for (const d of decisions) {
          if (d.kind === 'event') {
            const { sourceId, provider, eventId } = d.envelope;
            if (verdict.get(d)) {
              out.push(d.out);
              deps.metrics.normalized(sourceId, provider);
            } else {
              d.span.setAttribute('hookline.duplicate', true);
              deps.metrics.duplicate(sourceId);
              log.debug(
                { sourceId, eventId, offset: d.m.offset, partition: d.m.partition },
                'provider duplicate dropped',
              );
            }
          } else {
            const dl = deadLetterOf(d.m, { stage: STAGE, error: d.error, attempts: ctx.attempt + 1 });
            out.push(await deadLetterRecord(deps.avro, deps.topics.dlq, dl));
            const reason = reasonOf(d.error);
            d.span.setAttribute('hookline.dlq_reason', reason);
            deps.metrics.deadLettered(dl.sourceId ?? 'unknown', reason);
            log.warn(
              { sourceId: dl.sourceId, reason, error: dl.error, partition: d.m.partition, offset: d.m.offset },
              'raw record dead-lettered',
            );
          }
        }
        return out;
      } finally {
        for (const d of decisions) d.span.end();
      }
    },
  };
}
