/** The processors' instruments (no meter → none: tests run without telemetry). */
import type { Counter, Meter } from '@opentelemetry/api';

export interface ProcessorsMetrics {
  readonly events?: Counter;
}

export function processorsMetrics(meter: Meter | undefined): ProcessorsMetrics {
  if (!meter) return {};
  return {
    events: meter.createCounter('hookline_processors_events_total', {
      description:
        'Handler outcomes: ok, retry, dead_letter, parked (waiting behind an earlier event of its resource); reread (input record skipped by the replay watermark, no handler label)',
    }),
  };
}
