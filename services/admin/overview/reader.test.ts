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
    let clock = 1_700_000_000_000;
    const t0 = clock;
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
      now: () => clock,
    });
    await new Promise((r) => setTimeout(r, 50)); // the first scrape (n = 0) at t0
    for (n = 1; n <= 3; n++) {
      clock += 10_000;
      await s.sample();
    }
    s.stop();
    const q = { id: 'c', metric: 'c_total', kind: 'counter', match: { source: 's' } } as const;
    const points = (await s.range(q, t0 - 1, t0 + 60_000 - 1, 60)).get('')!;
    assert.equal(points.length, 1);
    // 10 + 100 more per scrape, every 10 s: 11 per second; the other source is not counted.
    assert.equal(points[0]!.v, 11);
  });
});
