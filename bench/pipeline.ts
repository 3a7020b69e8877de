/**
 * npm run bench:pipeline — the whole pipeline (six services, each its own process) on the stack in
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL (scripts/bench.sh starts the local one if none runs).
 *
 * An open-loop paced generator posts Stripe-signed payment_intent.succeeded events, one new resource
 * each, to the ingress; a consumer on events.payments and a customer endpoint record when each one
 * arrives. "Backlog" (lag) is accepted but not yet on the domain topic. Modes (BENCH_MODE):
 *
 * - issue (default): BENCH_RATE/s for BENCH_STEADY_S, then a 10× burst on top for BENCH_BURST_S, then
 *   the steady rate again until the backlog is back to its steady level (time to drain; nothing lost).
 *   Latency POST → events.payments and POST → endpoint p50/p95/p99 (steady), CPU s per 1,000 events
 *   per service, RSS and V8 heap per service at start and end.
 * - sustain: the highest rate sustained with the backlog bounded. Steps through BENCH_STEP_RATES
 *   (default 250,500,750,1000,1250,1500,2000/s), BENCH_STEP_S each (default 300 = the issue's 5
 *   minutes; e.g. 60 for a quick look), draining between steps. A step holds when the generator
 *   offered ≥ 95 % of it, nothing was refused, and the backlog over its second half grew by less
 *   than 2 s worth of traffic. Stops at the first step that does not hold.
 * - soak (or BENCH_SOAK_MIN=n with `npm run bench:soak`): the steady rate for n minutes; RSS and
 *   heap of each service at start and end (and charted every 30 s).
 *
 * Every mode prints a table and writes an SVG chart of latency and backlog over time (BENCH_OUT,
 * default bench/results/pipeline[-mode].svg). Defaults are the issue's: 1000/s for 60 s, burst 60 s.
 * On a shared 2-core box use e.g. BENCH_RATE=100 BENCH_STEADY_S=30 BENCH_BURST_S=15.
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
const MODE = process.env.BENCH_MODE ?? (SOAK_MIN > 0 ? 'soak' : 'issue');
const STEP_RATES = (process.env.BENCH_STEP_RATES ?? '250,500,750,1000,1250,1500,2000').split(',').map(Number);
const STEP_S = num('BENCH_STEP_S', 300);
const OUT = process.env.BENCH_OUT ?? `bench/results/pipeline${MODE === 'issue' ? '' : `-${MODE}`}.svg`;
if (!['issue', 'sustain', 'soak'].includes(MODE)) throw new Error(`BENCH_MODE must be issue, sustain or soak`);
if (MODE === 'soak' && SOAK_MIN <= 0) throw new Error('BENCH_MODE=soak needs BENCH_SOAK_MIN (minutes)');
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

/** utime+stime of a process in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const pct = (a: number[], p: number) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) * p)]! : 0);
const mb = (bytes: number) => Math.round(bytes / 1048576);

const svc = new Map<string, ServiceProcess>();
const sentAt = new Map<string, number>();
const domainLat: number[] = [];
const endpointLat: number[] = [];
let domainSec: number[] = [];
let endpointSec: number[] = [];
let accepted = 0;
let refused = 0;
/** Answers other than 2xx by status, and requests that got no answer ('network'). */
const refusals = new Map<string, number>();
const refuse = (why: string) => {
  refused++;
  refusals.set(why, (refusals.get(why) ?? 0) + 1);
};
let onDomain = 0;
const acceptedIds = new Set<string>();
const onDomainIds = new Set<string>();
let delivered = 0;
const backlog = () => Math.max(0, sentAt.size - refused - onDomain);

/** RSS and V8 heap of a service, from its /metrics (hookline_process_memory_bytes). */
async function memoryOf(name: string): Promise<{ rss: number; heap: number }> {
  // A loaded box may reset or stall a scrape: try a few times, never fail the run over it.
  let text = '';
  for (let i = 0; i < 5 && !text; i++)
    text = await fetch(`http://127.0.0.1:${svc.get(name)!.port}/metrics`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => r.text())
      .catch(() => sleep(500).then(() => ''));
  const get = (kind: string) =>
    Number(new RegExp(`^hookline_process_memory_bytes\\{kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rss: get('rss'), heap: get('heap_used') };
}
const memoryAll = async () => new Map(await Promise.all(SERVICES.map(async (n) => [n, await memoryOf(n)] as const)));
const cpuAll = () => new Map(SERVICES.map((n) => [n, cpuOf(svc.get(n)!.child.pid!)]));
const cpuRows = (c0: Map<string, number>, c1: Map<string, number>, events: number) =>
  SERVICES.map((n) => `${n} ${((c1.get(n)! - c0.get(n)!) / Math.max(1, events / 1000)).toFixed(2)}`).join(', ');

try {
  await provision(prefix);
  for (const name of SERVICES) svc.set(name, await startServiceProcess(name, prefix, env, await freePort(), 180_000));
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Outbound data is the canonical record (its id is the payment intent) or the resource view.
      const data = (JSON.parse(Buffer.concat(chunks).toString()) as { data?: { resourceKey?: string; id?: string } })
        .data;
      const pi = String(data?.resourceKey ?? data?.id ?? '')
        .split(':')
        .pop()!;
      const t = sentAt.get(pi);
      if (t !== undefined) {
        delivered++;
        endpointLat.push(Date.now() - t);
        endpointSec.push(Date.now() - t);
      }
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
  const decodeLoop = setInterval(() => {
    for (const m of domain.messages.splice(0)) {
      void avro.decode<{ resourceId: string }>(m.value!).then((v) => {
        const t = sentAt.get(v.resourceId);
        onDomain++;
        onDomainIds.add(v.resourceId);
        if (t !== undefined) {
          domainLat.push(m.timestamp - t);
          domainSec.push(m.timestamp - t);
        }
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
      if (res.ok) {
        accepted++;
        acceptedIds.add(pi);
      } else refuse(String(res.status));
    } catch {
      refuse('network');
    }
  };

  let rate = 0;
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
  const elapsed = () => (Date.now() - t0) / 1000;
  const samples: { s: number; lag: number; domainP99: number; endpointP99: number }[] = [];
  const sampler = setInterval(() => {
    samples.push({
      s: elapsed(),
      lag: backlog(),
      domainP99: pct(domainSec, 0.99),
      endpointP99: pct(endpointSec, 0.99),
    });
    domainSec = [];
    endpointSec = [];
  }, 1000);
  const memorySamples: { s: number; heap: Map<string, number> }[] = [];
  const bands: { from: number; to: number; label: string }[] = [];
  const drain = async (target: number, maxMs: number) => {
    const start = Date.now();
    while (backlog() > target && Date.now() - start < maxMs) await sleep(250);
    return (Date.now() - start) / 1000;
  };
  const mem0 = await memoryAll();
  const lines: string[] = [];
  let title = '';

  if (MODE === 'sustain') {
    title = `hookline pipeline: highest sustained rate, ${STEP_S} s steps`;
    lines.push(
      `== bench:pipeline sustain (steps ${STEP_RATES.join(', ')}/s, ${STEP_S} s each)`,
      'offered/s  achieved/s  refused  domain p50/p99 ms  endpoint p99 ms  backlog mid → end   holds',
    );
    let best = 0;
    for (const target of STEP_RATES) {
      const from = elapsed();
      const stepFrom = Date.now();
      const sent0 = sentAt.size;
      const refused0 = refused;
      const lat0 = domainLat.length;
      const elat0 = endpointLat.length;
      const c0 = cpuAll();
      const acc0 = accepted;
      rate = target;
      await sleep((STEP_S * 1000) / 2);
      const mid = backlog();
      await sleep((STEP_S * 1000) / 2);
      const end = backlog();
      rate = 0;
      const achieved = (sentAt.size - sent0) / ((Date.now() - stepFrom) / 1000);
      const c1 = cpuAll();
      const d = domainLat.slice(lat0);
      const e = endpointLat.slice(elat0);
      const holds = achieved >= 0.95 * target && refused === refused0 && end - mid < 2 * target;
      bands.push({ from, to: elapsed(), label: `${target}/s` });
      lines.push(
        `${String(target).padStart(9)}  ${achieved.toFixed(0).padStart(10)}  ${String(refused - refused0).padStart(7)}  ` +
          `${`${pct(d, 0.5)} / ${pct(d, 0.99)}`.padStart(17)}  ${String(pct(e, 0.99)).padStart(15)}  ` +
          `${`${mid} → ${end}`.padStart(16)}   ${holds ? 'yes' : 'no'}`,
        `           CPU s / 1,000 events: ${cpuRows(c0, c1, accepted - acc0)}`,
      );
      print(lines[lines.length - 2]!);
      if (!holds) break;
      best = target;
      const drained = await drain(0, 180_000);
      print(`  drained in ${drained.toFixed(1)} s`);
    }
    lines.push(
      `highest rate sustained for ${STEP_S} s with the backlog bounded: ${best ? `${best}/s` : 'none of the steps'}`,
    );
  } else {
    const steadyS = MODE === 'soak' ? SOAK_MIN * 60 : STEADY_S;
    title = `hookline pipeline: ${RATE}/s${MODE === 'soak' ? `, soak ${SOAK_MIN} min` : ', 10× burst'} (measured on this machine)`;
    print(`steady: ${RATE}/s for ${steadyS} s`);
    const c0 = cpuAll();
    const steadyFrom = Date.now();
    rate = RATE;
    const memTimer = setInterval(() => {
      void memoryAll()
        .then((m) => memorySamples.push({ s: elapsed(), heap: new Map([...m].map(([n, x]) => [n, mb(x.heap)])) }))
        .catch(() => undefined);
    }, 30_000);
    await sleep(steadyS * 1000);
    clearInterval(memTimer);
    const steadyEnd = elapsed();
    const steadyTook = (Date.now() - steadyFrom) / 1000;
    const c1 = cpuAll();
    const steadyEvents = accepted;
    const steadySent = sentAt.size;
    const steadyDomain = [...domainLat];
    const steadyEndpoint = [...endpointLat];
    const steadyLagMax = Math.max(0, ...samples.map((x) => x.lag));
    let burstLine = '';
    if (MODE === 'issue') {
      print(`burst: ${RATE * 10}/s for ${BURST_S} s`);
      const acceptedBefore = accepted;
      const burstFrom = Date.now();
      rate = RATE * 10;
      await sleep(BURST_S * 1000);
      rate = RATE;
      const burstSent = sentAt.size - steadySent;
      const burstTook = (Date.now() - burstFrom) / 1000;
      const burstEnd = elapsed();
      bands.push({ from: steadyEnd, to: burstEnd, label: '10× burst' });
      const peak = Math.max(0, ...samples.filter((x) => x.s >= steadyEnd).map((x) => x.lag));
      const drainS = await drain(Math.max(steadyLagMax * 1.5, RATE), 600_000);
      burstLine =
        `burst: offered ${(burstSent / burstTook).toFixed(0)}/s for ${burstTook.toFixed(0)} s, backlog peak ${peak}; ` +
        `back to the steady level ${drainS.toFixed(1)} s after it (goal ≤ 120 s); accepted since: ${accepted - acceptedBefore}`;
    }
    rate = 0;
    lines.push(
      `== bench:pipeline ${MODE} (${RATE}/s steady ${steadyS} s${MODE === 'issue' ? `, burst ${RATE * 10}/s ${BURST_S} s` : ''})`,
      `steady: offered ${(steadySent / steadyTook).toFixed(0)}/s for ${steadyTook.toFixed(0)} s; backlog max ${steadyLagMax}`,
      'latency (steady)            p50      p95      p99',
      ...(
        [
          ['POST → events.payments', steadyDomain],
          ['POST → customer endpoint', steadyEndpoint],
        ] as const
      ).map(
        ([label, a]) =>
          `${label.padEnd(26)}${[0.5, 0.95, 0.99].map((p) => `${pct(a, p)} ms`.padStart(9)).join('')}  (n=${a.length})`,
      ),
      ...(burstLine ? [burstLine] : []),
      `CPU s / 1,000 events (steady): ${cpuRows(c0, c1, steadyEvents)}`,
    );
  }
  // Let what is in flight finish: every POST answered, everything accepted on the domain topic.
  for (let i = 0; i < 480 && (accepted + refused < sentAt.size || onDomain < accepted); i++) await sleep(250);
  for (let i = 0; i < 240 && delivered < onDomain; i++) await sleep(250);
  clearInterval(pacer);
  clearInterval(sampler);
  clearInterval(decodeLoop);
  await domain.stop();
  const mem1 = await memoryAll();

  print('');
  for (const l of lines) print(l);
  print(
    `sent ${sentAt.size}, accepted ${accepted}, not accepted ${refused} ` +
      `(${[...refusals].map(([k, v]) => `${k}×${v}`).join(' ') || 'none'}), on events.payments ${onDomain}, ` +
      `delivered ${delivered}; lost (answered 2xx, not on the domain topic): ` +
      `${[...acceptedIds].filter((id) => !onDomainIds.has(id)).length}`,
  );
  print('service       RSS start → end     heap start → end');
  for (const n of SERVICES)
    print(
      `${n.padEnd(14)}${`${mb(mem0.get(n)!.rss)} → ${mb(mem1.get(n)!.rss)} MB`.padEnd(20)}` +
        `${mb(mem0.get(n)!.heap)} → ${mb(mem1.get(n)!.heap)} MB`,
    );
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const svg = lineChart(
    title,
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
      ...(memorySamples.length > 1
        ? [
            {
              title: 'V8 heap used per service',
              unit: 'MB',
              series: SERVICES.map((n, i) => ({
                name: n,
                color: colors[i]!,
                points: memorySamples.map((x) => [x.s, x.heap.get(n) ?? 0] as const),
              })),
            },
          ]
        : []),
    ],
    bands,
  );
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, svg);
  print(`chart: ${OUT}`);
  receiver.close();
  receiver.closeAllConnections();
} finally {
  for (const s of svc.values()) await s.stop(30_000);
}
