/**
 * Tenants in Redis (admin-owned): {p}tenant:{id} string (Tenant JSON) and {p}tenant:index zset
 * (every id, score 0, so ZRANGEBYLEX gives cursor paging by id). Deleting a tenant deletes its
 * endpoints (they stop receiving at once: the dispatcher reloads on the change notification);
 * its delivery log stays until the log's own retention removes it.
 *
 * Upgrade (`migrate`): the default tenant is created if missing and every endpoint that names no
 * tenant is given to it; sources without options.tenant keep routing to it. Nothing else changes,
 * so no configuration is lost and the step is idempotent (it runs at every admin start).
 */
import {
  DEFAULT_TENANT,
  SOURCE_TENANTS_CHANGED,
  tenantKeys,
  type Tenant,
  type TenantLimits,
} from '../common/contracts/tenant.ts';
import type { EndpointStore, Page } from '../common/endpoints.ts';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';

export interface TenantDefaults {
  readonly limits: TenantLimits;
  readonly retentionMs: number;
}

export type TenantPatch = Partial<Pick<Tenant, 'name' | 'metadata' | 'limits' | 'retentionMs'>>;

export interface TenantStore {
  get(id: string): Promise<Tenant | undefined>;
  list(o: { cursor?: string | undefined; limit: number }): Promise<Page<Tenant>>;
  /** undefined when the id is taken. */
  create(t: { id: string } & TenantPatch): Promise<Tenant | undefined>;
  update(id: string, patch: TenantPatch): Promise<Tenant | undefined>;
  delete(id: string): Promise<boolean>;
  /** Records which tenant a source's messages go to (null = the default tenant). */
  setSourceTenant(sourceId: string, tenantId: string | null): Promise<void>;
  migrate(sources: readonly { id: string; tenant: string | null }[]): Promise<{ endpoints: number }>;
}

export function createTenantStore(
  redis: Redis,
  prefix: string,
  endpoints: EndpointStore,
  d: TenantDefaults,
): TenantStore {
  const keys = tenantKeys(prefix);

  async function get(id: string): Promise<Tenant | undefined> {
    const v = await redisCall(() => redis.get(keys.tenant(id)));
    return v === null ? undefined : (JSON.parse(v) as Tenant);
  }

  async function create(t: { id: string } & TenantPatch): Promise<Tenant | undefined> {
    const now = Date.now();
    const full: Tenant = {
      id: t.id,
      name: t.name ?? t.id,
      metadata: t.metadata ?? {},
      limits: { ...d.limits, ...t.limits },
      retentionMs: t.retentionMs ?? d.retentionMs,
      createdAt: now,
      updatedAt: now,
    };
    const ok = await redisCall(() => redis.set(keys.tenant(t.id), JSON.stringify(full), 'NX'));
    if (ok === null) return undefined;
    await redisCall(() => redis.zadd(keys.index, 0, t.id));
    return full;
  }

  async function setSourceTenant(sourceId: string, tenantId: string | null): Promise<void> {
    await redisCall(() =>
      tenantId === null || tenantId === DEFAULT_TENANT
        ? redis.hdel(keys.sources, sourceId)
        : redis.hset(keys.sources, sourceId, tenantId),
    );
    await redisCall(() => redis.publish(endpoints.keys.changes, SOURCE_TENANTS_CHANGED));
  }

  return {
    get,
    create,
    setSourceTenant,
    async list({ cursor, limit }) {
      const ids = await redisCall(() =>
        redis.zrangebylex(keys.index, cursor ? `(${cursor}` : '-', '+', 'LIMIT', '0', String(limit + 1)),
      );
      const page = ids.slice(0, limit);
      const values = page.length === 0 ? [] : await redisCall(() => redis.mget(page.map((id) => keys.tenant(id))));
      const data = values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Tenant);
      return { data, nextCursor: ids.length > limit ? page[page.length - 1]! : null };
    },
    async update(id, patch) {
      const t = await get(id);
      if (!t) return undefined;
      const next: Tenant = {
        ...t,
        ...patch,
        limits: { ...t.limits, ...patch.limits },
        id,
        createdAt: t.createdAt,
        updatedAt: Date.now(),
      };
      await redisCall(() => redis.set(keys.tenant(id), JSON.stringify(next), 'XX'));
      return next;
    },
    async delete(id) {
      if (!(await get(id))) return false;
      for (;;) {
        const page = await endpoints.list({ tenantId: id, limit: 250 });
        for (const ep of page.data) await endpoints.delete(ep.id);
        if (page.nextCursor === null || page.data.length === 0) break;
      }
      // Sources that name this tenant keep naming it: their messages now reach no endpoint (never
      // another tenant's), until the source is pointed elsewhere or the tenant is created again.
      await redisCall(() =>
        redis
          .multi()
          .del(keys.tenant(id))
          .zrem(keys.index, id)
          .del(keys.endpoints(id))
          .del(keys.operational(id))
          .exec(),
      );
      return true;
    },
    async migrate(sources) {
      if (!(await get(DEFAULT_TENANT))) await create({ id: DEFAULT_TENANT, name: 'Default tenant' });
      for (const s of sources) await redisCall(() => redis.hset(keys.sources, s.id, s.tenant ?? DEFAULT_TENANT));
      await redisCall(() => redis.publish(endpoints.keys.changes, SOURCE_TENANTS_CHANGED));
      return { endpoints: await endpoints.adoptUntenanted() };
    },
  };
}
