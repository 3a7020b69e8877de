/**
 * Customer endpoints (outbound): the shared contract between the admin API (which creates and
 * edits them) and the dispatcher (which caches them and may disable one). Stored in Redis.
 *
 * Key ownership (`p` = REDIS_KEY_PREFIX, default "hookline:"):
 *   {p}ep:{id}        hash  config  JSON  admin writes
 *                           secrets JSON  admin writes (create, rotate)
 *                           state   JSON  admin (pause/resume) and dispatcher (410, failing too long)
 *   {p}ep:index       zset  every endpoint id, score 0, ordered by id (ids sort by creation time)
 *   {p}ep:changes     pub/sub channel: the id of an endpoint that changed (caches reload it)
 *   {p}tenant:{t}:endpoints  zset  the endpoint ids of tenant t, score 0 (contracts/tenant.ts)
 * Each writer writes whole fields with one HSET, so the admin editing the config and the
 * dispatcher disabling the endpoint at the same moment never lose each other's write.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_TENANT, tenantKeys, tenantOf } from './contracts/tenant.ts';
import type { Redis } from './redis.ts';
import { redisCall } from './redis.ts';
import { WHSEC_PREFIX } from './standard-webhooks.ts';

export interface EndpointConfig {
  readonly url: string;
  readonly description: string;
  /** Exact types ("payment.succeeded") or wildcards ("payment.*", "*"); empty = every type. */
  readonly eventTypes: readonly string[];
  /** Extra request headers (never the webhook-* ones). */
  readonly headers: Readonly<Record<string, string>>;
  /** Max deliveries per second to this endpoint; null = unlimited. */
  readonly rateLimitPerSecond: number | null;
  /** Owner (contracts/tenant.ts); absent on endpoints created before tenants = the default tenant. */
  readonly tenantId?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface EndpointSecret {
  /** whsec_ + base64 of the key bytes. Never logged. */
  readonly key: string;
  readonly createdAt: number;
  /** null = current; set on the previous secret when rotated (end of the grace period). */
  readonly expiresAt: number | null;
}

export interface EndpointState {
  readonly enabled: boolean;
  /** Why it is disabled: "paused", "gone" (410), "failing", … */
  readonly reason: string | null;
  readonly changedAt: number;
}

export interface Endpoint extends EndpointConfig {
  readonly id: string;
  readonly secrets: readonly EndpointSecret[];
  readonly state: EndpointState;
}

/** A new signing secret: whsec_ + base64 of 32 random bytes (Standard Webhooks asks for 24–64). */
export function newSecret(): string {
  return `${WHSEC_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** Ids sort by creation time (base36 ms, fixed width) then random: cursor pagination by id. */
export function newEndpointId(now = Date.now()): string {
  return `ep_${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/** Secrets valid at `now`, current first: deliveries are signed with each. */
export function activeSecrets(ep: Pick<Endpoint, 'secrets'>, now: number): string[] {
  return ep.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.key);
}

/** Exact match, "*" for everything, or "a.b.*" for every type under "a.b.". Empty list = all. */
export function matchesEventType(filters: readonly string[], type: string): boolean {
  if (filters.length === 0) return true;
  for (const f of filters) {
    if (f === '*' || f === type) return true;
    if (f.endsWith('.*') && type.startsWith(f.slice(0, -1))) return true;
  }
  return false;
}

export const endpointKeys = (prefix: string) => ({
  endpoint: (id: string) => `${prefix}ep:${id}`,
  index: `${prefix}ep:index`,
  changes: `${prefix}ep:changes`,
});

export interface Page<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}

export interface EndpointStore {
  get(id: string): Promise<Endpoint | undefined>;
  /** One tenant's endpoints with `tenantId`, else every endpoint. */
  list(o: { cursor?: string | undefined; limit: number; tenantId?: string | undefined }): Promise<Page<Endpoint>>;
  /** How many endpoints a tenant has. */
  count(tenantId: string): Promise<number>;
  /** Gives every endpoint that names no tenant to the default tenant (upgrade); returns how many. */
  adoptUntenanted(): Promise<number>;
  /** Every endpoint (the dispatcher's cache load). */
  all(): Promise<Endpoint[]>;
  create(
    config: Omit<EndpointConfig, 'createdAt' | 'updatedAt'>,
    o?: { enabled?: boolean; now?: number },
  ): Promise<Endpoint>;
  updateConfig(
    id: string,
    patch: Partial<Omit<EndpointConfig, 'createdAt' | 'updatedAt'>>,
    now?: number,
  ): Promise<Endpoint | undefined>;
  setState(id: string, state: EndpointState): Promise<boolean>;
  /** New current secret; the previous ones stay valid until now + graceMs. */
  rotateSecret(id: string, graceMs: number, now?: number): Promise<Endpoint | undefined>;
  delete(id: string): Promise<boolean>;
  readonly keys: ReturnType<typeof endpointKeys>;
}

function parseEndpoint(id: string, h: Record<string, string>): Endpoint | undefined {
  if (!h.config || !h.secrets || !h.state) return undefined;
  const config = JSON.parse(h.config) as EndpointConfig;
  return {
    id,
    ...config,
    secrets: JSON.parse(h.secrets) as EndpointSecret[],
    state: JSON.parse(h.state) as EndpointState,
  };
}

export function createEndpointStore(redis: Redis, prefix: string): EndpointStore {
  const keys = endpointKeys(prefix);
  const tk = tenantKeys(prefix);
  const publish = (id: string) => redis.publish(keys.changes, id);

  async function get(id: string): Promise<Endpoint | undefined> {
    const h = await redisCall(() => redis.hgetall(keys.endpoint(id)));
    return parseEndpoint(id, h);
  }

  async function getMany(ids: readonly string[]): Promise<Endpoint[]> {
    if (ids.length === 0) return [];
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hgetall(keys.endpoint(id));
    const res = (await redisCall(() => pipe.exec())) ?? [];
    const out: Endpoint[] = [];
    res.forEach(([err, h], i) => {
      if (err) throw err;
      const ep = parseEndpoint(ids[i]!, h as Record<string, string>);
      if (ep) out.push(ep);
    });
    return out;
  }

  return {
    keys,
    get,
    async list({ cursor, limit, tenantId }) {
      const index = tenantId === undefined ? keys.index : tk.endpoints(tenantId);
      const ids = await redisCall(() =>
        redis.zrangebylex(index, cursor ? `(${cursor}` : '-', '+', 'LIMIT', '0', String(limit + 1)),
      );
      const page = ids.slice(0, limit);
      return { data: await getMany(page), nextCursor: ids.length > limit ? page[page.length - 1]! : null };
    },
    count: (tenantId) => redisCall(() => redis.zcard(tk.endpoints(tenantId))),
    async adoptUntenanted() {
      let n = 0;
      const ids = await redisCall(() => redis.zrange(keys.index, '0', '-1'));
      for (const ep of await getMany(ids)) {
        if (ep.tenantId !== undefined) continue;
        const { id, secrets: _s, state: _st, ...config } = ep;
        await redisCall(() =>
          redis
            .multi()
            .hset(keys.endpoint(id), 'config', JSON.stringify({ ...config, tenantId: DEFAULT_TENANT }))
            .zadd(tk.endpoints(DEFAULT_TENANT), 0, id)
            .exec(),
        );
        await publish(id);
        n++;
      }
      return n;
    },
    async all() {
      const ids = await redisCall(() => redis.zrange(keys.index, '0', '-1'));
      return getMany(ids);
    },
    async create(config, o = {}) {
      const now = o.now ?? Date.now();
      const id = newEndpointId(now);
      const full: EndpointConfig = { ...config, createdAt: now, updatedAt: now };
      const secrets: EndpointSecret[] = [{ key: newSecret(), createdAt: now, expiresAt: null }];
      const state: EndpointState = {
        enabled: o.enabled ?? true,
        reason: o.enabled === false ? 'paused' : null,
        changedAt: now,
      };
      await redisCall(() =>
        redis
          .multi()
          .hset(keys.endpoint(id), {
            config: JSON.stringify(full),
            secrets: JSON.stringify(secrets),
            state: JSON.stringify(state),
          })
          .zadd(keys.index, 0, id)
          .zadd(tk.endpoints(tenantOf(full)), 0, id)
          .exec(),
      );
      await publish(id);
      return { id, ...full, secrets, state };
    },
    async updateConfig(id, patch, now = Date.now()) {
      const ep = await get(id);
      if (!ep) return undefined;
      const { id: _id, secrets: _s, state: _st, ...current } = ep;
      const next: EndpointConfig = { ...current, ...patch, createdAt: ep.createdAt, updatedAt: now };
      await redisCall(() => redis.hset(keys.endpoint(id), 'config', JSON.stringify(next)));
      await publish(id);
      return { ...ep, ...next };
    },
    async setState(id, state) {
      const exists = await redisCall(() => redis.exists(keys.endpoint(id)));
      if (!exists) return false;
      await redisCall(() => redis.hset(keys.endpoint(id), 'state', JSON.stringify(state)));
      await publish(id);
      return true;
    },
    async rotateSecret(id, graceMs, now = Date.now()) {
      const ep = await get(id);
      if (!ep) return undefined;
      const kept = ep.secrets
        .filter((s) => s.expiresAt === null || s.expiresAt > now)
        .map((s) => ({ ...s, expiresAt: s.expiresAt === null ? now + graceMs : Math.min(s.expiresAt, now + graceMs) }));
      const secrets: EndpointSecret[] = [{ key: newSecret(), createdAt: now, expiresAt: null }, ...kept];
      await redisCall(() => redis.hset(keys.endpoint(id), 'secrets', JSON.stringify(secrets)));
      await publish(id);
      return { ...ep, secrets };
    },
    async delete(id) {
      const ep = await get(id);
      const [[, n] = [null, 0]] =
        (await redisCall(() =>
          redis
            .multi()
            .del(keys.endpoint(id))
            .zrem(keys.index, id)
            .zrem(tk.endpoints(ep ? tenantOf(ep) : DEFAULT_TENANT), id)
            .exec(),
        )) ?? [];
      await publish(id);
      return n === 1;
    },
  };
}
