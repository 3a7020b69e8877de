/**
 * Publishing: a platform's own message for one tenant's endpoints, through the admin's HTTP API or
 * the outbound.requests topic (schemas/outbound.request.avsc). Both become one OutboundEvent on
 * outbound.events with tenantId set, keyed by publishedResourceKey, so one (tenant, resource) stays
 * on one partition and in one dispatcher lane per endpoint: delivered in publish order.
 */

/** schemas/outbound.request.avsc */
export interface PublishRequest {
  readonly tenantId: string;
  readonly eventType: string;
  /** JSON object text. */
  readonly payload: string;
  readonly resourceId: string | null;
  readonly idempotencyKey: string;
  readonly requestedAt: number;
}

/** How long an idempotency key answers the same messageId and publishes nothing new. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** Idempotency-Key and resourceId: printable ASCII without spaces, 1–255 characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const RESOURCE_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * Resource key of a published message: `tenant.{tenantId}:{resourceId}`, or the message id when
 * it has no resource (no ordering promise, spread over partitions). The first segment never
 * collides with a source id (source ids have no '.').
 */
export const publishedResourceKey = (tenantId: string, resourceId: string | null, messageId: string): string =>
  resourceId === null ? `tenant.${tenantId}:message:${messageId}` : `tenant.${tenantId}:resource:${resourceId}`;

/** Kafka key of an outbound.requests record. */
export const publishRequestKey = (tenantId: string, resourceId: string | null): string =>
  resourceId === null ? tenantId : `${tenantId}:${resourceId}`;
