/**
 * Alerting test kit: a Prometheus and an Alertmanager (the Debian binaries the stack uses) on
 * free loopback ports with short intervals, configured from the committed files
 * (deploy/prometheus/alerts.yml, deploy/alertmanager/alertmanager.yml) with only the timings and
 * the receivers' addresses replaced; local receivers that answer like Slack's incoming webhooks,
 * PagerDuty's Events API v2 and a generic webhook; and a small SMTP sink (RFC 5321's plain
 * exchange, no TLS, no auth) that keeps the messages it is given.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, ROOT } from '../helpers/services.ts';

export interface HttpHit {
  readonly path: string;
  readonly json: Record<string, unknown>;
}

export interface Receivers {
  readonly url: string;
  readonly hits: HttpHit[];
  close(): Promise<void>;
}

/** One HTTP server for the three receivers: /slack, /pagerduty, /webhook, each answering as the real one does. */
export async function httpReceivers(): Promise<Receivers> {
  const hits: HttpHit[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end('invalid_payload');
        return;
      }
      hits.push({ path, json });
      if (path === '/pagerduty') {
        // Events API v2: 202 with a JSON status.
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: json.dedup_key }));
      } else if (path === '/slack') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else {
        res.writeHead(200).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly data: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: Mail[];
  close(): Promise<void>;
}

export async function smtpSink(): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    const say = (line: string) => sock.write(`${line}\r\n`);
    say('220 hookline-test-sink ESMTP');
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mails.push({ from, to, data: buf.slice(0, end).replace(/^\.\./gm, '.') });
          buf = buf.slice(end + 5);
          inData = false;
          say('250 2.0.0 queued');
          continue;
        }
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const line = buf.slice(0, eol);
        buf = buf.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-hookline-test-sink\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') say('250 hookline-test-sink');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          say('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          say('250 2.1.5 ok');
        } else if (verb === 'DATA') {
          inData = true;
          say('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'RSET' || verb === 'NOOP') say('250 ok');
        else if (verb === 'QUIT') {
          say('221 bye');
          sock.end();
        } else say('502 5.5.2 not implemented');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    mails,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Decodes a quoted-printable body (what Alertmanager's mails use for the text part). */
export function unQuotedPrintable(s: string): string {
  return Buffer.from(
    s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

/** alerts.yml with every `for:` shortened to `forSeconds` (the expressions stay as committed). */
export function fastRules(forSeconds: number): string {
  return readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8').replace(
    /^(\s+)for: \S+$/gm,
    `$1for: ${forSeconds}s`,
  );
}

/** alertmanager.yml with the placeholders pointed at the local receivers and second-long timings. */
export function testAlertmanagerConfig(receivers: string, smtpPort: number): string {
  const replaced = readFileSync(join(ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8')
    .replaceAll('https://hooks.slack.com/services/REPLACE/SLACK/WEBHOOK', `${receivers}/slack`)
    .replaceAll('https://events.pagerduty.com/v2/enqueue', `${receivers}/pagerduty`)
    .replaceAll('https://alerts.example.com/REPLACE/WEBHOOK', `${receivers}/webhook`)
    .replaceAll('REPLACE_PAGERDUTY_ROUTING_KEY', 'test-routing-key-0123456789abcdef')
    .replaceAll('smtp.example.com:587', `127.0.0.1:${smtpPort}`)
    .replaceAll('https://hookline-admin.example.com', 'http://console.test')
    .replace('smtp_require_tls: true', 'smtp_require_tls: false')
    .replace(/group_wait: \S+/, 'group_wait: 1s')
    .replace(/group_interval: \S+/, 'group_interval: 1s');
  if (/REPLACE|https:\/\/|smtp\.example/.test(replaced))
    throw new Error('a placeholder in alertmanager.yml was not replaced');
  return replaced;
}

export interface Proc {
  readonly url: string;
  readonly output: string[];
  stop(): Promise<void>;
}

async function run(name: string, args: string[], port: number): Promise<Proc> {
  const output: string[] = [];
  const child: ChildProcess = spawn(name, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 300) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => output.push(String(err)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${output.join('')}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after 30 s:\n${output.join('')}`);
    }
    await sleep(200);
  }
  return {
    url,
    output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function startAlertmanager(dir: string, config: string): Promise<Proc> {
  mkdirSync(join(dir, 'am'), { recursive: true });
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  return run(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    port,
  );
}

export async function startPrometheus(
  dir: string,
  o: { rules: string; alertmanager: string; jobs: Record<string, string>; dataDir: string },
): Promise<Proc> {
  writeFileSync(join(dir, 'alerts.yml'), o.rules);
  const jobs = Object.entries(o.jobs)
    .map(([job, target]) => `  - job_name: ${job}\n    static_configs: [{ targets: ['${target}'] }]`)
    .join('\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s, external_labels: { console_base: 'http://console.test' } }
rule_files: ['${join(dir, 'alerts.yml')}']
alerting:
  alertmanagers: [{ static_configs: [{ targets: ['${o.alertmanager.replace('http://', '')}'] }] }]
scrape_configs:
${jobs}
`,
  );
  const port = await freePort();
  return run(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${o.dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Firing alerts are re-sent every resend-delay (default 1 m); one evaluated before the
      // Alertmanager target was set up would otherwise wait that long.
      '--rules.alert.resend-delay=1s',
    ],
    port,
  );
}

/** Writes OpenMetrics text into TSDB blocks under dataDir (promtool tsdb create-blocks-from openmetrics). */
export function backfill(dir: string, openMetrics: string, dataDir: string): void {
  const file = join(dir, 'history.om');
  writeFileSync(file, openMetrics);
  mkdirSync(dataDir, { recursive: true });
  const r = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`promtool backfill failed: ${r.stderr}${r.stdout}`);
}

/** Alerts Prometheus currently reports (GET /api/v1/alerts). */
export async function prometheusAlerts(
  url: string,
): Promise<{ labels: Record<string, string>; annotations: Record<string, string>; state: string }[]> {
  const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as {
    data: { alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[] };
  };
  return body.data.alerts;
}

/** An instant query's result (GET /api/v1/query), for diagnostics in failure messages. */
export async function prometheusQuery(url: string, q: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
  return JSON.stringify(((await res.json()) as { data?: { result?: unknown } }).data?.result ?? null);
}
