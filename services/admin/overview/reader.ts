/**
 * Where the overview's figures come from, behind one interface: Prometheus when ADMIN_PROMETHEUS_URL
 * is set (query_range; the same series the alerts read, kept as long as Prometheus keeps them),
 * otherwise the admin's own sampler (sampler.ts: the services' /metrics, ADMIN_METRICS_TARGETS, kept
 * in memory for ADMIN_METRICS_WINDOW_MINUTES). A Quantity names one metric, a label filter and the
 * labels to keep; counters come back as per-second rates per step, gauges as values.
 */
export interface Quantity {
  readonly id: string;
  readonly metric: string;
  readonly kind: 'counter' | 'gauge';
  /** Label equality, or a RegExp the whole value must match. */
  readonly match?: Readonly<Record<string, string | RegExp>>;
  /** Labels kept (series key: their values joined with "|"); none = one series, key "". */
  readonly by?: readonly string[];
}

export interface Point {
  /** Step end, epoch ms. */
  readonly t: number;
  /** Per second (counters) or the value (gauges); null = no data in the step. */
  readonly v: number | null;
}

export type SeriesSet = Map<string, Point[]>;

export interface MetricsReader {
  readonly mode: 'prometheus' | 'sampler';
  /** Oldest time the reader can answer for (sampler: its buffer; Prometheus: unbounded here). */
  readonly oldest: () => number;
  range(q: Quantity, from: number, to: number, stepS: number): Promise<SeriesSet>;
  /** Sources the HooklineSourceQuiet alert currently fires (or is pending) for; undefined = unknown. */
  quietSources(): Promise<Map<string, 'firing' | 'pending'> | undefined>;
}

export const keyOf = (q: Quantity, labels: Readonly<Record<string, string>>) =>
  (q.by ?? []).map((l) => labels[l] ?? '').join('|');

export function matchesLabels(q: Quantity, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, want] of Object.entries(q.match ?? {})) {
    const v = labels[k] ?? '';
    if (typeof want === 'string' ? v !== want : !new RegExp(`^(?:${want.source})$`).test(v)) return false;
  }
  return true;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The PromQL of a quantity at a step: sum by (labels) of rate() for counters, of the value for gauges. */
export function promQuery(q: Quantity, stepS: number): string {
  const matchers = Object.entries(q.match ?? {})
    .map(([k, v]) => (typeof v === 'string' ? `${k}="${esc(v)}"` : `${k}=~"${esc(v.source)}"`))
    .join(',');
  const selector = `${q.metric}${matchers ? `{${matchers}}` : ''}`;
  // rate() needs at least two scrapes in its window: never shorter than 1 min (scrape interval 15 s).
  const inner = q.kind === 'counter' ? `rate(${selector}[${Math.max(60, stepS)}s])` : selector;
  return `sum${q.by && q.by.length > 0 ? ` by (${q.by.join(',')})` : ''} (${inner})`;
}

interface PromMatrix {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[];
  };
}

/** Prometheus's HTTP API (GET /api/v1/query_range, /api/v1/query), 10 s per request. */
export function prometheusReader(baseUrl: string, fetchImpl: typeof fetch = fetch): MetricsReader {
  const base = baseUrl.replace(/\/+$/, '');
  async function get(path: string, params: Record<string, string>): Promise<PromMatrix> {
    const res = await fetchImpl(`${base}${path}?${new URLSearchParams(params).toString()}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as PromMatrix;
    if (!res.ok || body.status !== 'success')
      throw Object.assign(new Error(`prometheus ${path}: ${res.status} ${body.error ?? ''}`), { retriable: true });
    return body;
  }
  return {
    mode: 'prometheus',
    oldest: () => 0,
    async range(q, from, to, stepS) {
      const body = await get('/api/v1/query_range', {
        query: promQuery(q, stepS),
        start: String(Math.floor(from / 1000)),
        end: String(Math.floor(to / 1000)),
        step: String(stepS),
      });
      const out: SeriesSet = new Map();
      for (const r of body.data?.result ?? [])
        out.set(
          keyOf(q, r.metric),
          (r.values ?? []).map(([t, v]) => ({ t: t * 1000, v: Number.isFinite(Number(v)) ? Number(v) : null })),
        );
      return out;
    },
    async quietSources() {
      const body = await get('/api/v1/query', { query: 'ALERTS{alertname="HooklineSourceQuiet"}' });
      const out = new Map<string, 'firing' | 'pending'>();
      for (const r of body.data?.result ?? []) {
        const source = r.metric.source;
        if (source) out.set(source, r.metric.alertstate === 'firing' ? 'firing' : (out.get(source) ?? 'pending'));
      }
      return out;
    },
  };
}
