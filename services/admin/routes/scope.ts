/**
 * Tenant scoping shared by the routes that are mounted both unscoped (/v1/...) and under
 * /v1/tenants/{tenantId} (c.var.tenant set by tenantGuard). An endpoint of another tenant answers
 * 404, exactly like one that does not exist, so ids of other tenants cannot be probed.
 */
import { tenantOf } from '../../common/contracts/tenant.ts';
import type { Endpoint, EndpointStore } from '../../common/endpoints.ts';
import type { AuthVariables } from '../auth.ts';
import { notFound } from '../errors.ts';

export type TenantCtx = { get(k: 'tenant'): AuthVariables['tenant'] };

export interface TenantScope {
  /** The tenant the request is scoped to, or undefined on the unscoped routes. */
  readonly tenantIdOf: (c: TenantCtx) => string | undefined;
  /** The endpoint, if it exists and (scoped) belongs to the tenant; else 404. */
  readonly loadEndpoint: (c: TenantCtx, id: string) => Promise<Endpoint>;
}

export function tenantScope(store: EndpointStore, scoped: boolean): TenantScope {
  const scopeOf = (c: TenantCtx): string | undefined => (scoped ? c.get('tenant').id : undefined);
  return {
    tenantIdOf: scopeOf,
    loadEndpoint: async function loadScopedEndpoint(c, id) {
      const ep = await store.get(id);
      const tenantId = scopeOf(c);
      if (!ep || (tenantId !== undefined && tenantOf(ep) !== tenantId)) throw notFound('endpoint', id);
      return ep;
    },
  };
}
