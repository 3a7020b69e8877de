/**
 * The dispatcher's view of the endpoints: a full load from Redis at start, then the admin's change
 * notifications (pub/sub, one id per change) reload single endpoints, and a periodic full reload
 * repairs anything a lost notification missed. Routing reads memory only.
 */
import { SOURCE_TENANTS_CHANGED, sourceIdOfResourceKey, tenantKeys, tenantOf } from '../common/contracts/tenant.ts';
import type { Endpoint, EndpointStore } from '../common/endpoints.ts';
import { matchesEventType } from '../common/endpoints.ts';
import { messageOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Redis } from '../common/redis.ts';

export interface EndpointRegistry {
  get(id: string): Endpoint | undefined;
  /** Fetches from Redis when not cached (a manual retry to an endpoint created a moment ago). */
  load(id: string): Promise<Endpoint | undefined>;
  /** The tenant's endpoints subscribed to `eventType` (disabled ones included: they are recorded, not sent). */
  subscribers(eventType: string, tenantId: string): Endpoint[];
  /** The tenant of a message: its own, else the one its source names, else the default tenant. */
  tenantOfMessage(m: { readonly tenantId?: string | null; readonly resourceKey: string }): string;
  /** Applies a local change at once (e.g. this instance disabled the endpoint). */
  put(ep: Endpoint): void;
  readonly size: number;
  stop(): Promise<void>;
}

export async function startRegistry(o: {
  store: EndpointStore;
  /** Reads the source → tenant map (contracts/tenant.ts). */
  redis: Redis;
  prefix: string;
  subscriber: Redis;
  refreshMs: number;
  logger: Logger;
}): Promise<EndpointRegistry> {
  const log = o.logger.child({ component: 'registry' });
  let byId = new Map<string, Endpoint>();
  const typeCache = new Map<string, Endpoint[]>();
  let sourceTenants = new Map<string, string>();

  const reloadSourceTenants = async () => {
    sourceTenants = new Map(Object.entries(await o.redis.hgetall(tenantKeys(o.prefix).sources)));
  };
  const reloadAll = async () => {
    const all = await o.store.all();
    await reloadSourceTenants();
    byId = new Map(all.map((e) => [e.id, e]));
    typeCache.clear();
  };
  const reloadOne = async (id: string) => {
    const ep = await o.store.get(id);
    if (ep) byId.set(id, ep);
    else byId.delete(id);
    typeCache.clear();
    return ep;
  };

  await reloadAll();
  o.subscriber.on('message', (channel: string, id: string) => {
    if (channel !== o.store.keys.changes) return;
    if (id === SOURCE_TENANTS_CHANGED) {
      reloadSourceTenants().catch((err: unknown) => log.warn({ err: messageOf(err) }, 'source tenants reload failed'));
      return;
    }
    reloadOne(id).catch((err: unknown) => log.warn({ err: messageOf(err), endpointId: id }, 'endpoint reload failed'));
  });
  await o.subscriber.subscribe(o.store.keys.changes);
  const timer = setInterval(() => {
    reloadAll().catch((err: unknown) => log.warn({ err: messageOf(err) }, 'endpoint registry refresh failed'));
  }, o.refreshMs);
  timer.unref();

  return {
    get: (id) => byId.get(id),
    load: async (id) => byId.get(id) ?? (await reloadOne(id)),
    subscribers(eventType, tenantId) {
      const cacheKey = `${tenantId}\n${eventType}`;
      let list = typeCache.get(cacheKey);
      if (!list) {
        list = [...byId.values()].filter((e) => tenantOf(e) === tenantId && matchesEventType(e.eventTypes, eventType));
        if (typeCache.size > 10_000) typeCache.clear();
        typeCache.set(cacheKey, list);
      }
      return list;
    },
    tenantOfMessage: (m) => m.tenantId ?? sourceTenants.get(sourceIdOfResourceKey(m.resourceKey)) ?? tenantOf(m),
    put(ep) {
      byId.set(ep.id, ep);
      typeCache.clear();
    },
    get size() {
      return byId.size;
    },
    async stop() {
      clearInterval(timer);
      await o.subscriber.unsubscribe().catch(() => undefined);
      o.subscriber.disconnect();
    },
  };
}
