/**
 * SIGKILL the dispatcher process mid-stream and start it again: every message is delivered at
 * least once and each resource arrives in order (repeats of already-delivered messages allowed,
 * nothing overtaken). The endpoint fails some requests so lanes are parked in Redis at the kill.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import {
  dispatcherEnv,
  event,
  inOrderPerResource,
  isOrdered,
  kit,
  receiver,
  type Kit,
  type Receiver,
} from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../services/dispatcher/main.ts', import.meta.url));
const RESOURCES = 40;
const PER_RESOURCE = 25;

let k: Kit;
let r: Receiver;
let child: ChildProcess | undefined;

function start(): ChildProcess {
  const env = dispatcherEnv(k, {
    DISPATCHER_RETRY_SCHEDULE: '0,100ms,200ms,300ms,400ms,500ms,1s,1s,1s,1s',
    DISPATCHER_BREAKER_FAILURES: '1000',
    DISPATCHER_SWEEP_MS: '1000',
    DISPATCHER_SESSION_TIMEOUT_MS: '8000',
  });
  const c = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return c;
}

describe('dispatcher killed with SIGKILL mid-stream', () => {
  before(async () => {
    k = await kit(uniquePrefix('dsp-kill'));
    // Every 9th request fails: retries (and parked lanes) are in progress at any moment.
    r = await receiver((_req, _body, n) => (n % 9 === 4 ? { status: 503 } : { status: 200 }));
    const ep = await k.store.create({
      url: r.url,
      description: 'kill test',
      eventTypes: [],
      headers: {},
      rateLimitPerSecond: null,
    });
    r.secrets = [ep.secrets[0]!.key];
  });
  after(async () => {
    child?.kill('SIGKILL');
    await r?.close();
    await k?.close();
  });

  it('delivers every message at least once, each resource in order', async () => {
    child = start();
    const all = [];
    for (let seq = 0; seq < PER_RESOURCE; seq++)
      for (let res = 0; res < RESOURCES; res++) all.push(event(`r${res}`, seq));
    const producing = (async () => {
      for (let i = 0; i < all.length; i += 50) {
        await k.send(all.slice(i, i + 50));
        await new Promise((res) => setTimeout(res, 60));
      }
    })();
    await eventually(() => (r.got.length >= 250 ? true : undefined), 60_000, 'stream under way');
    const before = r.got.length;
    child.kill('SIGKILL');
    await new Promise((res) => child!.once('exit', res));
    child = start();
    await producing;
    const ids = new Set(all.map((e) => e.messageId));
    await eventually(
      () => (new Set(r.got.map((g) => g.id)).size >= ids.size ? true : undefined),
      90_000,
      'every message delivered',
    );
    assert.ok(before < all.length, 'the kill happened mid-stream');
    const seen = new Set(r.got.map((g) => g.id));
    assert.deepEqual(
      [...ids].filter((id) => !seen.has(id)),
      [],
    );
    for (const [res, seqs] of inOrderPerResource(r.got))
      assert.ok(isOrdered(seqs), `${res} in order: ${seqs.join(',')}`);
    for (const g of r.got) assert.deepEqual(g.verifiedBy, [0]);
    const dupes = r.got.length - seen.size;
    console.log(
      `kill test: ${all.length} messages, ${r.got.length} deliveries (${dupes} repeats), ${before} before the kill`,
    );
  });
});
