/**
 * Runs every hookline service as its own process (they talk only through Kafka), waits until each
 * answers /readyz, then runs the demo (scripts/demo.ts) unless --no-demo. Logs go to
 * .stack/logs/<service>.log. SIGINT/SIGTERM → SIGTERM to every service (clean shutdown), then exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const logDir = `${process.env.HOOKLINE_STACK_DIR ?? `${root}.stack`}/logs`;
mkdirSync(logDir, { recursive: true });

/** Fixed local ports; the demo and the README use them. */
export const PORTS = {
  ingress: 8080,
  admin: 8090,
  validator: 9101,
  sequencer: 9102,
  processors: 9103,
  dispatcher: 9104,
} as const;
export const DEMO_ADMIN_KEY = 'demo-admin-key-local-only';

const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  SOURCES_FILE: process.env.SOURCES_FILE ?? `${root}deploy/local/sources.example.json`,
  // Sources live in Redis, managed through the admin API (which seeds them from SOURCES_FILE once).
  SOURCES_STORE: process.env.SOURCES_STORE ?? 'redis',
  ADMIN_API_KEYS: process.env.ADMIN_API_KEYS ?? `${DEMO_ADMIN_KEY}:*`,
  ADMIN_ALLOW_HTTP: process.env.ADMIN_ALLOW_HTTP ?? 'true',
  DISPATCHER_ALLOWED_NETWORKS: process.env.DISPATCHER_ALLOWED_NETWORKS ?? '127.0.0.1/32,::1/128',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};

// The console's overview: from the stack's Prometheus when it answers (it scrapes PORTS), else the
// admin samples the services' /metrics itself (services/admin/overview).
const prometheus = `http://127.0.0.1:${process.env.PROMETHEUS_PORT ?? '9090'}`;
const prometheusUp = await fetch(`${prometheus}/-/ready`, { signal: AbortSignal.timeout(2000) }).then(
  (r) => r.ok,
  () => false,
);
if (prometheusUp) env.ADMIN_PROMETHEUS_URL ??= prometheus;
env.ADMIN_METRICS_TARGETS ??= Object.entries(PORTS)
  .map(([n, port]) => `${n}=http://127.0.0.1:${port}/metrics`)
  .join(',');

const children = new Map<string, ChildProcess>();
let stopping = false;

function start(name: keyof typeof PORTS): void {
  const main = `${root}services/${name}/main.ts`;
  if (!existsSync(main)) {
    process.stdout.write(`  ${name.padEnd(11)} not built yet (no services/${name}/main.ts)\n`);
    return;
  }
  const log = createWriteStream(`${logDir}/${name}.log`, { flags: 'a' });
  const child = spawn(process.execPath, [main], {
    env: { ...env, HTTP_PORT: String(PORTS[name]) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) process.stdout.write(`!! ${name} exited (${signal ?? code}); see ${logDir}/${name}.log\n`);
  });
  children.set(name, child);
}

async function ready(name: keyof typeof PORTS, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && children.has(name)) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORTS[name]}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return true;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  return false;
}

async function stopAll(): Promise<void> {
  stopping = true;
  const exits = [...children.values()].map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of children.values()) c.kill('SIGTERM');
  await Promise.race([Promise.all(exits), sleep(35_000)]);
  for (const c of children.values()) c.kill('SIGKILL');
}

process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));

const names = Object.keys(PORTS) as (keyof typeof PORTS)[];
process.stdout.write('starting services:\n');
for (const n of names) start(n);
for (const n of names) {
  if (!children.has(n)) continue;
  const ok = await ready(n);
  process.stdout.write(
    `  ${n.padEnd(11)} ${ok ? 'ready' : 'NOT READY'}  http://127.0.0.1:${PORTS[n]}  (log: ${logDir}/${n}.log)\n`,
  );
}

if (!process.argv.includes('--no-demo')) {
  const demo = spawn(process.execPath, [`${root}scripts/demo.ts`], { env, stdio: 'inherit' });
  const code = await new Promise<number | null>((r) => demo.once('exit', r));
  if (code !== 0) process.stdout.write(`!! demo exited with ${code}\n`);
}
if (process.argv.includes('--exit-after-demo')) {
  await stopAll();
  process.exit(0);
}
process.stdout.write(
  '\nhookline is running. Ctrl-C stops the services; `npm run stack:down` stops Kafka, the registry and Redis.\n',
);
