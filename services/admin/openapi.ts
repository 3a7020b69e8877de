/**
 * The OpenAPI 3.1 document of the admin API, served at /openapi.json. Hand-written next to the
 * routes; test/admin checks it is structurally valid, every $ref resolves, and it lists exactly
 * the routes the app serves. Tenants, publishing and the tenant-scoped copies: openapi-tenants.ts.
 */
import { withOperations } from './openapi-operations.ts';
import { withTenants } from './openapi-tenants.ts';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c] ?? 'Error', ...json(ref('Error')) }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid API key',
  403: 'API key lacks the scope',
  404: 'Not found',
  409: 'Conflict',
  415: 'Body is not JSON',
  429: 'Rate limited (Retry-After says when to try again)',
};
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Endpoint id (ep_…)',
};
const op = (
  summary: string,
  scope: string,
  extra: Record<string, unknown>,
  ok: Record<string, unknown>,
  errs: number[],
) => ({
  summary,
  description: `Scope: \`${scope}\`.`,
  security: [{ bearer: [scope] }],
  ...extra,
  responses: { ...ok, ...errors(401, 403, ...errs) },
});
const ts = { type: 'string', format: 'date-time' };
const nullable = (schema: Record<string, unknown>) => ({ oneOf: [schema, { type: 'null' }] });

const unscoped = {
  openapi: '3.1.0',
  info: {
    title: 'hookline admin API',
    version: '1.0.0',
    description:
      'Manage outbound endpoints (subscriptions, signing secrets), inbound sources, the event type catalogue, and the delivery log with manual retry and bulk recover. Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key from ADMIN_API_KEYS' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', examples: ['invalid_request', 'unauthorized', 'forbidden', 'not_found'] },
              message: { type: 'string' },
              details: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['path', 'message'],
                  properties: { path: { type: 'string' }, message: { type: 'string' } },
                },
              },
            },
          },
        },
      },
      EndpointInput: {
        type: 'object',
        additionalProperties: false,
        properties: {
          url: {
            type: 'string',
            format: 'uri',
            description: 'https required unless the deployment sets ADMIN_ALLOW_HTTP=true',
          },
          description: { type: 'string', maxLength: 500 },
          eventTypes: {
            type: 'array',
            maxItems: 100,
            items: { type: 'string', pattern: '^(\\*|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?)$' },
            description: 'Exact types or wildcards ("payment.*", "*"); empty = every type',
          },
          headers: {
            type: 'object',
            additionalProperties: { type: 'string' },
            maxProperties: 20,
            description: 'Extra request headers (not webhook-*, content-type, host, …)',
          },
          rateLimitPerSecond: nullable({ type: 'integer', minimum: 1, maximum: 100000 }),
          enabled: { type: 'boolean', description: 'Create only; use pause/resume afterwards' },
        },
      },
      Endpoint: {
        type: 'object',
        required: [
          'id',
          'url',
          'description',
          'eventTypes',
          'headers',
          'rateLimitPerSecond',
          'enabled',
          'disabledReason',
          'breaker',
          'createdAt',
          'updatedAt',
        ],
        properties: {
          id: { type: 'string' },
          tenantId: { type: 'string', description: 'Owner (default = created before tenants, or via /v1/endpoints)' },
          url: { type: 'string' },
          description: { type: 'string' },
          eventTypes: { type: 'array', items: { type: 'string' } },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          rateLimitPerSecond: nullable({ type: 'integer' }),
          enabled: { type: 'boolean' },
          disabledReason: nullable({ type: 'string', description: 'paused, gone (410), failing' }),
          breaker: ref('Breaker'),
          createdAt: ts,
          updatedAt: ts,
        },
      },
      Breaker: {
        type: 'object',
        description:
          'The circuit breaker as the dispatcher instances report it (each instance has its own): open if any instance has it open; half_open when every open period has ended and the next delivery probes it; closed otherwise',
        required: ['state', 'since', 'until', 'instances'],
        properties: {
          state: { type: 'string', enum: ['closed', 'open', 'half_open'] },
          since: nullable({ ...ts, description: 'Earliest opening among the instances reporting it' }),
          until: nullable({ ...ts, description: 'Latest end of an open period (then one probe is let through)' }),
          instances: {
            type: 'integer',
            minimum: 0,
            description: 'Dispatcher instances reporting it open or half-open',
          },
        },
      },
      EndpointWithSecret: {
        allOf: [
          ref('Endpoint'),
          { type: 'object', required: ['secret'], properties: { secret: { type: 'string', pattern: '^whsec_' } } },
        ],
      },
      EndpointPage: {
        type: 'object',
        required: ['data', 'nextCursor'],
        properties: { data: { type: 'array', items: ref('Endpoint') }, nextCursor: nullable({ type: 'string' }) },
      },
      Secret: {
        type: 'object',
        required: ['secret', 'previous'],
        properties: {
          secret: { type: 'string', pattern: '^whsec_' },
          previous: {
            type: 'array',
            items: {
              type: 'object',
              required: ['secret', 'expiresAt'],
              properties: { secret: { type: 'string' }, expiresAt: ts },
            },
            description: 'Still signing until expiresAt',
          },
        },
      },
      EventType: {
        type: 'object',
        required: ['name', 'description', 'createdAt'],
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          schema: { description: 'JSON Schema (draft-07) published payloads must match; null = any object' },
          createdAt: ts,
        },
      },
      Source: {
        type: 'object',
        required: ['id', 'provider', 'secretCount', 'options', 'url'],
        properties: {
          id: { type: 'string' },
          provider: { type: 'string' },
          secretCount: { type: 'integer' },
          options: { type: 'object' },
          url: { type: 'string' },
        },
      },
      SourceInput: {
        type: 'object',
        required: ['provider'],
        properties: {
          provider: { type: 'string' },
          secrets: { type: 'array', items: { type: 'string' }, description: 'Write-only; omitted on update = keep' },
          options: { type: 'object' },
        },
      },
      Delivery: {
        type: 'object',
        required: [
          'endpointId',
          'messageId',
          'eventType',
          'resourceKey',
          'status',
          'attempts',
          'lastAttemptAt',
          'lastStatusCode',
          'lastError',
          'nextAttemptAt',
        ],
        properties: {
          endpointId: { type: 'string' },
          messageId: { type: 'string' },
          eventType: { type: 'string' },
          resourceKey: { type: 'string' },
          status: {
            type: 'string',
            enum: ['SUCCEEDED', 'FAILED', 'DEAD'],
            description: 'FAILED = retry scheduled; DEAD = given up (max attempts, 410, disabled)',
          },
          attempts: { type: 'integer' },
          lastAttemptAt: ts,
          lastStatusCode: nullable({ type: 'integer' }),
          lastError: nullable({ type: 'string' }),
          nextAttemptAt: nullable(ts),
        },
      },
      Attempt: {
        type: 'object',
        required: ['attempt', 'outcome', 'attemptedAt', 'durationMs', 'statusCode', 'responseExcerpt', 'error'],
        properties: {
          attempt: { type: 'integer' },
          outcome: { type: 'string', enum: ['SUCCEEDED', 'FAILED', 'DEAD'] },
          trigger: nullable({
            type: 'string',
            description: 'event (fan-out), manual (retry/recover) or test (a test message)',
          }),
          attemptedAt: ts,
          durationMs: { type: 'integer' },
          statusCode: nullable({ type: 'integer' }),
          responseExcerpt: nullable({ type: 'string' }),
          error: nullable({ type: 'string' }),
          nextAttemptAt: nullable(ts),
          url: nullable({ type: 'string' }),
        },
      },
      DeliveryDetail: {
        allOf: [
          ref('Delivery'),
          {
            type: 'object',
            required: ['payload', 'attemptLog'],
            properties: { payload: nullable({ type: 'string' }), attemptLog: { type: 'array', items: ref('Attempt') } },
          },
        ],
      },
    },
  },
  paths: {
    '/v1/endpoints': {
      post: op(
        'Create an endpoint (the response carries its signing secret)',
        'endpoints:write',
        { requestBody: { required: true, ...json({ allOf: [ref('EndpointInput'), { required: ['url'] }] }) } },
        { 201: { description: 'Created', ...json(ref('EndpointWithSecret')) } },
        [400, 415],
      ),
      get: op(
        'List endpoints (cursor pagination, oldest first)',
        'endpoints:read',
        {
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 250, default: 50 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
        },
        { 200: { description: 'A page', ...json(ref('EndpointPage')) } },
        [400],
      ),
    },
    '/v1/endpoints/{id}': {
      parameters: [idParam],
      get: op(
        'Get an endpoint',
        'endpoints:read',
        {},
        { 200: { description: 'The endpoint', ...json(ref('Endpoint')) } },
        [404],
      ),
      patch: op(
        'Update an endpoint (partial)',
        'endpoints:write',
        { requestBody: { required: true, ...json(ref('EndpointInput')) } },
        { 200: { description: 'Updated', ...json(ref('Endpoint')) } },
        [400, 404, 415],
      ),
      delete: op('Delete an endpoint', 'endpoints:write', {}, { 204: { description: 'Deleted' } }, [404]),
    },
    '/v1/endpoints/{id}/pause': {
      parameters: [idParam],
      post: op(
        'Pause deliveries (messages meanwhile are recorded as DEAD; recover them after resuming)',
        'endpoints:write',
        {},
        { 200: { description: 'Paused', ...json(ref('Endpoint')) } },
        [404],
      ),
    },
    '/v1/endpoints/{id}/resume': {
      parameters: [idParam],
      post: op(
        'Resume deliveries (also re-enables an endpoint the dispatcher disabled)',
        'endpoints:write',
        {},
        { 200: { description: 'Resumed', ...json(ref('Endpoint')) } },
        [404],
      ),
    },
    '/v1/endpoints/{id}/test': {
      parameters: [idParam],
      post: op(
        'Send a test message (event type hookline.test) to this endpoint only: signed, delivered and logged like any message (trigger "test"); 409 while the endpoint is paused or disabled; under /v1/tenants it counts in the tenant\'s publish rate (429 + Retry-After)',
        'endpoints:write',
        {},
        {
          202: {
            description: 'Queued; follow it in the delivery log with its messageId',
            ...json({
              type: 'object',
              required: ['endpointId', 'messageId', 'eventType', 'status'],
              properties: {
                endpointId: { type: 'string' },
                messageId: { type: 'string' },
                eventType: { type: 'string', const: 'hookline.test' },
                status: { type: 'string', const: 'queued' },
              },
            }),
          },
        },
        [404, 409, 429],
      ),
    },
    '/v1/endpoints/{id}/secret': {
      parameters: [idParam],
      get: op(
        'Show the signing secret (and previous ones still in their grace period)',
        'endpoints:write',
        {},
        { 200: { description: 'Secret', ...json(ref('Secret')) } },
        [404],
      ),
    },
    '/v1/endpoints/{id}/secret/rotate': {
      parameters: [idParam],
      post: op(
        'Rotate the signing secret; the previous one keeps signing for the grace period (default 24 h)',
        'endpoints:write',
        {
          requestBody: {
            required: false,
            ...json({ type: 'object', properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: 604800 } } }),
          },
        },
        { 200: { description: 'Rotated', ...json(ref('Secret')) } },
        [400, 404],
      ),
    },
    '/v1/endpoints/{id}/messages/{messageId}': {
      parameters: [idParam, { name: 'messageId', in: 'path', required: true, schema: { type: 'string' } }],
      get: op(
        'One message at one endpoint: status, payload and every attempt',
        'deliveries:read',
        {},
        { 200: { description: 'Delivery', ...json(ref('DeliveryDetail')) } },
        [404],
      ),
    },
    '/v1/endpoints/{id}/messages/{messageId}/retry': {
      parameters: [idParam, { name: 'messageId', in: 'path', required: true, schema: { type: 'string' } }],
      post: op(
        'Retry one message to this endpoint (same webhook-id)',
        'deliveries:retry',
        {},
        {
          202: {
            description: 'Queued',
            ...json({
              type: 'object',
              properties: { endpointId: { type: 'string' }, messageId: { type: 'string' }, status: { type: 'string' } },
            }),
          },
        },
        [404],
      ),
    },
    '/v1/endpoints/{id}/recover': {
      parameters: [idParam],
      post: op(
        'Retry every failed (FAILED or DEAD) message to this endpoint since a time, oldest first',
        'deliveries:retry',
        {
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              required: ['since'],
              properties: { since: { type: 'string', description: 'ISO 8601 or epoch ms' }, until: { type: 'string' } },
            }),
          },
        },
        {
          202: {
            description: 'Queued',
            ...json({
              type: 'object',
              required: ['queued', 'truncated'],
              properties: {
                endpointId: { type: 'string' },
                queued: { type: 'integer' },
                truncated: { type: 'boolean' },
              },
            }),
          },
        },
        [400, 404, 409, 415],
      ),
    },
    '/v1/deliveries': {
      get: op(
        'Query the delivery log (newest first)',
        'deliveries:read',
        {
          parameters: [
            { name: 'endpointId', in: 'query', schema: { type: 'string' } },
            {
              name: 'status',
              in: 'query',
              schema: { type: 'string' },
              description: 'Comma-separated: SUCCEEDED, FAILED, DEAD',
            },
            { name: 'eventType', in: 'query', schema: { type: 'string' } },
            {
              name: 'since',
              in: 'query',
              schema: { type: 'string' },
              description: 'ISO 8601 or epoch ms (latest attempt at or after)',
            },
            { name: 'until', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 250, default: 50 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
        },
        {
          200: {
            description: 'A page',
            ...json({
              type: 'object',
              required: ['data', 'nextCursor'],
              properties: { data: { type: 'array', items: ref('Delivery') }, nextCursor: nullable({ type: 'string' }) },
            }),
          },
        },
        [400],
      ),
    },
    '/v1/event-types': {
      get: op(
        'The event type catalogue',
        'endpoints:read',
        {},
        {
          200: {
            description: 'Catalogue',
            ...json({ type: 'object', properties: { data: { type: 'array', items: ref('EventType') } } }),
          },
        },
        [],
      ),
    },
    '/v1/event-types/{name}': {
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      put: op(
        'Create or update an event type',
        'endpoints:write',
        {
          requestBody: {
            required: true,
            ...json({ type: 'object', properties: { description: { type: 'string' }, schema: { type: 'object' } } }),
          },
        },
        { 200: { description: 'Stored', ...json(ref('EventType')) } },
        [400, 415],
      ),
      delete: op('Remove an event type', 'endpoints:write', {}, { 204: { description: 'Removed' } }, [404]),
    },
    '/v1/sources': {
      get: op(
        'List inbound sources (secrets never shown)',
        'sources:read',
        {},
        {
          200: {
            description: 'Sources',
            ...json({ type: 'object', properties: { data: { type: 'array', items: ref('Source') } } }),
          },
        },
        [],
      ),
    },
    '/v1/sources/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: op('Get a source', 'sources:read', {}, { 200: { description: 'Source', ...json(ref('Source')) } }, [404]),
      put: op(
        'Create or replace a source (validated like the sources file)',
        'sources:write',
        { requestBody: { required: true, ...json(ref('SourceInput')) } },
        {
          200: { description: 'Replaced', ...json(ref('Source')) },
          201: { description: 'Created', ...json(ref('Source')) },
        },
        [400, 415],
      ),
      delete: op('Delete a source', 'sources:write', {}, { 204: { description: 'Deleted' } }, [404]),
    },
  },
} as const;

export const openapi = withOperations(withTenants(unscoped));
