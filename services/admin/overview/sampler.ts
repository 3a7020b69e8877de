/**
 * The admin's own metrics history when no Prometheus is configured: every intervalMs it scrapes the
 * services' /metrics (ADMIN_METRICS_TARGETS), sums each Quantity over the targets (several instances
 * of a service add up), and keeps one snapshot per scrape for `windowMs` in a ring buffer. Extra
 * samples (the admin's own consumer-lag and DLQ figures, read from Kafka by lag.ts) join each
 * snapshot. A target that does not answer is skipped for that scrape and logged (throttled): its
 * counters then look like a gap, not a drop to zero. Counter resets (a restarted service) count the
 * new value as the increase, as Prometheus's rate() does.
 */
import { messageOf } from '../../common/errors.ts';
import { throttled, type Logger } from '../../common/logger.ts';
import { parsePromText, type Sample } from './prom-text.ts';
import { keyOf, matchesLabels, type MetricsReader, type Point, type Quantity, type SeriesSet } from './reader.ts';

interface Snapshot {
  readonly t: number;
  /** quantity id → series key → value (summed over targets); a quantity absent = no target answered it. */
  readonly values: Map<string, Map<string, number>>;
}

export interface Sampler extends MetricsReader {
  /** Scrapes now (the timer calls it too). */
  sample(): Promise<void>;
  stop(): void;
}

export function startSampler(o: {
  readonly targets: ReadonlyMap<string, string>;
  readonly quantities: readonly Quantity[];
  readonly extra?: () => Sample[];
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly logger: Logger;
  readonly fetchImpl?: typeof fetch;
  readonly now?: () => number;
}): Sampler {
  const doFetch = o.fetchImpl ?? fetch;
  const now = o.now ?? Date.now;
  const ring: Snapshot[] = [];
  const warn = throttled(60_000);
  let inFlight: Promise<void> | undefined;

  async function scrape(name: string, url: string): Promise<Sample[]> {
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(Math.min(5000, o.intervalMs)) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      return parsePromText(await res.text());
    } catch (err) {
      if (warn()) o.logger.warn({ target: name, err: messageOf(err) }, 'metrics target not scraped');
      return [];
    }
  }

  async function sample(): Promise<void> {
    const t = now();
    const all = (await Promise.all([...o.targets].map(([n, u]) => scrape(n, u)))).flat();
    all.push(...(o.extra?.() ?? []));
    const values = new Map<string, Map<string, number>>();
    for (const q of o.quantities)
      for (const s of all) {
        if (s.name !== q.metric || !matchesLabels(q, s.labels)) continue;
        const m = values.get(q.id) ?? new Map<string, number>();
        const k = keyOf(q, s.labels);
        m.set(k, (m.get(k) ?? 0) + s.value);
        values.set(q.id, m);
      }
    ring.push({ t, values });
    while (ring.length > 0 && ring[0]!.t < t - o.windowMs) ring.shift();
  }

  const tick = () => {
    inFlight ??= sample().finally(() => (inFlight = undefined));
  };
  tick();
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();

  return {
    mode: 'sampler',
    oldest: () => ring[0]?.t ?? now(),
    sample,
    stop: () => clearInterval(timer),
    quietSources: () => Promise.resolve(undefined),
    range(q: Quantity, from: number, to: number, stepS: number): Promise<SeriesSet> {
      const step = stepS * 1000;
      const n = Math.max(1, Math.ceil((to - from) / step));
      const keys = new Set<string>();
      for (const s of ring) for (const k of s.values.get(q.id)?.keys() ?? []) keys.add(k);
      const out: SeriesSet = new Map();
      for (const key of keys) {
        const sum = new Array<number>(n).fill(0);
        const secs = new Array<number>(n).fill(0);
        const last = new Array<number | null>(n).fill(null);
        let prev: { t: number; v: number } | undefined;
        let before: number | undefined;
        for (const s of ring) {
          const v = s.values.get(q.id)?.get(key);
          if (v === undefined) {
            before = s.t;
            continue;
          }
          // A series that appears after the first scrape is a counter that started at 0 since then.
          if (!prev && before !== undefined && q.kind === 'counter') prev = { t: before, v: 0 };
          const i = Math.floor((s.t - from) / step);
          if (i >= 0 && i < n) {
            last[i] = v;
            if (prev) {
              sum[i]! += v >= prev.v ? v - prev.v : v;
              secs[i]! += (s.t - prev.t) / 1000;
            }
          }
          prev = { t: s.t, v };
        }
        const points: Point[] = [];
        for (let i = 0; i < n; i++) {
          const v = q.kind === 'gauge' ? (last[i] ?? null) : secs[i]! > 0 ? sum[i]! / secs[i]! : null;
          points.push({ t: from + (i + 1) * step, v });
        }
        out.set(key, points);
      }
      return Promise.resolve(out);
    },
  };
}
