import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePromText } from './prom-text.ts';

describe('parsePromText', () => {
  it('reads names, labels (with escapes) and values; skips comments and junk', () => {
    const text = [
      '# HELP hookline_ingress_enqueued_total Records durably written',
      '# TYPE hookline_ingress_enqueued_total counter',
      'hookline_ingress_enqueued_total{source="stripe-test"} 12 1700000000000',
      'hookline_ingress_requests_total{source="a\\"b",status="401"} 3',
      'hookline_x{l="back\\\\slash\\nline"} 1.5e3',
      'up 1',
      'not a metric line {',
      'hookline_y{a="1"} NaN',
    ].join('\n');
    assert.deepEqual(parsePromText(text), [
      { name: 'hookline_ingress_enqueued_total', labels: { source: 'stripe-test' }, value: 12 },
      { name: 'hookline_ingress_requests_total', labels: { source: 'a"b', status: '401' }, value: 3 },
      { name: 'hookline_x', labels: { l: 'back\\slash\nline' }, value: 1500 },
      { name: 'up', labels: {}, value: 1 },
    ]);
  });
});
