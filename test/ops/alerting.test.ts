/**
 * Alerts that reach people, end to end on the real stack: the dispatcher and the ingress run as
 * their own processes against Kafka, the registry and Redis; Prometheus scrapes them and evaluates
 * deploy/prometheus/alerts.yml (every `for:` shortened to 1 s, intervals 1 s); Alertmanager routes
 * with deploy/alertmanager/alertmanager.yml (placeholders → local receivers, group_wait 1 s).
 *
 *   1. An endpoint starts failing → HooklineEndpointFailing (ticket) → Slack and email (+ webhook).
 *   2. A source goes quiet after a week of steady traffic → HooklineSourceQuiet (page) → PagerDuty
 *      and Slack (+ webhook); a busy source and the new source the test sends to do not page. The
 *      week of history is backfilled into Prometheus's storage with promtool before it starts
 *      (the rule compares with a day and a week earlier; waiting a week is not a test).
 *
 * Takes about 35 s on the 2-core CI machine under load, most of it starting the service processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { TOPICS } from '../../services/common/topics.ts';
import { eventually, provision, uniquePrefix } from '../helpers/env.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/services.ts';
import { event, FAST_ENV, kit, receiver, type Kit, type Receiver } from '../dispatcher/helpers.ts';
import {
  backfill,
  fastRules,
  httpReceivers,
  prometheusAlerts,
  prometheusQuery,
  smtpSink,
  startAlertmanager,
  startPrometheus,
  testAlertmanagerConfig,
  unQuotedPrintable,
  type HttpHit,
  type Proc,
  type Receivers,
  type SmtpSink,
} from './alerting-kit.ts';

const started = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'hookline-alerting-'));
const SECRET = 'whsec_test_alerting_only';
const stripe = new Stripe('sk_test_unused');

let k: Kit;
let dispatcher: ServiceProcess;
let ingress: ServiceProcess;
let failing: Receiver;
let receivers: Receivers;
let smtp: SmtpSink;
let am: Proc;
let prom: Proc;

/** A week and a day of steady traffic (10 events / 5 min) for two sources; "quiet-src" stops 45 minutes ago. */
function history(now: number): string {
  const step = 300;
  const end = Math.floor(now / 1000) - 30;
  const start = end - 8 * 86_400;
  const lines = ['# TYPE hookline_ingress_enqueued counter'];
  for (const source of ['quiet-src', 'busy-src']) {
    let n = 0;
    for (let t = start; t <= end; t += step) {
      if (!(source === 'quiet-src' && t > end - 45 * 60)) n += 10;
      lines.push(
        `hookline_ingress_enqueued_total{job="hookline-ingress",instance="history",source="${source}"} ${n} ${t}`,
      );
    }
  }
  lines.push('# TYPE up gauge');
  for (let t = start; t <= end; t += step) lines.push(`up{job="hookline-ingress",instance="history"} 1 ${t}`);
  lines.push('# EOF', '');
  return lines.join('\n');
}

function hitsFor(path: string, alertname: string): HttpHit[] {
  return receivers.hits.filter((h) => h.path === path && JSON.stringify(h.json).includes(alertname));
}

describe('alerts reach people (Prometheus → Alertmanager → Slack, PagerDuty, email)', () => {
  before(async () => {
    k = await kit(uniquePrefix('alerting'));
    await provision(
      k.prefix,
      TOPICS.filter((t) => t.name === 'webhooks.raw'),
    );
    failing = await receiver(() => ({ status: 500, body: 'down for maintenance' }));
    receivers = await httpReceivers();
    smtp = await smtpSink();

    dispatcher = await startServiceProcess('dispatcher', k.prefix, {
      ...FAST_ENV,
      REDIS_KEY_PREFIX: k.redisPrefix,
      INSTANCE_ID: `alerting-${process.pid}`,
      // A failure every second for two minutes: a rate needs the counter to move between scrapes.
      DISPATCHER_RETRY_SCHEDULE: ['0', ...Array<string>(120).fill('1s')].join(','),
      DISPATCHER_BREAKER_FAILURES: '1000',
      DISPATCHER_DISABLE_AFTER_MS: '3600000',
    });
    const sourcesFile = join(dir, 'sources.json');
    writeFileSync(
      sourcesFile,
      JSON.stringify({
        sources: ['quiet-src', 'busy-src', 'new-src'].map((id) => ({ id, provider: 'stripe', secrets: [SECRET] })),
      }),
    );
    ingress = await startServiceProcess('ingress', k.prefix, {
      SOURCES_FILE: sourcesFile,
      REDIS_KEY_PREFIX: k.redisPrefix,
    });

    const dataDir = join(dir, 'prometheus');
    backfill(dir, history(Date.now()), dataDir);
    am = await startAlertmanager(dir, testAlertmanagerConfig(receivers.url, smtp.port));
    prom = await startPrometheus(dir, {
      rules: fastRules(1),
      alertmanager: am.url,
      dataDir,
      jobs: {
        'hookline-dispatcher': `127.0.0.1:${dispatcher.port}`,
        'hookline-ingress': `127.0.0.1:${ingress.port}`,
      },
    });
  });

  after(async () => {
    for (const p of [prom, am]) await p?.stop();
    for (const s of [dispatcher, ingress]) await s?.stop();
    await Promise.all([failing?.close(), receivers?.close(), smtp?.close()]);
    await k?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`alerting e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('an endpoint that starts failing reaches Slack and email, with its name, severity and runbook', async () => {
    const ep = await k.store.create({
      url: failing.url,
      description: 'alerting e2e',
      eventTypes: ['payment.succeeded'],
      headers: {},
      rateLimitPerSecond: null,
    });
    await k.send([event('a', 0), event('b', 0), event('c', 0)].map((e) => ({ ...e, endpointId: ep.id })));

    const slack = await eventually(
      () => hitsFor('/slack', 'HooklineEndpointFailing')[0],
      90_000,
      'the Slack notification',
    ).catch(async (err: unknown) => {
      const attempts = await prometheusQuery(prom.url, 'hookline_dispatcher_attempts_total');
      const alerts = JSON.stringify(await prometheusAlerts(prom.url));
      throw new Error(`${String(err)}\nattempts: ${attempts}\nalerts: ${alerts}\n${dispatcher.output.join('')}`);
    });
    const attachment = (slack.json.attachments as { title: string; text: string }[])[0]!;
    assert.match(attachment.title, /^\[FIRING\] HooklineEndpointFailing \(ticket\)$/);
    assert.match(attachment.text, new RegExp(`\\*HooklineEndpointFailing\\* severity=ticket endpoint=${ep.id}`));
    assert.match(attachment.text, /Runbook: GET \/v1\/deliveries\?endpointId=/);
    assert.match(attachment.text, new RegExp(`Console: http://console\\.test/console/endpoints/${ep.id}`));

    const mail = await eventually(
      () => smtp.mails.find((m) => m.data.includes('HooklineEndpointFailing')),
      30_000,
      'the email',
    );
    assert.deepEqual(mail.to, ['oncall@example.com']);
    assert.match(mail.data, /^Subject: \[hookline firing\] HooklineEndpointFailing \(ticket\)/m);
    const body = unQuotedPrintable(mail.data);
    assert.match(body, new RegExp(`endpoint=${ep.id}`));
    assert.match(body, /Runbook: GET \/v1\/deliveries/);
    assert.match(body, new RegExp(`Console: http://console\\.test/console/endpoints/${ep.id}`), 'the console link');

    assert.ok(hitsFor('/webhook', 'HooklineEndpointFailing').length > 0, 'the generic webhook gets every alert');
    assert.equal(hitsFor('/pagerduty', 'HooklineEndpointFailing').length, 0, 'a ticket does not page');
  });

  it('a source that goes quiet after steady traffic pages through PagerDuty and Slack; busy and new sources do not', async () => {
    // Live traffic for the busy source and a new one (no history), sent while the page is on its way.
    const sent = Promise.all(
      ['busy-src', 'new-src'].map(async (source) => {
        const payload = JSON.stringify({ id: `evt_${source}`, object: 'event', type: 'charge.succeeded', data: {} });
        const res = await fetch(`http://127.0.0.1:${ingress.port}/webhooks/${source}`, {
          method: 'POST',
          body: payload,
          headers: {
            'content-type': 'application/json',
            'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
          },
        });
        assert.equal(res.status, 200, `${source}: ${await res.text()}`);
      }),
    );

    const pd = await eventually(() => hitsFor('/pagerduty', 'HooklineSourceQuiet')[0], 90_000, 'the PagerDuty event');
    const payload = pd.json.payload as { summary: string; severity: string; custom_details: Record<string, string> };
    assert.equal(pd.json.event_action, 'trigger');
    assert.equal(pd.json.routing_key, 'test-routing-key-0123456789abcdef');
    assert.equal(payload.severity, 'critical');
    assert.match(payload.summary, /^HooklineSourceQuiet: Source quiet-src has gone quiet: 0 events/);
    assert.equal(payload.custom_details.alertname, 'HooklineSourceQuiet');
    assert.equal(payload.custom_details.severity, 'page');
    assert.equal(payload.custom_details.source, 'quiet-src');
    assert.match(payload.custom_details.runbook!, /^Ask whether the sender stopped sending/);
    assert.equal(payload.custom_details.console_url, 'http://console.test/console/sources/quiet-src');

    const slack = await eventually(() => hitsFor('/slack', 'HooklineSourceQuiet')[0], 30_000, 'the Slack message');
    const text = (slack.json.attachments as { text: string }[])[0]!.text;
    assert.match(text, /\*HooklineSourceQuiet\* severity=page source=quiet-src/);
    assert.match(text, /Runbook: Ask whether the sender stopped sending/);
    assert.match(text, /Console: http:\/\/console\.test\/console\/sources\/quiet-src/);

    await sent;
    await eventually(
      async () =>
        (await prometheusQuery(prom.url, 'hookline_ingress_enqueued_total{source="new-src"}')) !== '[]'
          ? true
          : undefined,
      30_000,
      'the new source scraped',
    );
    await new Promise((r) => setTimeout(r, 3000)); // a few rule evaluations with it
    const firing = (await prometheusAlerts(prom.url)).filter((a) => a.labels.alertname === 'HooklineSourceQuiet');
    assert.deepEqual(
      firing.map((a) => a.labels.source),
      ['quiet-src'],
      'only the source that stopped: busy-src has its history, new-src has none',
    );
    assert.equal(
      smtp.mails.filter((m) => m.data.includes('HooklineSourceQuiet')).length,
      0,
      'a page goes to PagerDuty and Slack, not email',
    );
  });
});
