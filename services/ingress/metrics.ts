/** The ingress's instruments behind a small interface, so the handler unit-tests with a fake. */
import type { Meter } from '@opentelemetry/api';

export interface IngressMetrics {
  /** Every answered webhook request, by source ("unknown" for unknown ids) and status code. */
  request(source: string, status: number, durationMs: number): void;
  /** 4xx refusals: verification failures (by VerifyFailureReason) and 404/405/413/415/429. */
  rejected(source: string, reason: string): void;
  /** Records durably written to webhooks.raw. */
  enqueued(source: string, count: number): void;
  /** 503s: Kafka unavailable, slower than the deadline, or too much waiting. */
  unavailable(source: string, reason: string): void;
  /** Rate-limit decisions taken by the in-process bucket because Redis did not answer. */
  rateLimitFallback(source: string): void;
  /** Verified requests the provider module could not interpret: stored whole for the validator's DLQ. */
  uninterpretable(source: string): void;
}

export function otelIngressMetrics(meter: Meter): IngressMetrics {
  const requests = meter.createCounter('hookline_ingress_requests_total', {
    description: 'Webhook requests answered, by source and status',
  });
  const duration = meter.createHistogram('hookline_ingress_request_duration_ms', {
    description: 'Time from request to answer (includes the Kafka acknowledgement)',
    unit: 'ms',
    advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 5000, 10000] },
  });
  const rejected = meter.createCounter('hookline_ingress_rejected_total', {
    description: 'Requests refused, by source and reason',
  });
  const enqueued = meter.createCounter('hookline_ingress_enqueued_total', {
    description: 'Records durably written to webhooks.raw',
  });
  const unavailable = meter.createCounter('hookline_ingress_unavailable_total', {
    description: '503 answers (Kafka down, slow or backlog full), by reason',
  });
  const fallback = meter.createCounter('hookline_ingress_ratelimit_fallback_total', {
    description: 'Rate-limit decisions made in-process because Redis did not answer',
  });
  const uninterpretable = meter.createCounter('hookline_ingress_uninterpretable_total', {
    description: 'Verified requests stored whole because the provider module could not interpret them',
  });
  return {
    request: (source, status, ms) => {
      requests.add(1, { source, status: String(status) });
      duration.record(ms, { source });
    },
    rejected: (source, reason) => rejected.add(1, { source, reason }),
    enqueued: (source, count) => enqueued.add(count, { source }),
    unavailable: (source, reason) => unavailable.add(1, { source, reason }),
    rateLimitFallback: (source) => fallback.add(1, { source }),
    uninterpretable: (source) => uninterpretable.add(1, { source }),
  };
}
