/**
 * Durable home of lanes that wait (a retry scheduled, or the endpoint deferred by its circuit
 * breaker or rate limit): Redis, per outbound.events partition, so the instance that owns the
 * partition owns its parked lanes and reloads them when the partition is assigned to it.
 *
 *   {p}dsp:lane:{topic}:{partition}:{laneId}  list  the lane's waiting jobs, head first (JSON)
 *   {p}dsp:due:{topic}:{partition}            zset  laneId → when its head is due (epoch ms)
 *
 * Ownership: the dispatcher only. A lane is in the zset iff its list is non-empty (kept together
 * by MULTI and the pop script), so a restart finds every waiting job and the time it is due.
 */
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { Job } from './types.ts';

const POP_HEAD = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head and cjson.decode(head).msg.messageId == ARGV[1] then redis.call('LPOP', KEYS[1]) end
local n = redis.call('LLEN', KEYS[1])
if n == 0 then redis.call('ZREM', KEYS[2], ARGV[2]) end
return n`;

export interface ParkStore {
  /** First park of a lane: its jobs, head first, due at `dueAt`. */
  park(laneId: string, jobs: readonly Job[], dueAt: number): Promise<void>;
  /** Jobs that arrived for a lane that is already parked (order kept). */
  append(laneId: string, jobs: readonly Job[]): Promise<void>;
  head(laneId: string): Promise<Job | undefined>;
  /** The head was attempted (or deferred): store its new state and when it is due. */
  reschedule(laneId: string, head: Job, dueAt: number): Promise<void>;
  /** Moves the due time only (a lease while the head is being delivered). */
  lease(laneId: string, until: number): Promise<void>;
  /** Removes the head if it is still `messageId`; returns how many jobs remain (0 = lane unparked). */
  popHead(laneId: string, messageId: string): Promise<number>;
  due(now: number, limit: number): Promise<string[]>;
  /** Earliest due time strictly after `after`, if any. */
  nextAfter(after: number): Promise<number | undefined>;
  all(): Promise<string[]>;
  /** Drops a whole lane (its endpoint was deleted). */
  drop(laneId: string): Promise<void>;
}

const strip = (j: Job): string => {
  const { ticket: _t, ...rest } = j;
  return JSON.stringify(rest);
};

export function createParkStore(redis: Redis, prefix: string, topic: string, partition: number): ParkStore {
  const laneKey = (id: string) => `${prefix}dsp:lane:${topic}:${partition}:${id}`;
  const dueKey = `${prefix}dsp:due:${topic}:${partition}`;
  return {
    async park(laneId, jobs, dueAt) {
      await redisCall(() =>
        redis
          .multi()
          .rpush(laneKey(laneId), ...jobs.map(strip))
          .zadd(dueKey, dueAt, laneId)
          .exec(),
      );
    },
    async append(laneId, jobs) {
      if (jobs.length > 0) await redisCall(() => redis.rpush(laneKey(laneId), ...jobs.map(strip)));
    },
    async head(laneId) {
      const raw = await redisCall(() => redis.lindex(laneKey(laneId), 0));
      return raw === null ? undefined : (JSON.parse(raw) as Job);
    },
    async reschedule(laneId, head, dueAt) {
      await redisCall(() => redis.multi().lset(laneKey(laneId), 0, strip(head)).zadd(dueKey, dueAt, laneId).exec());
    },
    async lease(laneId, until) {
      await redisCall(() => redis.zadd(dueKey, 'XX', until, laneId));
    },
    async popHead(laneId, messageId) {
      return Number(await redisCall(() => redis.eval(POP_HEAD, 2, laneKey(laneId), dueKey, messageId, laneId)));
    },
    due: (now, limit) => redisCall(() => redis.zrangebyscore(dueKey, '-inf', now, 'LIMIT', '0', String(limit))),
    async nextAfter(after) {
      const r = await redisCall(() =>
        redis.zrangebyscore(dueKey, `(${after}`, '+inf', 'WITHSCORES', 'LIMIT', '0', '1'),
      );
      return r.length >= 2 ? Number(r[1]) : undefined;
    },
    all: () => redisCall(() => redis.zrange(dueKey, '0', '-1')),
    async drop(laneId) {
      await redisCall(() => redis.multi().del(laneKey(laneId)).zrem(dueKey, laneId).exec());
    },
  };
}
