/** hookline_dispatcher_* metrics, named once. */
import type { Meter } from '@opentelemetry/api';

export function dispatcherMetrics(meter: Meter) {
  return {
    attempts: meter.createCounter('hookline_dispatcher_attempts_total', {
      description: 'Delivery attempts, by outcome and endpoint (id)',
    }),
    messages: meter.createCounter('hookline_dispatcher_messages_total', {
      description:
        'Messages finished, by result: delivered_in_hour, delivered_late (after the first hour), dead (the delivery SLO)',
    }),
    duration: meter.createHistogram('hookline_dispatcher_attempt_duration_ms', {
      description: 'HTTP exchange time per attempt',
      unit: 'ms',
    }),
    deferred: meter.createCounter('hookline_dispatcher_deferred_total', {
      description: 'Deliveries parked without an attempt, by reason (circuit_open, rate_limited, busy)',
    }),
    parked: meter.createCounter('hookline_dispatcher_parked_total', {
      description: 'Lanes parked in Redis (waiting for a retry or a deferral)',
    }),
    disabled: meter.createCounter('hookline_dispatcher_endpoints_disabled_total', {
      description: 'Endpoints disabled by the dispatcher, by reason',
    }),
    operationalFailed: meter.createCounter('hookline_dispatcher_operational_webhooks_failed_total', {
      description: 'Tenant operational webhooks given up after their retries (logged with the tenant)',
    }),
    lag: meter.createHistogram('hookline_dispatcher_first_attempt_lag_ms', {
      description: 'outbound.events record time to first attempt start',
      unit: 'ms',
    }),
  };
}

export type DispatcherMetrics = ReturnType<typeof dispatcherMetrics>;
