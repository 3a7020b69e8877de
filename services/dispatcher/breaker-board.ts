/**
 * Publishes this instance's circuit breaker transitions to Redis, so the admin can show an
 * endpoint's breaker (the key and its record: common/contracts/breaker-state.ts; the dispatcher
 * owns it). Off the delivery path and best-effort: a write that fails is logged (throttled) and
 * dropped, because the breaker itself stays in memory and is what decides; the view then lags
 * until the next transition or the record's expiry.
 */
import { breakerKey, HALF_OPEN_VISIBLE_MS, type BreakerRecord } from '../common/contracts/index.ts';
import { messageOf } from '../common/errors.ts';
import { throttled, type Logger } from '../common/logger.ts';
import type { Redis } from '../common/redis.ts';

export interface BreakerBoard {
  opened(endpointId: string, since: number, until: number): void;
  closed(endpointId: string): void;
  /** Clean shutdown: this instance's records go (its breakers go with the process). */
  stop(): Promise<void>;
}

export function createBreakerBoard(o: {
  redis: Redis;
  prefix: string;
  instance: string;
  logger: Logger;
}): BreakerBoard {
  const open = new Set<string>();
  const warn = throttled(10_000);
  const failed = (err: unknown) => {
    if (warn()) o.logger.warn({ err: messageOf(err) }, 'breaker state not written to redis (the admin view lags)');
  };
  return {
    opened(endpointId, since, until) {
      const key = breakerKey(o.prefix, endpointId);
      const record: BreakerRecord = { since, until, expiresAt: until + HALF_OPEN_VISIBLE_MS };
      open.add(endpointId);
      o.redis
        .multi()
        .hset(key, o.instance, JSON.stringify(record))
        .pexpire(key, record.expiresAt - Date.now(), 'GT')
        // A fresh key has no TTL, and GT never sets one on a key without TTL: set it then.
        .pexpire(key, record.expiresAt - Date.now(), 'NX')
        .exec()
        .catch(failed);
    },
    closed(endpointId) {
      if (!open.delete(endpointId)) return;
      o.redis.hdel(breakerKey(o.prefix, endpointId), o.instance).catch(failed);
    },
    async stop() {
      if (open.size === 0) return;
      const m = o.redis.multi();
      for (const id of open) m.hdel(breakerKey(o.prefix, id), o.instance);
      open.clear();
      await m.exec().catch(failed);
    },
  };
}
