/**
 * Tenants: one customer of the platform that receives webhooks (not a Kafka consumer). Endpoints,
 * outbound messages, delivery logs and tenant API keys belong to exactly one tenant. This is the
 * contract the admin (which writes tenants and the source → tenant map) and the dispatcher (which
 * fans a message out only to its tenant's endpoints) share.
 *
 * Redis keys (`p` = REDIS_KEY_PREFIX), admin writes, dispatcher reads:
 *   {p}tenant:sources   hash  sourceId → tenantId, for sources that name a tenant (options.tenant)
 * Endpoints carry their tenant in their config (services/common/endpoints.ts); an endpoint or a
 * message without one belongs to DEFAULT_TENANT, which is how data written before tenants existed
 * keeps its meaning after an upgrade.
 */

/** The tenant of everything that names none: endpoints and sources created before tenants, inbound-derived messages. */
export const DEFAULT_TENANT = 'default';

/** The platform's own customer id: letters, digits, '_', '-', '.'; 1–64 characters, starting with a letter or digit. */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface TenantLimits {
  /** Most endpoints the tenant may have. */
  readonly maxEndpoints: number;
  /** Publish requests per second (token bucket, burst one second's worth); null = unlimited. */
  readonly publishPerSecond: number | null;
  /** Largest published payload, bytes of its JSON. */
  readonly maxPayloadBytes: number;
}

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly limits: TenantLimits;
  /** Delivery log retention for this tenant, ms. */
  readonly retentionMs: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const tenantKeys = (prefix: string) => ({
  tenant: (id: string) => `${prefix}tenant:${id}`,
  index: `${prefix}tenant:index`,
  sources: `${prefix}tenant:sources`,
  endpoints: (id: string) => `${prefix}tenant:${id}:endpoints`,
  /** The tenant's operational webhook endpoint (TenantOperationalWebhook JSON), written by the admin. */
  operational: (id: string) => `${prefix}tenant:${id}:operational`,
});

/**
 * Where a tenant is told that one of its endpoints was disabled or keeps failing (the dispatcher
 * sends it, signed with `secret` like any delivery). Admin writes, dispatcher reads.
 */
export interface TenantOperationalWebhook {
  readonly url: string;
  readonly enabled: boolean;
  /** whsec_… Never logged. */
  readonly secret: string;
  readonly updatedAt: number;
}

/** Published on the endpoint change channel ({p}ep:changes) when the source → tenant map changed. */
export const SOURCE_TENANTS_CHANGED = '~source-tenants';

/** The tenant of an endpoint or message: its own, or DEFAULT_TENANT when it names none. */
export const tenantOf = (x: { readonly tenantId?: string | null | undefined }): string => x.tenantId ?? DEFAULT_TENANT;

/** The source id in a resource key `{sourceId}:{resourceType}:{resourceId}` (ARCHITECTURE.md). */
export const sourceIdOfResourceKey = (resourceKey: string): string => {
  const i = resourceKey.indexOf(':');
  return i < 0 ? resourceKey : resourceKey.slice(0, i);
};
