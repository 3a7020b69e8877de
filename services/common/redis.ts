/**
 * ioredis with fail-fast settings: no offline queue and one retry per command, so a Redis outage
 * surfaces as an error the caller turns into 503/retry, never as a silently queued write.
 *
 * `autoPipelining`: commands issued in the same event-loop turn leave in one socket write (ioredis
 * defers them to setImmediate). On a small VM each write is a costly syscall, so a busy HTTP service
 * (the admin's publish path: ~4 commands per request) spends far less per request. Order on the
 * connection is kept for commands issued one after the other, but a command NOT awaited before a
 * MULTI/pipeline is sent after it: enable it only where no code relies on fire-and-forget order.
 */
import { Redis } from 'ioredis';
import type { RedisSecurity } from './connections/index.ts';
import { TransientError } from './errors.ts';

export type { Redis };

/** `security` (TLS, ACL user, Sentinel) from connections/redis.ts is merged over what the URL says. */
export function createRedis(url: string, security: RedisSecurity = {}, o: { autoPipelining?: boolean } = {}): Redis {
  return new Redis(url, {
    ...security,
    lazyConnect: true,
    enableAutoPipelining: o.autoPipelining ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(2000, 50 * 2 ** Math.min(times, 6)),
  });
}

/** Wraps Redis failures as TransientError (Redis down = retry, never drop). */
export async function redisCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new TransientError('redis unavailable', 'redis_unavailable', err);
  }
}
