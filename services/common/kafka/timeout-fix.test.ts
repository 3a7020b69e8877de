import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import './timeout-fix.ts';

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (o: Record<string, unknown>) => Queue;
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const newQueue = () =>
  new RequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'test:9092',
    logger,
    isConnected: () => true,
  });

describe('kafkajs request queue scheduling (TimeoutNegativeWarning fix)', () => {
  it('an unthrottled, empty queue schedules its check without a negative timeout warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const q = newQueue();
      let checks = 0;
      q.checkPendingRequests = () => void checks++;
      assert.equal(q.throttledUntil, -1);
      q.scheduleCheckPendingRequests();
      await sleep(30);
      assert.equal(checks, 1, 'the check still runs (at once)');
      assert.equal(q.throttleCheckTimeoutId, null);
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a throttled queue still waits until the throttle ends', async () => {
    const q = newQueue();
    let checks = 0;
    q.checkPendingRequests = () => void checks++;
    q.pending.push({});
    q.throttledUntil = Date.now() + 80;
    q.scheduleCheckPendingRequests();
    await sleep(30);
    assert.equal(checks, 0);
    await sleep(120);
    assert.equal(checks, 1);
  });
});
