/** outbound.attempts: the dispatcher's delivery log, read by the admin. */

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
