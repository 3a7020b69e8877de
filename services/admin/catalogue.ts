/**
 * The event type catalogue: the outbound event types customers can subscribe to, with a
 * description. Admin-owned Redis key: {p}event-types (hash name → JSON).
 */
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';

export interface EventType {
  readonly name: string;
  readonly description: string;
  /** JSON Schema the published payload must match (payload-schema.ts); absent = any object. */
  readonly schema?: object;
  readonly createdAt: number;
}

export interface Catalogue {
  list(): Promise<EventType[]>;
  get(name: string): Promise<EventType | undefined>;
  put(t: Omit<EventType, 'createdAt'>): Promise<EventType>;
  delete(name: string): Promise<boolean>;
}

export const EVENT_TYPE = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/i;
/** A filter: an event type, "prefix.*", or "*". */
export const EVENT_FILTER = /^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$/i;

export function createCatalogue(redis: Redis, prefix: string): Catalogue {
  const key = `${prefix}event-types`;
  return {
    async list() {
      const all = await redisCall(() => redis.hgetall(key));
      return Object.values(all)
        .map((v) => JSON.parse(v) as EventType)
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async get(name) {
      const v = await redisCall(() => redis.hget(key, name));
      return v === null ? undefined : (JSON.parse(v) as EventType);
    },
    async put(t) {
      const existing = await this.get(t.name);
      const full: EventType = { ...t, createdAt: existing?.createdAt ?? Date.now() };
      await redisCall(() => redis.hset(key, t.name, JSON.stringify(full)));
      return full;
    },
    async delete(name) {
      return (await redisCall(() => redis.hdel(key, name))) === 1;
    },
  };
}
