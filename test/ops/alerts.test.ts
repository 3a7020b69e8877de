/**
 * deploy/prometheus/alerts.yml refers only to what the services really export: every hookline_*
 * metric is declared in services/ (histogram series only for histograms), every label value a rule
 * matches on is a value the code writes, and every alert has a severity Alertmanager routes on
 * (page, ticket), a summary and a runbook. A renamed metric or label value fails here instead of
 * leaving an alert that can never fire. (promtool checks and tests the rules too: test/ops/promtool.test.ts.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rules = readFileSync(join(root, 'deploy/prometheus/alerts.yml'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}
const code = sources(join(root, 'services')).join('\n');

const declared = new Map<string, string>();
for (const m of code.matchAll(
  /create(Counter|Histogram|ObservableGauge|UpDownCounter|Gauge)\(\s*'(hookline_[a-z_]+)'/g,
))
  declared.set(m[2]!, m[1]!);

const exprs = [...rules.matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
/** Metric names in an expression, not recording rules (slo:hookline_…:ratio_rate5m) built from them. */
const metricsIn = (e: string) => [...e.replace(/\bslo:[\w:]+/g, '').matchAll(/hookline_[a-z_]+/g)].map((m) => m[0]);

describe('alert rules', () => {
  it('every hookline_* series is a metric the services declare', () => {
    assert.ok(declared.size > 20, `metrics found in services/: ${declared.size}`);
    const used = new Set(exprs.flatMap(metricsIn));
    assert.ok(used.size >= 10);
    for (const series of used) {
      const base = series.replace(/_(bucket|sum|count)$/, '');
      const kind = declared.get(series) ?? declared.get(base);
      assert.ok(kind, `${series} is not declared by any service`);
      if (series !== base && !declared.has(series))
        assert.equal(kind, 'Histogram', `${series}: only histograms have _bucket/_sum/_count`);
    }
  });

  it('every label value matched on is one the code writes', () => {
    let checked = 0;
    for (const e of exprs) {
      for (const m of e.matchAll(/hookline_[a-z_]+\{([^}]*)\}/g)) {
        for (const matcher of m[1]!.matchAll(/(\w+)(=~|=)"([^"]*)"/g)) {
          // HTTP status codes are written as String(status): no literal to find.
          if (matcher[1] === 'status') continue;
          for (const value of matcher[3]!.split('|')) {
            assert.ok(
              code.includes(`'${value}'`),
              `label ${matcher[1]}="${value}" in "${e}" is never written by the services`,
            );
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 5, `label values checked: ${checked}`);
  });

  it('every alert has a name, an expression with balanced brackets, a severity, a summary and a runbook', () => {
    const blocks = rules.split(/^\s+- (?:alert|record): /m).slice(1);
    assert.equal(blocks.length, exprs.length, 'one expr per rule');
    const names = new Set<string>();
    for (const b of blocks) {
      const name = b.split('\n')[0]!.trim();
      if (name.startsWith('slo:')) continue; // a recording rule
      assert.match(name, /^Hookline[A-Za-z]+$/);
      assert.ok(!names.has(name), `${name} defined twice`);
      names.add(name);
      const expr = /^\s+expr: (.+)$/m.exec(b)![1]!;
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const) {
        assert.equal(expr.split(open).length, expr.split(close).length, `${name}: unbalanced ${open}${close}`);
      }
      assert.match(b, /^\s+severity: (page|ticket)$/m, `${name}: severity`);
      // Quoted either way (Prettier writes YAML strings with single quotes).
      assert.match(b, /^\s+summary: (['"]).+\1$/m, `${name}: summary`);
      assert.match(b, /^\s+runbook: .{20,}$/m, `${name}: runbook`);
    }
  });
});
