/**
 * Fixes the cause of kafkajs's TimeoutNegativeWarning (kafkajs #1751, unreleased upstream): its
 * request queue schedules a pending-request check at `throttledUntil - Date.now()`, and
 * throttledUntil starts at -1, so with nothing pending the delay is about minus the epoch. Node
 * clamps it to 1 ms and prints the warning in the middle of `npm start`. The replacement below is
 * the same method with the delay clamped at 0 (Node runs 0 as 1 ms too: timing is unchanged).
 * Side effect on import (client.ts), like read-committed.ts.
 */
import { createRequire } from 'node:module';

interface RequestQueue {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own retry interval when requests are pending (src/network/requestQueue). */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;
const PATCHED = Symbol.for('hookline.kafkajs.timeoutFix');

export function scheduleCheckPendingRequests(this: RequestQueue): void {
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.throttleCheckTimeoutId) return;
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    Math.max(0, scheduleAt),
  );
}

/** Idempotent: replaces kafkajs RequestQueue.prototype.scheduleCheckPendingRequests once per process. */
export function installTimeoutFix(): void {
  const require = createRequire(import.meta.url);
  const RQ = require('kafkajs/src/network/requestQueue') as {
    prototype: RequestQueue & { [PATCHED]?: true };
  };
  if (RQ.prototype[PATCHED]) return;
  RQ.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  RQ.prototype[PATCHED] = true;
}

installTimeoutFix();
