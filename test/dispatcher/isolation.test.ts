/**
 * Isolation: an endpoint that hangs until the timeout does not slow another endpoint. The same
 * fixed-rate stream is sent twice — to a fast endpoint alone, then to the fast endpoint and a
 * hanging one — and the fast endpoint's delivered rate (and latency) are compared. Bounded: ~9 s
 * of traffic per phase, 1 s request timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import type { RunningService } from '../../services/common/service.ts';
import type { OutboundEvent } from '../../services/common/contracts/index.ts';
import { event, kit, receiver, startInProcess, type Kit, type Receiver } from './helpers.ts';

const RATE = 150;
const SECONDS = 8; // long enough that one late tail delivery (a GC pause, a slow fetch) moves the rate by < 10%
const RESOURCES = 60;

let k: Kit;
let svc: RunningService;
const receivers: Receiver[] = [];

async function phase(type: string, fast: Receiver): Promise<{ rate: number; p95: number }> {
  const sent = new Map<string, number>();
  const startAt = Date.now();
  const total = RATE * SECONDS;
  for (let i = 0; i < total; i += RATE / 10) {
    const batch: OutboundEvent[] = [];
    for (let j = i; j < i + RATE / 10; j++)
      batch.push(event(`${type}-${j % RESOURCES}`, Math.floor(j / RESOURCES), { eventType: type }));
    const at = Date.now();
    await k.send(batch);
    for (const e of batch) sent.set(e.messageId, at);
    const next = startAt + ((i + RATE / 10) / RATE) * 1000;
    await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
  }
  const mine = () => fast.got.filter((g) => sent.has(g.id));
  await eventually(
    () => (new Set(mine().map((g) => g.id)).size >= total ? true : undefined),
    30_000,
    `${type}: all delivered to the fast endpoint`,
  );
  const got = mine();
  const last = Math.max(...got.map((g) => g.at));
  const lat = got.map((g) => g.at - sent.get(g.id)!).sort((a, b) => a - b);
  return { rate: total / ((last - startAt) / 1000), p95: lat[Math.floor(lat.length * 0.95)]! };
}

describe('dispatcher isolation', () => {
  before(async () => {
    k = await kit(uniquePrefix('dsp-isolation'));
    svc = await startInProcess(k, { DISPATCHER_TIMEOUT_MS: '1000', DISPATCHER_RETRY_SCHEDULE: '0,5s,5s' });
  });
  after(async () => {
    await svc?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await k?.close();
  });

  it("a hanging endpoint leaves the fast endpoint's throughput within 10%", async () => {
    const fast = await receiver(() => ({ status: 200 }));
    const hang = await receiver(() => 'hang');
    receivers.push(fast, hang);
    await k.store.create({
      url: fast.url,
      description: 'fast',
      eventTypes: ['alone.*', 'together.*'],
      headers: {},
      rateLimitPerSecond: null,
    });
    await new Promise((res) => setTimeout(res, 300));
    const alone = await phase('alone.test', fast);
    await k.store.create({
      url: hang.url,
      description: 'hangs',
      eventTypes: ['together.*'],
      headers: {},
      rateLimitPerSecond: null,
    });
    await new Promise((res) => setTimeout(res, 300));
    const together = await phase('together.test', fast);
    console.log(
      `isolation: fast alone ${alone.rate.toFixed(1)}/s p95 ${alone.p95} ms; with a hanging endpoint ${together.rate.toFixed(1)}/s p95 ${together.p95} ms`,
    );
    assert.ok(
      together.rate >= alone.rate * 0.9,
      `throughput ${together.rate.toFixed(1)}/s vs ${alone.rate.toFixed(1)}/s alone`,
    );
  });
});
