/** The dispatcher's units of work. */
import type { OutboundEvent } from '../common/contracts/index.ts';

/** One message to one endpoint: what a lane holds (in memory, or parked in Redis as JSON). */
export interface Job {
  readonly msg: Omit<OutboundEvent, 'endpointId'>;
  readonly endpointId: string;
  /** Attempts made so far. */
  attempt: number;
  /** W3C trace headers of the outbound.events record, continued in the HTTP request. */
  readonly trace: Record<string, string>;
  /** "event" (fan-out), "manual" (retry/recover from the admin) or "test" (a test message). */
  readonly trigger: string;
  /** In memory only: the outbound.events offset this job holds back from being committed. */
  ticket?: Ticket;
}

/** Completion handle of one Kafka message; the offset is committable when every job of it is done. */
export interface Ticket {
  done(): void;
}

export const laneIdOf = (endpointId: string, resourceKey: string): string => `${endpointId}|${resourceKey}`;
