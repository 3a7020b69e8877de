/**
 * ioredis with fail-fast settings: no offline queue and one retry per command, so a Redis outage
 * surfaces as an error the caller turns into 503/retry, never as a silently queued write.
 */
import { Redis } from 'ioredis';
import type { RedisSecurity } from './connections/index.ts';
import { TransientError } from './errors.ts';

export type { Redis };

/** `security` (TLS, ACL user, Sentinel) from connections/redis.ts is merged over what the URL says. */
export function createRedis(url: string, security: RedisSecurity = {}): Redis {
  return new Redis(url, {
    ...security,
    lazyConnect: true,
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
