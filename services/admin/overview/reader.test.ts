import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../common/logger.ts';
import { promQuery } from './reader.ts';
import { startSampler } from './sampler.ts';

describe('overview readers', () => {
  it('builds PromQL: rate of counters (window ≥ 1 min), value of gauges, label filters and grouping', () => {
    assert.equal(
      promQuery(
        {
          id: 'x',
          metric: 'hookline_dispatcher_attempts_total',
          kind: 'counter',
          match: { outcome: /failed|dead/, endpoint: 'ep_"1' },
        },
        30,
      ),
      'sum (rate(hookline_dispatcher_attempts_total{outcome=~"failed|dead",endpoint="ep_\\"1"}[60s]))',
    );
    assert.equal(
      promQuery({ id: 'l', metric: 'hookline_consumer_lag', kind: 'gauge', by: ['group'] }, 120),
      'sum by (group) (hookline_consumer_lag)',
    );
    assert.equal(
      promQuery({ id: 'r', metric: 'm_total', kind: 'counter', by: ['source', 'reason'] }, 300),
      'sum by (source,reason) (rate(m_total[300s]))',
    );
  });

  it('the sampler turns scraped counters into per-second rates per step, summed over targets', async () => {
    let n = 0;
    const fetchImpl = (url: string) => {
      const base = url.includes('//a/') ? 10 : 100;
      return Promise.resolve(
        new Response(`# TYPE c counter\nc_total{source="s"} ${base * n}\nc_total{source="t"} 1\n`, { status: 200 }),
      );
    };
    const s = startSampler({
      targets: new Map([
        ['a', 'http://a/metrics'],
        ['b', 'http://b/metrics'],
      ]),
      quantities: [{ id: 'c', metric: 'c_total', kind: 'counter', match: { source: 's' } }],
      intervalMs: 3_600_000,
      windowMs: 3_600_000,
      logger: createLogger('test', 'silent'),
      fetchImpl: fetchImpl as unknown as typeof fetch,
    });
    const start = Date.now() - 10;
    for (n = 1; n <= 3; n++) {
      await new Promise((r) => setTimeout(r, 20));
      await s.sample();
    }
    s.stop();
    const points = (
      await s.range({ id: 'c', metric: 'c_total', kind: 'counter', match: { source: 's' } }, start, start + 60_000, 60)
    ).get('')!;
    assert.equal(points.length, 1);
    // (10+100) per scrape over ~20 ms each: a rate far above zero, from two increases of 110.
    assert.ok(points[0]!.v! > 1000, String(points[0]!.v));
  });
});
