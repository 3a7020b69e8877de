/**
 * The monitoring configuration as Prometheus and Alertmanager read it, with their own tools (the
 * Debian packages deploy/local/stack.sh installs; missing tools fail the test, they are not
 * skipped): the rules parse, the rule unit tests (synthetic series for every new rule, and the
 * quiet-source rule's no-false-page cases) pass, the Prometheus and Alertmanager configs are
 * valid, and severity routes where the README says: page → PagerDuty and Slack, ticket → Slack
 * and email, everything to the generic webhook.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/services.ts';

const PROM = join(ROOT, 'deploy/prometheus');
const AM_CONFIG = join(ROOT, 'deploy/alertmanager/alertmanager.yml');

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: PROM, timeout: 300_000 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (apt-get install prometheus prometheus-alertmanager)`);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r;
}
const tool = (cmd: string, args: string[]): string => {
  const r = run(cmd, args);
  return r.stdout + r.stderr;
};

describe('promtool and amtool', () => {
  it('promtool check rules: every rule parses', () => {
    assert.match(tool('promtool', ['check', 'rules', 'alerts.yml']), /SUCCESS: \d+ rules found/);
  });

  it('promtool check config: the stack’s prometheus.yml and the rules it loads', () => {
    assert.match(tool('promtool', ['check', 'config', 'prometheus.yml']), /SUCCESS/);
    assert.match(tool('promtool', ['check', 'config', 'prometheus.compose.yml']), /SUCCESS/);
  });

  it('promtool test rules: synthetic series in, the expected alerts out', () => {
    const out = tool('promtool', ['test', 'rules', 'alerts.test.yml', 'alerts.sources.test.yml']);
    assert.doesNotMatch(out, /FAILED/);
    assert.equal(out.match(/SUCCESS/g)?.length, 2, out);
  });

  it('amtool check-config: the routing file is valid', () => {
    assert.match(tool('amtool', ['check-config', AM_CONFIG]), /SUCCESS/);
  });

  it('severity decides the route: page → PagerDuty + Slack, ticket → Slack + email, all → webhook', () => {
    const route = (labels: string[]) =>
      run('amtool', ['config', 'routes', 'test', `--config.file=${AM_CONFIG}`, ...labels]).stdout.trim();
    assert.equal(route(['alertname=HooklineSourceQuiet', 'severity=page', 'source=a']), 'webhook,page');
    assert.equal(route(['alertname=HooklineEndpointFailing', 'severity=ticket', 'endpoint=e']), 'webhook,ticket');
  });
});
