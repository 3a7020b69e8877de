/**
 * An endpoint's rate limit holds across dispatcher instances: two dispatchers in one consumer
 * group (each owning some partitions) deliver 40 messages of 40 resources to an endpoint limited
 * to 4/s. The shared token bucket (Redis) lets at most burst + rate = 8 through in any second; two
 * per-instance buckets would let through up to 16 in the first second and finish in about half
 * the time. Bounds only (a slower machine only spreads deliveries further).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningService } from '../../services/common/service.ts';
import { eventually, uniquePrefix } from '../helpers/env.ts';
import { event, kit, receiver, startInProcess, type Kit, type Receiver } from './helpers.ts';

const RATE = 4;
const N = 40;

describe('dispatcher rate limit across instances', () => {
  let k: Kit;
  const instances: RunningService[] = [];
  let r: Receiver;

  before(async () => {
    k = await kit(uniquePrefix('dsp-ratelimit'));
    for (const id of ['a', 'b'])
      instances.push(
        await startInProcess(k, { INSTANCE_ID: `rl-${id}-${process.pid}`, DISPATCHER_MAX_RATE_WAIT_MS: '300' }),
      );
    for (const svc of instances) {
      await eventually(
        async () => ((await fetch(`http://127.0.0.1:${svc.port}/readyz`)).ok ? true : undefined),
        60_000,
        'dispatcher ready',
      );
    }
    await new Promise((res) => setTimeout(res, 2000)); // the group settles with both members
  });
  after(async () => {
    await Promise.all(instances.map((s) => s.stop()));
    await r?.close();
    await k?.close();
  });

  it(`two instances together stay within the endpoint's ${RATE}/s`, async () => {
    r = await receiver(() => ({ status: 200 }));
    await k.store.create({
      url: r.url,
      description: 'limited',
      eventTypes: ['limited.*'],
      headers: {},
      rateLimitPerSecond: RATE,
    });
    await new Promise((res) => setTimeout(res, 300));
    await k.send(Array.from({ length: N }, (_, i) => event(`rl-${i}`, 1, { eventType: 'limited.test' })));
    await eventually(() => (new Set(r.got.map((g) => g.id)).size >= N ? true : undefined), 90_000, 'all delivered');

    const at = r.got.map((g) => g.at).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i]! - at[j]! >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    const span = at[at.length - 1]! - at[0]!;
    console.log(
      `rate limit ${RATE}/s, 2 instances: ${at.length} deliveries over ${span} ms, busiest second ${busiest}`,
    );
    // burst + rate = 8; 2 more for arrival jitter (an admission's request can arrive late).
    assert.ok(busiest <= 2 * RATE + 2, `at most ${2 * RATE + 2} in any second, got ${busiest}`);
    // (N - burst) / rate = 9 s at the shared limit; per-instance buckets would take ~4 s.
    assert.ok(span >= 7000, `spread over at least 7 s, got ${span} ms`);
  });
});
