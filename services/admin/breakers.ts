/**
 * The dispatchers' circuit breaker states, read for the endpoint API and console: one HVALS per
 * endpoint (pipelined), combined by common/contracts/breaker-state.ts (open if any instance has it
 * open). The dispatcher owns the key; the admin only reads it.
 */
import { breakerKey, CLOSED, combineBreakers, type BreakerView } from '../common/contracts/index.ts';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';

export type BreakerReader = (endpointIds: readonly string[]) => Promise<Map<string, BreakerView>>;

export function breakerReader(redis: Redis, prefix: string, now: () => number = Date.now): BreakerReader {
  return async function readBreakers(ids) {
    const out = new Map<string, BreakerView>();
    if (ids.length === 0) return out;
    const res = await redisCall(() => ids.reduce((m, id) => m.hvals(breakerKey(prefix, id)), redis.multi()).exec());
    const t = now();
    ids.forEach((id, i) => {
      const [err, values] = res?.[i] ?? [null, []];
      out.set(id, err || !Array.isArray(values) ? CLOSED : combineBreakers(values as string[], t));
    });
    return out;
  };
}
