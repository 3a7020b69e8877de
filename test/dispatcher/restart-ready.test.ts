/**
 * The restart bug (issue 13): a dispatcher restarted after a SIGKILL, with a 10 s session timeout,
 * onto a backlog while the schema registry is slow (starved of CPU on a loaded machine; the new
 * process's schema cache is empty, so its first records wait for it). Before the fix the intake
 * sent no heartbeat while its handler waited, the session expired, and the next heartbeat's
 * UNKNOWN_MEMBER_ID was taken for a chunk failure and retried in place: kafkajs never re-joined,
 * every heartbeat and offset commit was refused from then on, and the member stayed out of the
 * group for good. Now the consumer heartbeats while a handler runs, and a membership error leaves
 * the batch so kafkajs re-joins. Asserted: never expired, everything delivered, offsets committed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { eventually, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';
import { freePort } from '../helpers/services.ts';
import { dispatcherEnv, event, kit, receiver, type Kit, type Receiver } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../services/dispatcher/main.ts', import.meta.url));
const RESOURCES = 200;
const SESSION_MS = 10_000;
/** Old member's session (10 s) + join + a generous margin for the loaded 2-core box. */
const READY_WITHIN_MS = 60_000;
/** For this long after the restart the registry answers schema lookups after 12 s. */
const SLOW_REGISTRY_MS = 30_000;

let k: Kit;
let r: Receiver;
const children: ChildProcess[] = [];

function start(port: number, registryUrl?: string): { child: ChildProcess; output: string[] } {
  const env = dispatcherEnv(k, {
    ...(registryUrl ? { SCHEMA_REGISTRY_URL: registryUrl } : {}),
    HTTP_PORT: String(port),
    DISPATCHER_SESSION_TIMEOUT_MS: String(SESSION_MS),
    DISPATCHER_COMMIT_INTERVAL_MS: '1000',
  });
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
  children.push(child);
  return { child, output };
}

/**
 * The shared registry behind a proxy that holds schema-by-id lookups for 12 s until `slowUntil`:
 * a registry starved of CPU on a loaded machine, as the restarted dispatcher met it (its schema
 * cache is empty, so its first records wait for the registry). Other requests pass at once.
 */
async function slowRegistry(): Promise<{ url: string; slowUntil: number; close(): Promise<void> }> {
  const upstream = new URL(stackConfig.SCHEMA_REGISTRY_URL);
  const state: { url: string; slowUntil: number; close(): Promise<void> } = {
    url: '',
    slowUntil: 0,
    close: () => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    const forward = () => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (req.url?.includes('/schemas/ids/') && Date.now() < state.slowUntil) {
      setTimeout(forward, 12_000);
    } else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

let lastAnswer = '';
async function ready(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    lastAnswer = `${res.status} ${await res.text()}`;
    return res.ok;
  } catch (err) {
    lastAnswer = String(err);
    return false;
  }
}

const batch = (from: number, to: number) => {
  const out = [];
  for (let seq = from; seq < to; seq++) for (let res = 0; res < RESOURCES; res++) out.push(event(`r${res}`, seq));
  return out;
};

describe('dispatcher restarted onto a backlog with a 10 s session timeout', () => {
  before(async () => {
    k = await kit(uniquePrefix('dsp-ready'));
    // A little latency per request keeps deliveries in flight, as a real endpoint would.
    r = await receiver(() => ({ status: 200, delayMs: 5 }));
    const ep = await k.store.create({
      url: r.url,
      description: 'restart readiness test',
      eventTypes: [],
      headers: {},
      rateLimitPerSecond: null,
    });
    r.secrets = [ep.secrets[0]!.key];
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await r?.close();
    await k?.close();
  });

  it('becomes ready, keeps its membership and delivers everything', { timeout: 400_000 }, async () => {
    const portA = await freePort();
    const a = start(portA);
    await eventually(async () => ((await ready(portA)) ? true : undefined), 90_000, 'first dispatcher ready');
    const first = batch(0, 5);
    for (let i = 0; i < first.length; i += 500) await k.send(first.slice(i, i + 500));
    await eventually(() => (r.got.length >= 200 ? true : undefined), 90_000, 'deliveries under way');
    a.child.kill('SIGKILL');
    await new Promise((res) => a.child.once('exit', res));

    // The backlog the restarted member finds: 40 records per resource, 8,000 in all.
    const backlog = batch(5, 40);
    for (let i = 0; i < backlog.length; i += 500) await k.send(backlog.slice(i, i + 500));

    const portB = await freePort();
    const registry = await slowRegistry();
    const t0 = Date.now();
    registry.slowUntil = t0 + SLOW_REGISTRY_MS;
    const b = start(portB, registry.url);
    let readyMs: number | undefined;
    while (readyMs === undefined && Date.now() - t0 < READY_WITHIN_MS + 30_000) {
      if (await ready(portB)) readyMs = Date.now() - t0;
      else await sleep(250);
    }
    const ids = new Set([...first, ...backlog].map((e) => e.messageId));
    await eventually(
      () => (new Set(r.got.map((g) => g.id)).size >= ids.size ? true : undefined),
      240_000,
      'every message delivered',
    ).catch(() => undefined);
    await registry.close();
    // A member that is still in its group commits its progress: committed offsets reach the end.
    const admin = testKafka('dsp-ready-admin').admin();
    await admin.connect();
    const topic = k.t('outbound.events');
    const end = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.offset]));
    const behind = async () => {
      const [got] = await admin.fetchOffsets({ groupId: `hookline-test.${k.prefix}dispatcher`, topics: [topic] });
      return got!.partitions.filter((p) => p.offset !== end.get(p.partition)).length;
    };
    const partitionsBehind = await eventually(
      async () => ((await behind()) === 0 ? 0 : undefined),
      60_000,
      'offsets committed',
    ).catch(behind);
    await admin.disconnect();
    const seen = new Set(r.got.map((g) => g.id));
    const missing = [...ids].filter((id) => !seen.has(id)).length;
    const log = b.output.join('');
    const expired = (log.match(/not aware of this member/g) ?? []).length;
    console.log(
      `restart: ready after ${readyMs ?? 'never'} ms; membership lost ${expired} times; ` +
        `${ids.size} messages, ${r.got.length} deliveries, ${missing} missing; ` +
        `${partitionsBehind} partitions with uncommitted progress; last readyz ${lastAnswer}`,
    );
    assert.ok(readyMs !== undefined && readyMs <= READY_WITHIN_MS, `ready within ${READY_WITHIN_MS} ms: ${readyMs}`);
    assert.equal(expired, 0, 'the restarted member was never expired by the coordinator');
    assert.equal(missing, 0, 'every message delivered');
    assert.equal(partitionsBehind, 0, 'the group committed every partition to its end');
  });
});
