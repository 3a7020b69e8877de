/**
 * npm run bench:pipeline — the whole pipeline (six services, each its own process) on the stack in
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL (scripts/bench.sh starts the local one if none runs).
 *
 * An open-loop paced generator posts Stripe-signed payment_intent.succeeded events, one new resource
 * each, to the ingress; a consumer on events.payments and a customer endpoint record when each one
 * arrives. Phases: steady (BENCH_RATE/s for BENCH_STEADY_S), a 10× burst on top (BENCH_BURST_S), then
 * the steady rate again until the backlog is back to its steady level (time to drain).
 * Prints latency from the provider's POST to events.payments and to the endpoint (p50/p95/p99), the
 * backlog ("lag": accepted but not yet on the domain topic), CPU seconds per 1,000 events per
 * service (steady phase) and RSS per service at start and end, and writes an SVG chart of latency
 * and lag over time (BENCH_OUT, default bench/results/pipeline.svg).
 * Soak: BENCH_SOAK_MIN=60 runs the steady rate that long (no burst) and compares RSS start/end.
 *
 * Defaults are the issue's: 1000/s for 60 s, burst 60 s. On a shared 2-core box use e.g.
 * BENCH_RATE=100 BENCH_STEADY_S=30 BENCH_BURST_S=15.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AvroCodec, createRegistry } from '../services/common/schemas.ts';
import { collect } from '../test/helpers/collect.ts';
import { provision, stackConfig, testKafka, uniquePrefix } from '../test/helpers/env.ts';
import { freePort, startServiceProcess, type ServiceProcess } from '../test/helpers/services.ts';
import { lineChart } from './svg.ts';

const num = (name: string, def: number) => Number(process.env[name] ?? def);
const RATE = num('BENCH_RATE', 1000);
const STEADY_S = num('BENCH_STEADY_S', 60);
const BURST_S = num('BENCH_BURST_S', 60);
const SOAK_MIN = num('BENCH_SOAK_MIN', 0);
const OUT = process.env.BENCH_OUT ?? 'bench/results/pipeline.svg';
const SERVICES = ['ingress', 'admin', 'validator', 'sequencer', 'processors', 'dispatcher'] as const;
const SECRET = 'whsec_bench_local_only';
const ADMIN_KEY = 'bench-admin-key-0123456789';

const print = (l: string) => process.stdout.write(`${l}\n`);
const prefix = uniquePrefix('bench-pipeline');
const dir = mkdtempSync(join(tmpdir(), 'hookline-bench-'));
writeFileSync(
  join(dir, 'sources.json'),
  JSON.stringify({ sources: [{ id: 'stripe-bench', provider: 'stripe', secrets: [SECRET], options: {} }] }),
);
const env = {
  SOURCES_FILE: join(dir, 'sources.json'),
  ADMIN_API_KEYS: `${ADMIN_KEY}:*`,
  ADMIN_ALLOW_HTTP: 'true',
  DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  REDIS_KEY_PREFIX: `hookline-bench:${prefix}`,
  INGRESS_MAX_PENDING: '200000',
  LOG_LEVEL: 'warn',
};

/** utime+stime of a process in seconds, and its RSS in MB. */
function procStats(pid: number): { cpu: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpu: (Number(f[11]) + Number(f[12])) / 100, rssMb: Math.round(rss / 1024) };
}

const pct = (a: number[], p: number) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) * p)]! : 0);

const svc = new Map<string, ServiceProcess>();
const sentAt = new Map<string, number>();
const domainLat: { at: number; ms: number }[] = [];
const endpointLat: { at: number; ms: number }[] = [];
let accepted = 0;
let refused = 0;
let onDomain = 0;

try {
  await provision(prefix);
  for (const name of SERVICES) svc.set(name, await startServiceProcess(name, prefix, env, await freePort(), 180_000));
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = (JSON.parse(Buffer.concat(chunks).toString()) as { data?: { resourceKey?: string } }).data
        ?.resourceKey;
      const pi = key?.split(':').pop() ?? '';
      const t = sentAt.get(pi);
      if (t !== undefined) endpointLat.push({ at: Date.now(), ms: Date.now() - t });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const adminUrl = `http://127.0.0.1:${svc.get('admin')!.port}`;
  const ep = await fetch(`${adminUrl}/v1/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      eventTypes: ['payment.*'],
      rateLimitPerSecond: null,
    }),
  });
  if (!ep.ok) throw new Error(`endpoint: ${ep.status} ${await ep.text()}`);

  const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
  const domain = await collect(testKafka('bench-domain'), `${prefix}events.payments`);
  let decoded = 0;
  const decodeLoop = setInterval(() => {
    const batch = domain.messages.slice(decoded);
    decoded += batch.length;
    for (const m of batch) {
      void avro.decode<{ resourceId: string }>(m.value!).then((v) => {
        const t = sentAt.get(v.resourceId);
        onDomain++;
        if (t !== undefined) domainLat.push({ at: m.timestamp, ms: m.timestamp - t });
      });
    }
  }, 50);

  const ingress = `http://127.0.0.1:${svc.get('ingress')!.port}/webhooks/stripe-bench`;
  const run = randomBytes(3).toString('hex');
  let seq = 0;
  const post = async () => {
    const pi = `pi_b_${run}_${seq++}`;
    const now = Date.now();
    const body = JSON.stringify({
      id: `evt_b_${run}_${seq}`,
      object: 'event',
      created: Math.floor(now / 1000),
      type: 'payment_intent.succeeded',
      data: { object: { id: pi, object: 'payment_intent', amount: 1200, currency: 'eur', status: 'succeeded' } },
    });
    const t = Math.floor(now / 1000);
    const sig = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
    sentAt.set(pi, now);
    try {
      const res = await fetch(ingress, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': sig },
        body,
      });
      await res.body?.cancel();
      if (res.ok) accepted++;
      else refused++;
    } catch {
      refused++;
    }
  };

  let rate = RATE;
  let credit = 0;
  let lastTick = Date.now();
  // Open loop on wall time: a late timer tick sends what it owes, so a busy box still offers the rate.
  const pacer = setInterval(() => {
    const now = Date.now();
    credit += (rate * (now - lastTick)) / 1000;
    lastTick = now;
    for (; credit >= 1; credit--) void post();
  }, 10);

  const t0 = Date.now();
  const samples: { s: number; lag: number; domainP99: number; endpointP99: number }[] = [];
  const sampler = setInterval(() => {
    const now = Date.now();
    const lastSec = (a: { at: number; ms: number }[]) => a.filter((x) => x.at > now - 1000).map((x) => x.ms);
    samples.push({
      s: (now - t0) / 1000,
      lag: Math.max(0, sentAt.size - refused - onDomain),
      domainP99: pct(lastSec(domainLat), 0.99),
      endpointP99: pct(lastSec(endpointLat), 0.99),
    });
  }, 1000);

  const cpu0 = new Map([...svc].map(([n, s]) => [n, procStats(s.child.pid!)]));
  const steadyS = SOAK_MIN > 0 ? SOAK_MIN * 60 : STEADY_S;
  print(`steady: ${RATE}/s for ${steadyS} s`);
  await sleep(steadyS * 1000);
  const steadyEnd = (Date.now() - t0) / 1000;
  const cpu1 = new Map([...svc].map(([n, s]) => [n, procStats(s.child.pid!)]));
  const steadyEvents = accepted;
  const steadySent = sentAt.size;
  let burstSent = 0;
  const steadyDomain = domainLat.map((x) => x.ms);
  const steadyEndpoint = endpointLat.map((x) => x.ms);
  const steadyLagMax = Math.max(0, ...samples.map((x) => x.lag));

  let burstEnd = steadyEnd;
  let drainS = 0;
  const acceptedBeforeBurst = accepted;
  if (SOAK_MIN === 0) {
    print(`burst: ${RATE * 10}/s for ${BURST_S} s`);
    rate = RATE * 10;
    await sleep(BURST_S * 1000);
    rate = RATE;
    burstSent = sentAt.size - steadySent;
    burstEnd = (Date.now() - t0) / 1000;
    const drainStart = Date.now();
    const target = Math.max(steadyLagMax * 1.5, RATE);
    while (sentAt.size - refused - onDomain > target && Date.now() - drainStart < 600_000) await sleep(250);
    drainS = (Date.now() - drainStart) / 1000;
  }
  clearInterval(pacer);
  const sent = sentAt.size;
  // Let what is in flight finish: every POST answered, everything accepted on the domain topic.
  for (let i = 0; i < 240 && (accepted + refused < sent || onDomain < accepted); i++) await sleep(250);
  clearInterval(sampler);
  clearInterval(decodeLoop);
  await domain.stop();
  const end = new Map([...svc].map(([n, s]) => [n, procStats(s.child.pid!)]));

  print('');
  print(`== bench:pipeline (${RATE}/s steady ${steadyS} s${SOAK_MIN ? '' : `, burst ${RATE * 10}/s ${BURST_S} s`})`);
  const achieved = `${(steadySent / steadyS).toFixed(0)}/s steady${SOAK_MIN ? '' : `, ${(burstSent / BURST_S).toFixed(0)}/s burst`}`;
  print(
    `sent ${sent} (achieved ${achieved}), accepted ${accepted}, refused ${refused}, on events.payments ${onDomain}, delivered ${endpointLat.length}`,
  );
  print('latency (steady)            p50      p95      p99');
  for (const [label, a] of [
    ['POST → events.payments', steadyDomain],
    ['POST → customer endpoint', steadyEndpoint],
  ] as const)
    print(
      `${label.padEnd(26)}${[0.5, 0.95, 0.99].map((p) => `${pct(a, p)} ms`.padStart(9)).join('')}  (n=${a.length})`,
    );
  print(`backlog (sent, not yet on the domain topic): steady max ${steadyLagMax}`);
  if (!SOAK_MIN)
    print(
      `burst: ${accepted - acceptedBeforeBurst} accepted during and after it; drained to the steady level ${drainS.toFixed(1)} s after the burst (goal ≤ 120 s); lost: ${accepted - onDomain}`,
    );
  print('service       CPU s / 1,000 events (steady)   RSS start → end');
  for (const name of SERVICES) {
    const c = (cpu1.get(name)!.cpu - cpu0.get(name)!.cpu) / Math.max(1, steadyEvents / 1000);
    print(
      `${name.padEnd(14)}${c.toFixed(3).padStart(10)}                  ${cpu0.get(name)!.rssMb} MB → ${end.get(name)!.rssMb} MB`,
    );
  }
  const svg = lineChart(
    `hookline pipeline: ${RATE}/s, 10× burst (measured on this machine)`,
    [
      {
        title: 'p99 latency per second',
        unit: 'ms',
        series: [
          { name: 'POST → events.payments', color: '#1f77b4', points: samples.map((x) => [x.s, x.domainP99]) },
          { name: 'POST → endpoint', color: '#d62728', points: samples.map((x) => [x.s, x.endpointP99]) },
        ],
      },
      {
        title: 'backlog: sent, not yet on events.payments',
        unit: '',
        series: [{ name: 'backlog', color: '#2ca02c', points: samples.map((x) => [x.s, x.lag]) }],
      },
    ],
    SOAK_MIN ? [] : [{ from: steadyEnd, to: burstEnd, label: '10× burst' }],
  );
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, svg);
  print(`chart: ${OUT}`);
  receiver.close();
  receiver.closeAllConnections();
} finally {
  for (const s of svc.values()) await s.stop(30_000);
}
