/** The validator's counters behind a small interface, so the handler unit-tests with a fake. */
import type { Meter } from '@opentelemetry/api';

export interface ValidatorMetrics {
  normalized(source: string, provider: string): void;
  deadLettered(source: string, reason: string): void;
  duplicate(source: string): void;
}

/**
 * Counted when the handler decides, i.e. before the chunk's transaction commits: a chunk that
 * aborts and is retried counts twice (hookline_stage_aborts_total says how often that happens).
 */
export function otelValidatorMetrics(meter: Meter): ValidatorMetrics {
  const normalized = meter.createCounter('hookline_validator_normalized_total', {
    description: 'Provider events normalized onto webhooks.normalized',
  });
  const dlq = meter.createCounter('hookline_validator_dlq_total', {
    description: 'Raw records sent to webhooks.dlq, by reason',
  });
  const duplicates = meter.createCounter('hookline_validator_duplicates_total', {
    description: 'Provider duplicates dropped (same event within the source window)',
  });
  return {
    normalized: (source, provider) => normalized.add(1, { source, provider }),
    deadLettered: (source, reason) => dlq.add(1, { source, reason }),
    duplicate: (source) => duplicates.add(1, { source }),
  };
}
