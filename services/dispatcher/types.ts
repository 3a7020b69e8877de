/** The dispatcher's units of work. */

/** schemas/outbound.event.avsc */
export interface OutboundEvent {
  readonly messageId: string;
  readonly eventType: string;
  readonly resourceKey: string;
  readonly sourceEventId: string;
  readonly occurredAt: number;
  readonly createdAt: number;
  readonly payload: string;
  readonly endpointId: string | null;
  /** Owner of the message (published ones); null = the tenant its source names, else the default tenant. */
  readonly tenantId?: string | null;
}

/** schemas/outbound.attempt.avsc */
export interface DeliveryAttempt {
  readonly messageId: string;
  readonly endpointId: string;
  readonly eventType: string;
  readonly resourceKey: string;
  readonly attempt: number;
  readonly outcome: 'SUCCEEDED' | 'FAILED' | 'DEAD';
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly responseExcerpt: string | null;
  readonly error: string | null;
  readonly attemptedAt: number;
  readonly nextAttemptAt: number | null;
  readonly url: string | null;
  readonly sourceEventId: string | null;
  readonly occurredAt: number | null;
  readonly payload: string | null;
  readonly trigger: string | null;
}

/** One message to one endpoint: what a lane holds (in memory, or parked in Redis as JSON). */
export interface Job {
  readonly msg: Omit<OutboundEvent, 'endpointId'>;
  readonly endpointId: string;
  /** Attempts made so far. */
  attempt: number;
  /** W3C trace headers of the outbound.events record, continued in the HTTP request. */
  readonly trace: Record<string, string>;
  /** "event" (fan-out) or "manual" (retry/recover from the admin). */
  readonly trigger: string;
  /** In memory only: the outbound.events offset this job holds back from being committed. */
  ticket?: Ticket;
}

/** Completion handle of one Kafka message; the offset is committable when every job of it is done. */
export interface Ticket {
  done(): void;
}

export const laneIdOf = (endpointId: string, resourceKey: string): string => `${endpointId}|${resourceKey}`;
