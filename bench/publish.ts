/**
 * npm run bench:publish — HTTP publish → delivery (issue 9): the admin and the dispatcher run as
 * their own processes (as in production); this process publishes over HTTP and receives.
 * 100 tenants with two endpoints each (both subscribed), messages spread over the tenants.
 *
 *   1. fixed rate (default 1,000 messages/s for 30 s): publish→delivery p50/p95/p99 per delivery,
 *      from the start of the HTTP request (and from its 202), and the 202 latency itself;
 *      CPU seconds of the admin and dispatcher processes (/proc/<pid>/stat) per 1,000 messages;
 *   2. saturation: closed-loop publishers (BENCH_PUBLISHERS, default 64) for a few seconds:
 *      publish requests answered 202 per second;
 *   3. baseline in the same run: a plain fetch loop posting the same bodies straight to the
 *      same receivers (two POSTs per message), at the same rate and flat out.
 * Writes bench/results/publish.json (BENCH_OUT). Knobs: BENCH_RATE, BENCH_SECONDS,
 * BENCH_TENANTS, BENCH_SATURATION_SECONDS, BENCH_PUBLISHERS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPICS } from '../services/common/topics.ts';
import { createRedis } from '../services/common/redis.ts';
import { provision, serviceEnv, stackConfig, uniquePrefix } from '../test/helpers/env.ts';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const SAT_SECONDS = Number(process.env.BENCH_SATURATION_SECONDS ?? 5);
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 64);
const OUT = process.env.BENCH_OUT ?? 'bench/results/publish.json';
const KEY = 'bench-admin-key-0123456789abcdef';

const prefix = uniquePrefix('bench-pub');
const redisPrefix = `${prefix}hl:`;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

/** Deletes this run's Redis keys (hundreds of thousands: scanned and deleted in chunks). */
async function clearKeys(prefix: string): Promise<void> {
  const r = createRedis(stackConfig.REDIS_URL);
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** utime+stime of a process, seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

// Arrivals: "{messageId}|{endpoint path}" → time. The payload's data carries nothing the
// receiver needs: the webhook-id is the messageId.
const arrived = new Map<string, number>();

function spawnService(name: string, env: Record<string, string>): ChildProcess {
  const main = fileURLToPath(new URL(`../services/${name}/main.ts`, import.meta.url));
  return spawn(process.execPath, [main], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main() {
  process.stderr.write(`bench: provisioning ${prefix}\n`);
  await provision(
    prefix,
    TOPICS.filter((x) => x.name.startsWith('outbound.') || x.name === 'ops.events'),
  );
  const server = createServer((req, res) => {
    const id = req.headers['webhook-id'] as string;
    req.resume();
    req.on('end', () => {
      const k = `${id}|${req.url}`;
      if (!arrived.has(k)) arrived.set(k, now());
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const receiver = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const adminPort = await freePort();
  const base = `http://127.0.0.1:${adminPort}`;
  const common = { REDIS_KEY_PREFIX: redisPrefix, LOG_LEVEL: 'warn' };
  const admin = spawnService(
    'admin',
    serviceEnv(prefix, {
      ...common,
      HTTP_PORT: String(adminPort),
      ADMIN_API_KEYS: `${KEY}:*`,
      ADMIN_ALLOW_HTTP: 'true',
      ADMIN_PUBLISH_OPEN_CATALOGUE: 'true',
    }),
  );
  const dispatcher = spawnService(
    'dispatcher',
    serviceEnv(prefix, {
      ...common,
      HTTP_PORT: '0',
      DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32',
      DISPATCHER_COMMIT_INTERVAL_MS: '500',
    }),
  );
  const children = [admin, dispatcher];
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('admin not ready within 120 s');
    await sleep(250);
  }

  process.stderr.write(`bench: ${TENANTS} tenants × 2 endpoints\n`);
  const tenants: string[] = [];
  const paths = new Map<string, string[]>();
  for (let i = 0; i < TENANTS; i++) {
    const id = `bench-${i}`;
    const t = await call('POST', '/v1/tenants', { id });
    if (t.status !== 201) throw new Error(`tenant ${id}: ${t.status} ${JSON.stringify(t.body)}`);
    tenants.push(id);
    const list: string[] = [];
    for (const e of ['a', 'b']) {
      const path = `/${id}/${e}`;
      const r = await call('POST', `/v1/tenants/${id}/endpoints`, {
        url: `${receiver}${path}`,
        eventTypes: ['order.*'],
      });
      if (r.status !== 201) throw new Error(`endpoint ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      list.push(path);
    }
    paths.set(id, list);
  }

  let n = 0;
  const statuses = new Map<number, number>();
  const refused: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
  interface Sent {
    readonly tenant: string;
    readonly start: number;
    accepted?: number;
    messageId?: string;
  }
  const publishOne = async (): Promise<Sent> => {
    const i = n++;
    const tenant = tenants[i % tenants.length]!;
    const s: Sent = { tenant, start: now() };
    // A connection error counts as status 0 (the admin refused or reset it under load).
    const r = await call(
      'POST',
      `/v1/tenants/${tenant}/messages`,
      {
        eventType: 'order.updated',
        resourceId: `ord_${i % 1000}`,
        payload: {
          id: `ord_${i % 1000}`,
          status: 'paid',
          amount: 1000 + i,
          currency: 'EUR',
          lines: [{ sku: 'A', q: 1 }],
        },
      },
      { 'idempotency-key': `${prefix}${i}` },
    ).catch(() => refused);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status === 202) {
      s.accepted = now();
      s.messageId = r.body.messageId as string;
    }
    return s;
  };
  const deliveredAll = (s: Sent) => paths.get(s.tenant)!.every((p) => arrived.has(`${s.messageId}|${p}`));
  const waitDelivered = async (sent: Sent[], ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until && sent.some((s) => s.messageId && !deliveredAll(s))) await sleep(50);
  };

  // Warm-up: connections, group join, JIT.
  const warm = await Promise.all(Array.from({ length: 300 }, publishOne));
  await waitDelivered(warm, 60_000);
  if (!warm.every(deliveredAll)) throw new Error('the warm-up was not delivered');

  // 1. Fixed rate, open loop (a tick every 10 ms).
  process.stderr.write(`bench: ${RATE}/s for ${SECONDS} s\n`);
  const cpu0 = children.map((c) => cpuSeconds(c.pid!));
  const tick = 10;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  const started = now();
  const pending: Promise<Sent>[] = [];
  for (let k = 0; k < (SECONDS * 1000) / tick; k++) {
    for (let j = 0; j < perTick; j++) pending.push(publishOne());
    await sleep(Math.max(0, started + (k + 1) * tick - now()));
  }
  const sent = await Promise.all(pending);
  await waitDelivered(sent, 60_000);
  const cpu1 = children.map((c) => cpuSeconds(c.pid!));
  const ok = sent.filter((s) => s.messageId);
  const fromStart: number[] = [];
  const fromAccept: number[] = [];
  let deliveries = 0;
  let lastArrival = 0;
  for (const s of ok)
    for (const p of paths.get(s.tenant)!) {
      const at = arrived.get(`${s.messageId}|${p}`);
      if (at === undefined) continue;
      deliveries++;
      lastArrival = Math.max(lastArrival, at);
      fromStart.push(at - s.start);
      fromAccept.push(Math.max(0, at - s.accepted!));
    }
  const accept = ok.map((s) => s.accepted! - s.start);
  const published = ok.length / ((Math.max(...ok.map((s) => s.accepted!)) - started) / 1000);
  const delivered = deliveries / ((lastArrival - started) / 1000);
  const cpuAdmin = cpu1[0]! - cpu0[0]!;
  const cpuDispatcher = cpu1[1]! - cpu0[1]!;
  const per1000 = (c: number) => (c / ok.length) * 1000;

  // 2. Saturation: closed loop.
  process.stderr.write(`bench: saturation, ${PUBLISHERS} publishers for ${SAT_SECONDS} s\n`);
  const satStart = now();
  let satOk = 0;
  let satFailed = 0;
  await Promise.all(
    Array.from({ length: PUBLISHERS }, async () => {
      while (now() - satStart < SAT_SECONDS * 1000) {
        const s = await publishOne();
        if (s.messageId) satOk++;
        else satFailed++;
      }
    }),
  );
  const saturation = satOk / ((now() - satStart) / 1000);
  for (const c of children) c.kill('SIGTERM');

  // 3. Baseline: the same bodies posted straight to the same two receivers per message.
  const body = (i: number) =>
    JSON.stringify({
      id: `b_${i}`,
      type: 'order.updated',
      timestamp: new Date().toISOString(),
      data: { id: `ord_${i}` },
    });
  let baseErrors = 0;
  /** false when the POST failed (connection refused or timed out on a loaded box): counted, not timed. */
  const post = async (id: string, path: string, b: string): Promise<boolean> => {
    try {
      const res = await fetch(`${receiver}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id },
        body: b,
      });
      await res.arrayBuffer();
      return true;
    } catch {
      baseErrors++;
      return false;
    }
  };
  const baseLat: number[] = [];
  const bStart = now();
  const bSends: Promise<void>[] = [];
  for (let k = 0; k < (Math.min(SECONDS, 5) * 1000) / tick; k++) {
    for (let j = 0; j < perTick; j++) {
      const i = n++;
      const tenant = tenants[i % tenants.length]!;
      const s = now();
      for (const p of paths.get(tenant)!)
        bSends.push(
          post(`b_${i}`, p, body(i)).then((ok) => void (ok && baseLat.push(arrived.get(`b_${i}|${p}`)! - s))),
        );
    }
    await sleep(Math.max(0, bStart + (k + 1) * tick - now()));
  }
  await Promise.all(bSends);
  const flatStart = now();
  let flat = 0;
  await Promise.all(
    Array.from({ length: PUBLISHERS }, async () => {
      while (now() - flatStart < 3000) {
        const i = n++;
        await post(`f_${i}`, paths.get(tenants[i % tenants.length]!)![0]!, body(i));
        flat++;
      }
    }),
  );
  const baseFlat = flat / ((now() - flatStart) / 1000);

  const row = (name: string, rate: number, lat: number[]) =>
    `${name.padEnd(40)} ${fmt(rate).padStart(9)} ${fmt(pct(lat, 50)).padStart(8)} ${fmt(pct(lat, 95)).padStart(8)} ${fmt(pct(lat, 99)).padStart(8)}`;
  const load = loadavg().map((x) => x.toFixed(2));
  console.log(
    `\nhookline publish benchmark — ${RATE}/s for ${SECONDS} s, ${TENANTS} tenants × 2 endpoints, ${sent.length} published (${ok.length} accepted, ${deliveries}/${ok.length * 2} deliveries), ${cpus().length} cores, load ${load.join(' ')}`,
  );
  console.log(
    `${'run'.padEnd(40)} ${'rate/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
  );
  console.log(row('publish → delivery, from request start', delivered, fromStart));
  console.log(row('publish → delivery, from the 202', delivered, fromAccept));
  console.log(row('publish request → 202', published, accept));
  console.log(row('baseline fetch loop, same rate (2/msg)', baseLat.length / ((now() - bStart) / 1000), baseLat));
  console.log(`${'publish saturation (202/s)'.padEnd(40)} ${fmt(saturation).padStart(9)}  (${satFailed} not 202)`);
  console.log(`${'baseline fetch flat out (req/s)'.padEnd(40)} ${fmt(baseFlat).padStart(9)}  (${baseErrors} failed)`);
  console.log(
    `CPU s per 1,000 messages: admin ${per1000(cpuAdmin).toFixed(2)}, dispatcher ${per1000(cpuDispatcher).toFixed(2)}, together ${per1000(cpuAdmin + cpuDispatcher).toFixed(2)}`,
  );
  const goal = pct(fromStart, 95) <= 30 && deliveries >= ok.length * 2 * 0.99 && ok.length >= sent.length * 0.99;
  console.log(`publish answers: ${[...statuses].map(([s, k]) => `${s}×${k}`).join(', ')}`);
  console.log(`goal p95 ≤ 30 ms at ${RATE}/s: ${goal ? 'met' : 'NOT met'}`);

  const result = {
    at: new Date().toISOString(),
    config: { rate: RATE, seconds: SECONDS, tenants: TENANTS, endpointsPerTenant: 2, publishers: PUBLISHERS },
    machine: { cores: cpus().length, loadavg: load },
    published: {
      sent: sent.length,
      accepted: ok.length,
      ratePerSecond: published,
      p50: pct(accept, 50),
      p95: pct(accept, 95),
      p99: pct(accept, 99),
    },
    delivery: {
      deliveries,
      ratePerSecond: delivered,
      fromRequestStart: { p50: pct(fromStart, 50), p95: pct(fromStart, 95), p99: pct(fromStart, 99) },
      from202: { p50: pct(fromAccept, 50), p95: pct(fromAccept, 95), p99: pct(fromAccept, 99) },
    },
    saturation: { publishPerSecond: saturation, notAccepted: satFailed },
    cpuSecondsPer1000: { admin: per1000(cpuAdmin), dispatcher: per1000(cpuDispatcher) },
    baseline: {
      errors: baseErrors,
      p50: pct(baseLat, 50),
      p95: pct(baseLat, 95),
      p99: pct(baseLat, 99),
      flatOutPerSecond: baseFlat,
    },
    statuses: Object.fromEntries(statuses),
    goalP95Le30ms: goal,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`results: ${OUT}`);

  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())),
  );
  server.closeAllConnections();
  server.close();
  await clearKeys(redisPrefix);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
