/**
 * The processors' decisions for one record, shared by the main stage (events.<domain>) and the
 * retry lane (processors.retry.*): run the matching handlers, and per handler
 *   success           → its records (same transaction as the input offsets)
 *   transient failure → the event to the retry topic of its attempt (5 s, 1 m, 10 m, configurable),
 *                       due time in a header; the resource is PARKED for that handler (parking.ts)
 *   permanent failure or retries exhausted → processors.dlq (full event bytes, error, attempts)
 * While a resource is parked for a handler, its later events do not run: they join the lane
 * behind the head (to the retry topic whose delay reaches the head's due time), and run only once
 * every earlier event of the resource is resolved. Other resources and other handlers flow.
 */
import type { Meter } from '@opentelemetry/api';
import { deadLetterOf, deadLetterRecord } from '../common/dlq.ts';
import { isRetriable, messageOf, PermanentError } from '../common/errors.ts';
import { H, type InMessage, type OutRecord } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import type { AvroCodec } from '../common/schemas.ts';
import { withChildTrace } from '../common/telemetry.ts';
import type { Parking, Position } from './parking.ts';
import type { DomainEvent } from '../common/contracts/index.ts';
import { globMatcher, type ProcessorHandler } from './types.ts';

export const PH = {
  handler: 'hookline-handler',
  dueAt: 'hookline-due-at',
  origin: 'hookline-origin',
  lastError: 'hookline-last-error',
} as const;

export interface ProcessorDeps {
  readonly avro: AvroCodec;
  readonly logger: Logger;
  readonly meter?: Meter;
  readonly parking: Parking;
  readonly handlers: readonly ProcessorHandler[];
  /** Retry topics in order of attempts, with their delays (same length). */
  readonly retryTopics: readonly string[];
  readonly delaysMs: readonly number[];
  readonly dlqTopic: string;
  /** True when the retry lane's transaction at this position is committed. */
  readonly committed: (at: Position) => Promise<boolean>;
  readonly now?: () => number;
}

export interface Processor {
  handleMain(messages: readonly InMessage[]): Promise<OutRecord[]>;
  handleLane(messages: readonly InMessage[]): Promise<OutRecord[]>;
  dueAt(m: InMessage): number;
  /** Counts main-stage records skipped as already applied (at or below the replay watermark). */
  reread(count: number): void;
}

export function createProcessor(deps: ProcessorDeps): Processor {
  if (deps.retryTopics.length !== deps.delaysMs.length || deps.delaysMs.length === 0)
    throw new Error('processors: one delay per retry topic');
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'processors' });
  const handlers = deps.handlers.map((h) => ({ h, matches: globMatcher(h.events) }));
  const byName = new Map(deps.handlers.map((h) => [h.name, h]));
  const counter = deps.meter?.createCounter('hookline_processors_events_total', {
    description:
      'Handler outcomes: ok, retry, dead_letter, parked (waiting behind an earlier event of its resource); reread (input record skipped by the replay watermark, no handler label)',
  });

  const originOf = (m: InMessage): Position => {
    const o = m.headers[PH.origin];
    if (!o) return { topic: m.topic, partition: m.partition, offset: m.offset };
    const [topic, partition, offset] = o.split('\u0000') as [string, string, string];
    return { topic, partition: Number(partition), offset };
  };

  /** The smallest retry level whose delay reaches `dueAt` (the last level if none does). */
  function levelReaching(dueAt: number | undefined, at: number): number {
    if (dueAt === undefined) return 0;
    const i = deps.delaysMs.findIndex((d) => at + d >= dueAt);
    return i < 0 ? deps.delaysMs.length - 1 : i;
  }

  function laneRecord(
    m: InMessage,
    event: DomainEvent,
    h: ProcessorHandler,
    attempts: number,
    level: number,
    at: number,
    error?: unknown,
  ): OutRecord {
    const origin = originOf(m);
    const headers: Record<string, string> = {
      ...m.headers,
      [PH.handler]: h.name,
      [H.attempt]: String(attempts),
      [PH.dueAt]: String(at + deps.delaysMs[level]!),
      [PH.origin]: `${origin.topic}\u0000${origin.partition}\u0000${origin.offset}`,
    };
    if (error !== undefined) headers[PH.lastError] = messageOf(error).slice(0, 500);
    return { topic: deps.retryTopics[level]!, key: event.resourceKey, value: m.value, headers };
  }

  async function deadLetter(
    m: InMessage,
    handler: string,
    error: unknown,
    attempts: number,
    eventType: string | undefined,
  ): Promise<OutRecord> {
    const origin = originOf(m);
    const headers: Record<string, string> = { ...m.headers, [PH.handler]: handler };
    delete headers[PH.dueAt];
    delete headers[H.attempt];
    delete headers[PH.origin];
    const dl = deadLetterOf(
      { ...m, topic: origin.topic, partition: origin.partition, offset: origin.offset, headers },
      { stage: 'processors', error, attempts, eventType },
    );
    dl.id = `${dl.id}/${handler}`;
    return deadLetterRecord(deps.avro, deps.dlqTopic, dl);
  }

  async function decode(m: InMessage, out: OutRecord[]): Promise<DomainEvent | undefined> {
    if (m.value === null) return undefined;
    try {
      return await deps.avro.decode<DomainEvent>(m.value);
    } catch (err) {
      if (isRetriable(err)) throw err;
      out.push(await deadLetter(m, m.headers[PH.handler] ?? '-', err, 1, undefined));
      return undefined;
    }
  }

  async function runOne(
    m: InMessage,
    event: DomainEvent,
    h: ProcessorHandler,
    lane: boolean,
    resolvedHere: Set<string>,
    out: OutRecord[],
  ): Promise<void> {
    const at = now();
    const attemptsSoFar = lane ? Number(m.headers[H.attempt] ?? '0') : 0;
    const head = await deps.parking.head(h.name, event.resourceKey, resolvedHere, deps.committed);
    if (head && (!lane || head.eventId !== event.eventId)) {
      // Parked: wait behind the head, in the retry topic whose delay reaches the head's next attempt.
      await deps.parking.push(h.name, event.resourceKey, event.eventId);
      out.push(laneRecord(m, event, h, attemptsSoFar, levelReaching(head.dueAt, at), at));
      counter?.add(1, { handler: h.name, outcome: 'parked' });
      return;
    }
    const attempt = attemptsSoFar + 1;
    try {
      out.push(
        ...withChildTrace(`processors.${h.name}`, m.headers, await h.handle(event, { attempt, topic: m.topic })),
      );
      counter?.add(1, { handler: h.name, outcome: 'ok' });
      if (lane) {
        await deps.parking.resolve(h.name, event.eventId, { topic: m.topic, partition: m.partition, offset: m.offset });
        resolvedHere.add(event.eventId);
      }
    } catch (err) {
      if (isRetriable(err) && attempt <= deps.delaysMs.length) {
        const level = attempt - 1;
        await deps.parking.push(h.name, event.resourceKey, event.eventId);
        await deps.parking.setDue(h.name, event.eventId, at + deps.delaysMs[level]!);
        out.push(laneRecord(m, event, h, attempt, level, at, err));
        counter?.add(1, { handler: h.name, outcome: 'retry' });
        log.info(
          { handler: h.name, eventId: event.eventId, attempt, delayMs: deps.delaysMs[level], err: messageOf(err) },
          'handler failed, retry scheduled',
        );
        return;
      }
      const why = isRetriable(err)
        ? new PermanentError(`retries exhausted after ${attempt} attempts: ${messageOf(err)}`, 'exhausted_retries', err)
        : err;
      out.push(await deadLetter(m, h.name, why, attempt, event.eventType));
      counter?.add(1, { handler: h.name, outcome: 'dead_letter' });
      log.warn(
        { handler: h.name, eventId: event.eventId, attempt, err: messageOf(err) },
        'handler failed permanently: dead-lettered',
      );
      if (lane) {
        await deps.parking.resolve(h.name, event.eventId, { topic: m.topic, partition: m.partition, offset: m.offset });
        resolvedHere.add(event.eventId);
      }
    }
  }

  function handlersFor(m: InMessage, event: DomainEvent): ProcessorHandler[] {
    const only = m.headers[PH.handler];
    if (only !== undefined) {
      const h = byName.get(only);
      return h ? [h] : [];
    }
    const subject = `${event.domain}/${event.eventType}`;
    return handlers.filter((x) => x.matches(subject)).map((x) => x.h);
  }

  return {
    dueAt: (m) => Number(m.headers[PH.dueAt] ?? '0'),
    reread: (count) => counter?.add(count, { outcome: 'reread' }),
    async handleMain(messages) {
      const out: OutRecord[] = [];
      const resolvedHere = new Set<string>();
      for (const m of messages) {
        const event = await decode(m, out);
        if (!event) continue;
        for (const h of handlersFor(m, event)) await runOne(m, event, h, false, resolvedHere, out);
      }
      return out;
    },
    async handleLane(messages) {
      const out: OutRecord[] = [];
      const resolvedHere = new Set<string>();
      for (const m of messages) {
        const event = await decode(m, out);
        if (!event) continue;
        for (const h of handlersFor(m, event)) await runOne(m, event, h, true, resolvedHere, out);
      }
      return out;
    },
  };
}
