/**
 * The processor handler contract: an event-type pattern → a handler built by a factory over a deps
 * object. A handler returns the Kafka records its effect consists of (produced in the runner's
 * transaction with the input offsets: effectively once); an effect outside Kafka (HTTP, Redis) must
 * be idempotent on event.eventId (at-least-once). Throw TransientError (or any unclassified error)
 * to be retried via the retry topics, PermanentError to go to processors.dlq.
 */
import type { OutRecord } from '../common/kafka/types.ts';
import type { DomainEvent } from '../common/contracts/index.ts';

export interface HandlerContext {
  /** 1-based attempt of this handler on this event. */
  readonly attempt: number;
  readonly topic: string;
}

export interface ProcessorHandler {
  /** Unique, stable: it names retry/DLQ records and the parked-resource keys. */
  readonly name: string;
  /** Globs over `<domain>/<eventType>`, e.g. "payments/*", "*\/orders/updated", "*". */
  readonly events: readonly string[];
  handle(event: DomainEvent, ctx: HandlerContext): Promise<readonly OutRecord[]>;
}

export type HandlerFactory<D> = (deps: D) => ProcessorHandler;

export function globMatcher(globs: readonly string[]): (s: string) => boolean {
  const res = globs.map((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return (s) => res.some((r) => r.test(s));
}
