/**
 * The operational endpoint of an endpoint's tenant (operational.ts): the endpoint's tenant from
 * the endpoint store, then the tenant's TenantOperationalWebhook from Redis (written by the admin,
 * contract in common/contracts/tenant.ts), cached a few seconds so a burst of events for one
 * tenant reads Redis once. Disabled or malformed → undefined target (nothing sent to the tenant).
 */
import { tenantKeys, tenantOf, type TenantOperationalWebhook } from '../common/contracts/tenant.ts';
import type { EndpointStore } from '../common/endpoints.ts';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { OperationalTarget, TenantTargetLookup } from './operational.ts';

const CACHE_MS = 5000;

export function tenantOperationalTargets(redis: Redis, prefix: string, store: EndpointStore): TenantTargetLookup {
  const cache = new Map<string, { target: OperationalTarget | undefined; at: number }>();
  return async (endpointId) => {
    const ep = await store.get(endpointId);
    if (!ep) return undefined;
    const tenantId = tenantOf(ep);
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return { tenantId, target: hit.target };
    const raw = await redisCall(() => redis.get(tenantKeys(prefix).operational(tenantId)));
    let target: OperationalTarget | undefined;
    if (raw !== null) {
      const w = JSON.parse(raw) as TenantOperationalWebhook;
      if (w.enabled && URL.canParse(w.url)) target = { url: new URL(w.url), secret: w.secret };
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(tenantId, { target, at: Date.now() });
    return { tenantId, target };
  };
}
