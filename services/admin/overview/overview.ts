/**
 * The console's overview and source stats, computed from a MetricsReader (reader.ts). The metric
 * names are the services' own (each service's metrics.ts); what each figure means:
 *
 *   stage       throughput (per second)                       errors (share of the stage's work)
 *   ingress     hookline_ingress_enqueued_total               hookline_ingress_requests_total{status=~"4..|5.."} / all requests
 *   validator   hookline_validator_normalized_total           hookline_validator_dlq_total / (normalized + dlq)
 *   sequencer   hookline_sequencer_events_total{applied}      outcome="dead_letter" / outcomes other than tick and reread
 *   processors  hookline_processors_events_total{ok}          outcome=~"retry|dead_letter" / (ok + retry + dead_letter)
 *   dispatcher  hookline_dispatcher_attempts_total{succeeded} outcome=~"failed|dead" / all attempts
 *
 * Consumer lag per stage: hookline_consumer_lag (lag.ts) of the stage's groups
 * (`<GROUP_PREFIX>.<TOPIC_PREFIX><stage>[.<suffix>]`), summed. DLQ depth: hookline_dlq_records now.
 * Delivery success rate over the window: succeeded / all dispatcher attempts.
 * Source stats: hookline_ingress_enqueued_total (rate, last received), hookline_ingress_requests_total
 * {status="401"} and hookline_ingress_rejected_total (by reason), hookline_validator_duplicates_total;
 * `quiet` is the state of the HooklineSourceQuiet alert (deploy/prometheus/alerts.yml) read from
 * Prometheus, so console and pager agree; without Prometheus it is null (the rule compares with the
 * same window a day and a week ago, more history than the sampler keeps).
 */
import type { Point, MetricsReader, Quantity, SeriesSet } from './reader.ts';

export const STAGES = ['ingress', 'validator', 'sequencer', 'processors', 'dispatcher'] as const;
export type StageName = (typeof STAGES)[number];

const c = (id: string, metric: string, match?: Quantity['match'], by?: string[]): Quantity => ({
  id,
  metric,
  kind: 'counter',
  ...(match ? { match } : {}),
  ...(by ? { by } : {}),
});

const STAGE_Q: Record<StageName, { done: Quantity; errors: Quantity; all: Quantity }> = {
  ingress: {
    done: c('ingress.done', 'hookline_ingress_enqueued_total'),
    errors: c('ingress.errors', 'hookline_ingress_requests_total', { status: /[45]\d\d/ }),
    all: c('ingress.all', 'hookline_ingress_requests_total'),
  },
  validator: {
    done: c('validator.done', 'hookline_validator_normalized_total'),
    errors: c('validator.errors', 'hookline_validator_dlq_total'),
    all: c('validator.all', 'hookline_validator_normalized_total'),
  },
  sequencer: {
    done: c('sequencer.done', 'hookline_sequencer_events_total', { outcome: 'applied' }),
    errors: c('sequencer.errors', 'hookline_sequencer_events_total', { outcome: 'dead_letter' }),
    all: c('sequencer.all', 'hookline_sequencer_events_total', { outcome: /applied|stale|duplicate|held|dead_letter/ }),
  },
  processors: {
    done: c('processors.done', 'hookline_processors_events_total', { outcome: 'ok' }),
    errors: c('processors.errors', 'hookline_processors_events_total', { outcome: /retry|dead_letter/ }),
    all: c('processors.all', 'hookline_processors_events_total', { outcome: /ok|retry|dead_letter/ }),
  },
  dispatcher: {
    done: c('dispatcher.done', 'hookline_dispatcher_attempts_total', { outcome: 'succeeded' }),
    errors: c('dispatcher.errors', 'hookline_dispatcher_attempts_total', { outcome: /failed|dead/ }),
    all: c('dispatcher.all', 'hookline_dispatcher_attempts_total'),
  },
};
const LAG: Quantity = { id: 'lag', metric: 'hookline_consumer_lag', kind: 'gauge', by: ['group'] };
const DLQ: Quantity = { id: 'dlq', metric: 'hookline_dlq_records', kind: 'gauge', by: ['topic'] };
const SRC = {
  enqueued: c('src.enqueued', 'hookline_ingress_enqueued_total', undefined, ['source']),
  unauthorized: c('src.401', 'hookline_ingress_requests_total', { status: '401' }, ['source']),
  rejected: c('src.rejected', 'hookline_ingress_rejected_total', undefined, ['source', 'reason']),
  duplicates: c('src.duplicates', 'hookline_validator_duplicates_total', undefined, ['source']),
};

/** Every quantity the overview and source stats read (the sampler keeps exactly these). */
export const QUANTITIES: readonly Quantity[] = [
  ...STAGES.flatMap((s) => Object.values(STAGE_Q[s])),
  LAG,
  DLQ,
  ...Object.values(SRC),
];

const one = (set: SeriesSet): Point[] | undefined => set.get('');
/** Sum over the series of a set, per point (null only where every series is null). */
function sumSeries(series: Point[][], n: number, from: number, step: number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    let v: number | null = null;
    for (const s of series) {
      const p = s[i]?.v;
      if (p !== null && p !== undefined) v = (v ?? 0) + p;
    }
    out.push({ t: series[0]?.[i]?.t ?? from + (i + 1) * step, v });
  }
  return out;
}
/** Aligns a series to the step grid (Prometheus omits steps without data). */
function align(points: Point[] | undefined, from: number, n: number, step: number): Point[] {
  const at = new Map((points ?? []).map((p) => [Math.round((p.t - from) / step), p.v]));
  return Array.from({ length: n }, (_, i) => ({ t: from + (i + 1) * step, v: at.get(i + 1) ?? at.get(i) ?? null }));
}
const total = (points: Point[], stepS: number) => points.reduce((n, p) => n + (p.v ?? 0) * stepS, 0);
const round = (v: number | null, digits = 4) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export async function overview(
  reader: MetricsReader,
  o: { minutes: number; groupPrefix: string; dlqNow: readonly { topic: string; records: number }[]; now?: number },
) {
  const to = o.now ?? Date.now();
  const from = to - o.minutes * 60_000;
  const stepS = Math.max(30, Math.ceil((o.minutes * 60) / 60 / 30) * 30);
  const step = stepS * 1000;
  const n = Math.ceil((to - from) / step);
  const lag = await reader.range(LAG, from, to, stepS);
  const stages = [];
  let attempts = 0;
  let succeeded = 0;
  for (const stage of STAGES) {
    const q = STAGE_Q[stage];
    const [done, errors, all] = await Promise.all([
      reader.range(q.done, from, to, stepS),
      reader.range(q.errors, from, to, stepS),
      reader.range(q.all, from, to, stepS),
    ]);
    const d = align(one(done), from, n, step);
    const e = align(one(errors), from, n, step);
    // The validator's denominator is normalized + dead-lettered.
    const a =
      stage === 'validator'
        ? sumSeries([align(one(all), from, n, step), e], n, from, step)
        : align(one(all), from, n, step);
    const groups = [...lag.entries()].filter(
      ([g]) => g.startsWith(o.groupPrefix) && g.slice(o.groupPrefix.length).split('.')[0] === stage,
    );
    if (stage === 'dispatcher') {
      attempts = total(a, stepS);
      succeeded = total(d, stepS);
    }
    stages.push({
      stage,
      throughput: d.map((p) => ({ t: new Date(p.t).toISOString(), v: round(p.v) })),
      errorRate: e.map((p, i) => {
        const den = a[i]!.v;
        return { t: new Date(p.t).toISOString(), v: den && den > 0 ? round((p.v ?? 0) / den) : null };
      }),
      lag: sumSeries(
        groups.map(([, s]) => align(s, from, n, step)),
        n,
        from,
        step,
      ).map((p) => ({
        t: new Date(p.t).toISOString(),
        v: p.v,
      })),
    });
  }
  return {
    source: reader.mode,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    stepSeconds: stepS,
    historyFrom: new Date(Math.max(from, reader.oldest())).toISOString(),
    stages,
    dlq: o.dlqNow,
    delivery: {
      attempts: Math.round(attempts),
      succeeded: Math.round(succeeded),
      successRate: attempts > 0 ? round(succeeded / attempts) : null,
    },
  };
}

export interface SourceStats {
  readonly sourceId: string;
  readonly lastReceivedAt: string | null;
  readonly receivedLastHour: number;
  readonly perMinute: number;
  readonly unauthorized: number;
  readonly rejectedByReason: Record<string, number>;
  readonly duplicatesDropped: number;
  readonly quiet: boolean | null;
  readonly quietAlert: 'firing' | 'pending' | null;
}

/** Stats of the given sources over the last hour (last received: over the reader's last 24 h, step-precise). */
export async function sourceStats(
  reader: MetricsReader,
  ids: readonly string[],
  now = Date.now(),
): Promise<SourceStats[]> {
  const from = now - 3_600_000;
  const stepS = 60;
  const [enq, unauth, rej, dup, quiet, recent] = await Promise.all([
    reader.range(SRC.enqueued, from, now, stepS),
    reader.range(SRC.unauthorized, from, now, stepS),
    reader.range(SRC.rejected, from, now, stepS),
    reader.range(SRC.duplicates, from, now, stepS),
    reader.quietSources(),
    reader.mode === 'prometheus' ? reader.range(SRC.enqueued, now - 86_400_000, now, 300) : undefined,
  ]);
  const sum = (p: Point[] | undefined) => Math.round((p ?? []).reduce((n, x) => n + (x.v ?? 0) * stepS, 0));
  return ids.map((id) => {
    const last = [...((recent ?? enq).get(id) ?? [])].reverse().find((p) => (p.v ?? 0) > 0);
    const byReason: Record<string, number> = {};
    for (const [k, s] of rej) {
      const [src, reason] = k.split('|');
      if (src === id && reason) byReason[reason] = sum(s);
    }
    const received = sum(enq.get(id));
    return {
      sourceId: id,
      lastReceivedAt: last ? new Date(last.t).toISOString() : null,
      receivedLastHour: received,
      perMinute: Math.round((received / 60) * 100) / 100,
      unauthorized: sum(unauth.get(id)),
      rejectedByReason: byReason,
      duplicatesDropped: sum(dup.get(id)),
      quiet: quiet === undefined ? null : quiet.get(id) === 'firing',
      quietAlert: quiet?.get(id) ?? null,
    };
  });
}
