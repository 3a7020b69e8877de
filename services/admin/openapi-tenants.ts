/**
 * The tenant part of the OpenAPI document: /v1/tenants, publishing, portal tokens, and the
 * tenant-scoped copies of the endpoint and delivery-log paths (derived from the unscoped ones, so
 * the two cannot drift). test/admin/tenants-isolation.test.ts walks every /v1/tenants/{tenantId}
 * path of this document with another tenant's key: a new route is covered by being documented.
 */
import { tenantOpsPaths, tenantOpsSchemas } from './openapi-tenant-ops.ts';

type Json = Record<string, unknown>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const err = (description: string) => ({ description, ...json(ref('Error')) });
const ERRORS: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid API key',
  403: 'API key lacks the scope, or a tenant key on an admin-only route',
  404: 'Not found (also: another tenant’s id)',
  409: 'Conflict',
  413: 'Payload larger than the tenant’s maxPayloadBytes',
  415: 'Body is not JSON',
  422: 'Unknown event type, payload does not match the event type’s JSON Schema, or Idempotency-Key reused',
  429: 'Over the tenant’s publish rate (Retry-After)',
  501: 'Portal tokens not configured',
  503: 'Kafka or Redis unavailable, nothing accepted (Retry-After)',
};
export const op = (summary: string, scope: string, extra: Json, ok: Json, codes: number[], adminOnly = false) => ({
  summary,
  description: `Scope: \`${scope}\`.${adminOnly ? ' Admin keys only.' : ' Admin keys, or a tenant key / portal token of this tenant.'}`,
  security: [{ bearer: [scope] }],
  ...extra,
  responses: { ...ok, ...Object.fromEntries([401, 403, 404, ...codes].map((c) => [String(c), err(ERRORS[c]!)])) },
});
export const tenantIdParam = {
  name: 'tenantId',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The tenant (your own customer id)',
};
export const ts = { type: 'string', format: 'date-time' };

export const tenantSchemas = {
  TenantLimits: {
    type: 'object',
    properties: {
      maxEndpoints: { type: 'integer', minimum: 0 },
      publishPerSecond: { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
      maxPayloadBytes: { type: 'integer', minimum: 64 },
    },
  },
  TenantInput: {
    type: 'object',
    additionalProperties: false,
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
      name: { type: 'string' },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
      limits: ref('TenantLimits'),
      retentionDays: { type: 'integer', minimum: 1, maximum: 400 },
    },
  },
  Tenant: {
    type: 'object',
    required: ['id', 'name', 'metadata', 'limits', 'retentionDays', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
      limits: ref('TenantLimits'),
      retentionDays: { type: 'number' },
      createdAt: ts,
      updatedAt: ts,
    },
  },
  PublishInput: {
    type: 'object',
    required: ['eventType', 'payload'],
    additionalProperties: false,
    properties: {
      eventType: { type: 'string', examples: ['invoice.paid'] },
      payload: { type: 'object', description: 'Self-contained state (entity id, full relevant state)' },
      resourceId: { type: 'string', description: 'Ordering key within the tenant; without one, no ordering promise' },
    },
  },
  Published: {
    type: 'object',
    required: ['messageId', 'tenantId', 'eventType'],
    properties: { messageId: { type: 'string' }, tenantId: { type: 'string' }, eventType: { type: 'string' } },
  },
  PortalToken: {
    type: 'object',
    required: ['token', 'tenantId', 'scopes', 'expiresAt'],
    properties: {
      token: { type: 'string', pattern: '^hlpt_' },
      tenantId: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string' } },
      expiresAt: ts,
    },
  },
};

const tenantPaths = {
  '/v1/tenants': {
    post: op(
      'Create a tenant',
      'tenants:write',
      { requestBody: { required: true, ...json({ allOf: [ref('TenantInput'), { required: ['id'] }] }) } },
      { 201: { description: 'Created', ...json(ref('Tenant')) } },
      [400, 409, 415],
      true,
    ),
    get: op(
      'List tenants (cursor pagination by id)',
      'tenants:read',
      {
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 250, default: 50 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
      },
      {
        200: {
          description: 'A page',
          ...json({
            type: 'object',
            properties: { data: { type: 'array', items: ref('Tenant') }, nextCursor: { type: ['string', 'null'] } },
          }),
        },
      },
      [400],
      true,
    ),
  },
  '/v1/tenants/{tenantId}': {
    parameters: [tenantIdParam],
    get: op('Get a tenant', 'tenants:read', {}, { 200: { description: 'The tenant', ...json(ref('Tenant')) } }, []),
    patch: op(
      'Update a tenant (name, metadata, limits, retention)',
      'tenants:write',
      { requestBody: { required: true, ...json(ref('TenantInput')) } },
      { 200: { description: 'Updated', ...json(ref('Tenant')) } },
      [400, 415],
      true,
    ),
    delete: op(
      'Delete a tenant: its endpoints stop receiving; its delivery log stays until retention',
      'tenants:write',
      {},
      { 204: { description: 'Deleted' } },
      [],
      true,
    ),
  },
  '/v1/tenants/{tenantId}/portal-token': {
    parameters: [tenantIdParam],
    post: op(
      'Issue a short-lived portal token for this tenant (60 s – 24 h, default 1 h)',
      'tenants:write',
      {
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            properties: {
              ttlSeconds: { type: 'integer', minimum: 60, maximum: 86400 },
              scopes: { type: 'array', items: { type: 'string' } },
            },
          }),
        },
      },
      { 201: { description: 'Issued', ...json(ref('PortalToken')) } },
      [400, 415, 501],
      true,
    ),
  },
  '/v1/tenants/{tenantId}/messages': {
    parameters: [tenantIdParam],
    post: op(
      'Publish a message to the tenant’s subscribed endpoints (202 after Kafka acknowledged it)',
      'messages:write',
      {
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            schema: { type: 'string', maxLength: 255 },
            description: 'The same key within 24 h answers the same messageId and publishes nothing new',
          },
        ],
        requestBody: { required: true, ...json(ref('PublishInput')) },
      },
      { 202: { description: 'Accepted (durable in Kafka)', ...json(ref('Published')) } },
      [400, 409, 413, 415, 422, 429, 503],
    ),
    get: op(
      'Accepted but not yet delivered: published messages some subscribed endpoint has not received N minutes on',
      'deliveries:read',
      {
        parameters: [
          { name: 'undeliveredForMinutes', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 250, default: 50 } },
        ],
      },
      {
        200: {
          description: 'Newest first',
          ...json({
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    messageId: { type: 'string' },
                    eventType: { type: 'string' },
                    publishedAt: ts,
                    pending: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { endpointId: { type: 'string' }, status: { type: ['string', 'null'] } },
                      },
                    },
                  },
                },
              },
            },
          }),
        },
      },
      [400],
    ),
  },
};

/** `/v1/endpoints…` and `/v1/deliveries` again under /v1/tenants/{tenantId}, confined to that tenant. */
function scoped(paths: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/v1/endpoints') && path !== '/v1/deliveries') continue;
    const copy: Json = { parameters: [tenantIdParam, ...((item.parameters as unknown[] | undefined) ?? [])] };
    for (const [method, o] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const operation = o as { responses: Json; description: string };
      copy[method] = {
        ...operation,
        description: `${operation.description} Confined to the tenant: another tenant’s ids answer 404.`,
        responses: { ...operation.responses, 404: err(ERRORS[404]!) },
      };
    }
    out[path.replace('/v1', '/v1/tenants/{tenantId}')] = copy;
  }
  return out;
}

/** The full document: the unscoped one plus tenants, publishing and the tenant-scoped copies. */
export function withTenants<D extends { paths: object; components: { schemas: object } }>(doc: D): D {
  const paths = doc.paths as Record<string, Json>;
  return {
    ...doc,
    components: { ...doc.components, schemas: { ...doc.components.schemas, ...tenantSchemas, ...tenantOpsSchemas() } },
    paths: { ...paths, ...tenantPaths, ...tenantOpsPaths(), ...scoped(paths) },
  };
}
