/**
 * Prometheus mode of the overview against the local stack's real Prometheus (deploy/local/stack.sh
 * runs it on PROMETHEUS_PORT, default 9090, scraping the ports `npm start` uses): every query the
 * overview and source stats send is valid PromQL that Prometheus answers, range results are placed
 * on the step grid, and the quiet flag is read from the alert's own state. The series themselves
 * come from whatever `npm start` runs (the test cannot bind those ports); `up` proves the reading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overview, QUANTITIES, sourceStats } from '../../services/admin/overview/overview.ts';
import { prometheusReader } from '../../services/admin/overview/reader.ts';

const url = `http://127.0.0.1:${process.env.PROMETHEUS_PORT ?? '9090'}`;

describe('overview over Prometheus (query_range)', () => {
  const reader = prometheusReader(url);

  it('reads a real series from Prometheus on the step grid', async () => {
    const now = Date.now();
    const up = await reader.range({ id: 'up', metric: 'up', kind: 'gauge', by: ['job'] }, now - 300_000, now, 30);
    const ingress = up.get('hookline-ingress');
    // At least one point: a Prometheus started moments ago (a fresh CI stack) has scraped only once or twice.
    assert.ok(
      ingress && ingress.length >= 1,
      `up{job="hookline-ingress"} over 5 min: ${JSON.stringify([...up.keys()])}`,
    );
    for (const p of ingress) assert.ok(p.v === 0 || p.v === 1);
    const steps = ingress.map((p) => p.t);
    assert.ok(
      steps.every((t, i) => i === 0 || t - steps[i - 1]! === 30_000),
      'one point per 30 s',
    );
  });

  it('Prometheus accepts every query of the overview and the source stats', async () => {
    const now = Date.now();
    for (const q of QUANTITIES) await reader.range(q, now - 600_000, now, 60);
    const o = await overview(reader, { minutes: 10, groupPrefix: 'hookline.', dlqNow: [] });
    assert.equal(o.source, 'prometheus');
    assert.deepEqual(
      o.stages.map((s) => [s.stage, s.throughput.length, s.errorRate.length, s.lag.length]),
      ['ingress', 'validator', 'sequencer', 'processors', 'dispatcher'].map((s) => [s, 20, 20, 20]),
    );
    const [s] = await sourceStats(reader, ['stripe-test'], now);
    assert.equal(s!.sourceId, 'stripe-test');
    assert.equal(typeof s!.quiet, 'boolean', 'quiet comes from the HooklineSourceQuiet alert state');
  });

  it('an invalid query is an error that says so (retriable: 503 to the client)', async () => {
    await assert.rejects(
      reader.range({ id: 'bad', metric: 'bad{', kind: 'gauge' }, Date.now() - 60_000, Date.now(), 30),
      (err: Error & { retriable?: boolean }) => /prometheus/.test(err.message) && err.retriable === true,
    );
  });
});
