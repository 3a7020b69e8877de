/** The sequencer's instruments (no meter → none: tests and benchmarks run without telemetry). */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';

export interface SequencerMetrics {
  readonly events?: Counter;
  readonly gaps?: Counter;
  readonly overflows?: Counter;
  readonly expired?: Counter;
  readonly restoreMs?: Histogram;
}

/** held: what the held-back gauges observe (events and bytes, all assigned partitions). */
export function sequencerMetrics(
  meter: Meter | undefined,
  held: { events: () => number; bytes: () => number; oldestAgeSeconds: () => number },
): SequencerMetrics {
  if (!meter) return {};
  meter
    .createObservableGauge('hookline_sequencer_held_events', {
      description: 'Events held back, all assigned partitions',
    })
    .addCallback((r) => r.observe(held.events()));
  meter
    .createObservableGauge('hookline_sequencer_held_bytes', {
      description: 'Bytes held back, all assigned partitions',
    })
    .addCallback((r) => r.observe(held.bytes()));
  meter
    .createObservableGauge('hookline_sequencer_oldest_held_age_seconds', {
      description: 'Age of the oldest event held back, all assigned partitions (0 when none is held)',
    })
    .addCallback((r) => r.observe(held.oldestAgeSeconds()));
  return {
    events: meter.createCounter('hookline_sequencer_events_total', {
      description:
        'Input events by outcome: applied, stale, duplicate, held, reread (replayed offset), tick, dead_letter',
    }),
    gaps: meter.createCounter('hookline_sequencer_gaps_total', {
      description: 'Held events released with a predecessor missing, by cause (deadline, overflow)',
    }),
    overflows: meter.createCounter('hookline_sequencer_overflow_total', {
      description: 'Hold-back bound hits, by bound (resource, partition)',
    }),
    expired: meter.createCounter('hookline_sequencer_state_expired_total', {
      description: 'Resource states dropped after SEQUENCER_STATE_TTL_MS without a change',
    }),
    restoreMs: meter.createHistogram('hookline_sequencer_restore_ms', {
      description: 'Changelog restore time per partition',
      unit: 'ms',
    }),
  };
}
