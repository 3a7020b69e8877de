/**
 * Parked resources: per-resource order while one of a resource's events waits in a retry topic.
 *
 * Redis keeps, per (handler, resource), the ORDERED list of event ids that are in the retry stage
 * (the failing head first, then every later event of the resource, in source order), and per
 * event a little metadata: when its next attempt is due, and once it is resolved (succeeded or
 * dead-lettered) the retry position that resolved it ("topic/partition/offset").
 *
 * A resolution is written to Redis BEFORE the transaction that carries its effects commits, so it
 * only counts once that transaction is known committed: a resolved head is popped only when the
 * retry group's committed offset on that partition is past its position, or when it was resolved
 * earlier in the same chunk (same transaction). An aborted transaction therefore never unparks a
 * resource whose head's effect was not committed; a crash leaves at most a head that is popped by
 * the next reader. All operations are idempotent, so a redone chunk makes the same decisions.
 * If Redis loses the keys, events are still processed (nothing lost), only cross-event order of
 * that resource's in-flight events is no longer enforced.
 */
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';

export interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface Parking {
  /** Appends the event to the resource's parked list if absent (idempotent); clears a stale resolution. */
  push(handler: string, resourceKey: string, eventId: string): Promise<void>;
  setDue(handler: string, eventId: string, dueAt: number): Promise<void>;
  resolve(handler: string, eventId: string, at: Position): Promise<void>;
  /**
   * The event that currently holds the resource (undefined = not parked). `resolvedHere` are ids
   * resolved earlier in the current transaction; `committed` tells whether a retry position's
   * transaction is committed.
   */
  head(
    handler: string,
    resourceKey: string,
    resolvedHere: ReadonlySet<string>,
    committed: (at: Position) => Promise<boolean>,
  ): Promise<{ eventId: string; dueAt: number | undefined } | undefined>;
}

const PUSH = `
if redis.call('LPOS', KEYS[1], ARGV[1]) == false then redis.call('RPUSH', KEYS[1], ARGV[1]) end
redis.call('HDEL', KEYS[2], 'done:' .. ARGV[1])
return 1`;
const POP_IF_HEAD = `
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
  redis.call('LPOP', KEYS[1])
  redis.call('HDEL', KEYS[2], 'done:' .. ARGV[1], 'due:' .. ARGV[1])
  return 1
end
return 0`;

export function redisParking(redis: Redis, keyPrefix: string): Parking {
  // The key keeps its historical ":lane:" segment: parked state already in Redis stays readable.
  const listKey = (h: string, r: string) => `${keyPrefix}${h}:lane:${r}`;
  const metaKey = (h: string) => `${keyPrefix}${h}:meta`;
  return {
    push: (h, r, id) => redisCall(async () => void (await redis.eval(PUSH, 2, listKey(h, r), metaKey(h), id))),
    setDue: (h, id, dueAt) => redisCall(async () => void (await redis.hset(metaKey(h), `due:${id}`, String(dueAt)))),
    resolve: (h, id, at) =>
      redisCall(
        async () =>
          void (await redis.hset(metaKey(h), `done:${id}`, `${at.topic}\u0000${at.partition}\u0000${at.offset}`)),
      ),
    async head(h, r, resolvedHere, committed) {
      const ids = await redisCall(() => redis.lrange(listKey(h, r), 0, 99));
      let poppable = true;
      for (const id of ids) {
        if (resolvedHere.has(id)) {
          poppable = false; // resolved in this very transaction: skip, but it cannot be popped yet
          continue;
        }
        const [done, due] = await redisCall(() => redis.hmget(metaKey(h), `done:${id}`, `due:${id}`));
        if (done) {
          const [topic, partition, offset] = done.split('\u0000') as [string, string, string];
          if (await committed({ topic, partition: Number(partition), offset })) {
            if (poppable) await redisCall(() => redis.eval(POP_IF_HEAD, 2, listKey(h, r), metaKey(h), id));
            continue;
          }
        }
        return { eventId: id, dueAt: due ? Number(due) : undefined };
      }
      return undefined;
    },
  };
}
