/**
 * OpenAPI for the tenant's own operations: API keys managed by API and the operational webhook
 * endpoint. Merged into the document by openapi-tenants.ts (withTenants), so the isolation test
 * walks these paths too.
 */
import { json, op, ref, tenantIdParam, ts } from './openapi-tenants.ts';

const SCOPE_LIST =
  'endpoints:read, endpoints:write, deliveries:read, deliveries:retry, tenants:read, messages:write, … or "*"';

/** Functions, not constants: this module and openapi-tenants.ts import each other. */
export const tenantOpsSchemas = () => ({
  ApiKeyInput: {
    type: 'object',
    required: ['scopes'],
    additionalProperties: false,
    properties: {
      scopes: { type: 'array', minItems: 1, items: { type: 'string' }, description: SCOPE_LIST },
      name: { type: 'string', maxLength: 200 },
    },
  },
  ApiKey: {
    type: 'object',
    required: ['id', 'tenantId', 'name', 'scopes', 'hint', 'createdAt'],
    properties: {
      id: { type: 'string', pattern: '^key_' },
      tenantId: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string' } },
      hint: { type: 'string', description: 'First characters of the key' },
      createdAt: ts,
    },
  },
  OperationalWebhookInput: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: { url: { type: 'string', format: 'uri' }, enabled: { type: 'boolean', default: true } },
  },
  OperationalWebhook: {
    type: 'object',
    required: ['url', 'enabled', 'updatedAt'],
    properties: {
      url: { type: 'string' },
      enabled: { type: 'boolean' },
      updatedAt: ts,
      secret: { type: 'string', description: 'whsec_…: only when created (first PUT) or rotated' },
    },
  },
  ApiKeyCreated: {
    allOf: [
      ref('ApiKey'),
      {
        type: 'object',
        required: ['key'],
        properties: { key: { type: 'string', pattern: '^hlk_', description: 'Shown once; only a hash is stored' } },
      },
    ],
  },
});

export const tenantOpsPaths = () => ({
  '/v1/tenants/{tenantId}/api-keys': {
    parameters: [tenantIdParam],
    post: op(
      'Create a tenant API key (the key is in this answer only)',
      'tenants:write',
      { requestBody: { required: true, ...json(ref('ApiKeyInput')) } },
      { 201: { description: 'Created', ...json(ref('ApiKeyCreated')) } },
      [400, 409, 415],
      true,
    ),
    get: op(
      'List the tenant’s API keys (no secrets)',
      'tenants:read',
      {},
      {
        200: {
          description: 'Oldest first',
          ...json({ type: 'object', properties: { data: { type: 'array', items: ref('ApiKey') } } }),
        },
      },
      [],
      true,
    ),
  },
  '/v1/tenants/{tenantId}/api-keys/{keyId}': {
    parameters: [tenantIdParam, { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } }],
    delete: op(
      'Revoke a tenant API key (effective at once on every admin instance)',
      'tenants:write',
      {},
      { 204: { description: 'Revoked' } },
      [],
      true,
    ),
  },
  '/v1/tenants/{tenantId}/operational-webhook': {
    parameters: [tenantIdParam],
    get: op(
      'The tenant’s operational webhook endpoint (no secret)',
      'endpoints:read',
      {},
      { 200: { description: 'The endpoint', ...json(ref('OperationalWebhook')) } },
      [],
    ),
    put: op(
      'Set where the tenant is told that one of its endpoints was disabled or keeps failing (endpoint.disabled, endpoint.failing; signed like any delivery)',
      'endpoints:write',
      { requestBody: { required: true, ...json(ref('OperationalWebhookInput')) } },
      {
        200: { description: 'Updated (the secret is unchanged and not shown)', ...json(ref('OperationalWebhook')) },
        201: { description: 'Created, with its signing secret (shown this once)', ...json(ref('OperationalWebhook')) },
      },
      [400, 415],
    ),
    delete: op(
      'Remove the operational webhook endpoint',
      'endpoints:write',
      {},
      { 204: { description: 'Removed' } },
      [],
    ),
  },
  '/v1/tenants/{tenantId}/operational-webhook/rotate-secret': {
    parameters: [tenantIdParam],
    post: op(
      'Replace the signing secret (the new one is in this answer only)',
      'endpoints:write',
      {},
      { 200: { description: 'Rotated', ...json(ref('OperationalWebhook')) } },
      [],
    ),
  },
});
