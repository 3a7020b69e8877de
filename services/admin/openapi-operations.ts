/**
 * The operations part of the OpenAPI document (the console's backend, admin keys only): dead
 * letters, replay, consumer groups, the event explorer, the overview and source stats.
 */
type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const err = (description: string) => ({ description, ...json(ref('Error')) });
const ERRORS: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid API key',
  403: 'API key lacks the scope, or a tenant key / portal token (admin keys only)',
  404: 'Not found',
  409: 'Conflict: the consumer group has active members',
  415: 'Body is not JSON',
  501: 'Not available in this admin',
  503: 'Kafka unavailable (Retry-After)',
};
const op = (summary: string, scope: string, extra: Json, ok: Json, codes: number[]) => ({
  summary,
  description: `Scope: \`${scope}\`. Admin keys only.`,
  security: [{ bearer: [scope] }],
  ...extra,
  responses: { ...ok, ...Object.fromEntries([401, 403, 503, ...codes].map((c) => [String(c), err(ERRORS[c]!)])) },
});
const ts = { type: 'string', format: 'date-time' };
const str = { type: 'string' };
const int = { type: 'integer' };
const nullable = (schema: Json) => ({ oneOf: [schema, { type: 'null' }] });
const q = (name: string, description: string, schema: Json = str, required = false) => ({
  name,
  in: 'query',
  required,
  schema,
  description,
});
const DLQ_TOPIC = { type: 'string', enum: ['webhooks.dlq', 'processors.dlq', 'outbound.dlq'] };
/** Offsets are strings (64-bit). */
const offset = { type: 'string', pattern: '^-?\\d+$' };

const schemas: Record<string, Json> = {
  DeadLetterSummary: {
    type: 'object',
    required: ['id', 'topic', 'reason', 'time', 'bytes'],
    properties: {
      id: { type: 'string', description: '<sourceTopic>/<partition>/<offset>[/<handler>]; URL-encode it in paths' },
      topic: DLQ_TOPIC,
      stage: str,
      reason: str,
      error: { type: 'string', description: 'First 300 characters (full text in the detail)' },
      source: nullable(str),
      type: nullable(str),
      resourceKey: nullable(str),
      sourceTopic: str,
      attempts: int,
      time: ts,
      bytes: int,
      excerpt: nullable({ type: 'string', description: 'First 200 characters when the bytes are UTF-8 text' }),
      traceId: nullable(str),
    },
  },
  DeadLetterPage: {
    type: 'object',
    required: ['topic', 'total', 'data', 'nextCursor'],
    properties: {
      topic: DLQ_TOPIC,
      total: { type: 'integer', description: 'Records matching the filters' },
      data: { type: 'array', items: ref('DeadLetterSummary') },
      nextCursor: nullable(str),
    },
  },
  DeadLetter: {
    allOf: [
      ref('DeadLetterSummary'),
      {
        type: 'object',
        required: ['headers', 'valueBase64', 'valueUtf8'],
        properties: {
          headers: { type: 'object', additionalProperties: str },
          valueBase64: nullable({ type: 'string', description: 'The full original bytes' }),
          valueUtf8: nullable({ type: 'string', description: 'The bytes as text when they are valid UTF-8' }),
          sourcePartition: int,
          sourceOffset: int,
          dlqPartition: int,
          dlqOffset: offset,
        },
      },
    ],
  },
  RedriveInput: {
    type: 'object',
    required: ['topic', 'dryRun'],
    additionalProperties: false,
    properties: {
      topic: DLQ_TOPIC,
      reason: str,
      source: str,
      type: str,
      since: ts,
      ids: { type: 'array', items: str, minItems: 1, maxItems: 10000 },
      dryRun: { type: 'boolean', description: 'true: count only; false: redrive (each record at most once)' },
    },
  },
  RedriveResult: {
    type: 'object',
    required: ['topic', 'dryRun', 'matching', 'alreadyRedriven', 'ids'],
    properties: {
      topic: DLQ_TOPIC,
      dryRun: { type: 'boolean' },
      matching: int,
      alreadyRedriven: { type: 'integer', description: 'Matching records redriven before (ledger in ops.events)' },
      wouldRedrive: { type: 'integer', description: 'Dry run only' },
      redriven: { type: 'integer', description: 'Real run only' },
      ids: { type: 'array', items: str, description: 'Ids redriven now (dry run: that would be)' },
    },
  },
  ReplayInput: {
    type: 'object',
    required: ['group', 'topic', 'to', 'dryRun'],
    additionalProperties: false,
    properties: {
      group: { type: 'string', description: 'A consumer group of this deployment (GET /v1/consumer-groups)' },
      topic: str,
      to: {
        oneOf: [
          { type: 'object', required: ['datetime'], properties: { datetime: ts } },
          { type: 'object', required: ['offset'], properties: { offset: { oneOf: [int, offset] } } },
          { type: 'object', required: ['earliest'], properties: { earliest: { const: true } } },
          { type: 'object', required: ['latest'], properties: { latest: { const: true } } },
          { type: 'string', enum: ['earliest', 'latest'] },
        ],
      },
      partition: int,
      dryRun: { type: 'boolean' },
    },
  },
  ReplayPlan: {
    type: 'object',
    required: ['group', 'topic', 'state', 'members', 'partitions', 'reread', 'dryRun', 'applied'],
    properties: {
      group: str,
      topic: str,
      state: str,
      members: int,
      reread: offset,
      dryRun: { type: 'boolean' },
      applied: { type: 'boolean' },
      partitions: {
        type: 'array',
        items: {
          type: 'object',
          required: ['partition', 'current', 'target', 'low', 'high', 'reread', 'skipped'],
          properties: {
            partition: int,
            current: nullable(offset),
            target: offset,
            low: offset,
            high: offset,
            reread: offset,
            skipped: offset,
          },
        },
      },
    },
  },
  ConsumerGroups: {
    type: 'object',
    required: ['data', 'at'],
    properties: {
      at: ts,
      data: {
        type: 'array',
        items: {
          type: 'object',
          required: ['group', 'state', 'members', 'topics'],
          properties: {
            group: str,
            state: str,
            members: int,
            topics: {
              type: 'array',
              items: {
                type: 'object',
                required: ['topic', 'lag', 'committed'],
                properties: { topic: str, lag: int, committed: int },
              },
            },
          },
        },
      },
    },
  },
};

const STEP = {
  type: 'object',
  required: ['stage', 'topic', 'partition', 'offset', 'at', 'read', 'detail'],
  properties: {
    stage: { type: 'string', enum: ['raw', 'normalized', 'domain', 'stale', 'dead-letter', 'outbound', 'attempt'] },
    topic: nullable(str),
    partition: nullable(int),
    offset: nullable(offset),
    at: ts,
    read: { type: 'boolean', description: 'false: known from a later record’s pointer, not read in this search' },
    detail: {
      type: 'object',
      description: 'Per stage: deliveryId, eventType, reason, messageId, endpointId, outcome…',
    },
  },
};
schemas.EventSearch = {
  type: 'object',
  required: ['q', 'kind', 'since', 'until', 'scanned', 'truncated', 'events'],
  properties: {
    q: str,
    kind: { type: 'string', enum: ['event', 'delivery', 'resource', 'trace', 'id'] },
    since: ts,
    until: ts,
    scanned: { type: 'integer', description: 'Kafka records read' },
    truncated: { type: 'boolean', description: 'Stopped at maxScan or the time limit: widen or narrow and retry' },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['eventId', 'outcome', 'path'],
        properties: {
          eventId: str,
          eventType: nullable(str),
          sourceId: nullable(str),
          resourceKey: nullable(str),
          deliveryId: nullable(str),
          traceId: nullable(str),
          traceUrl: nullable(str),
          outcome: {
            type: 'string',
            enum: ['delivered', 'dead-lettered', 'stale', 'outbound', 'sequenced', 'normalized', 'received'],
          },
          path: { type: 'array', items: STEP },
        },
      },
    },
  },
};

const SERIES = {
  type: 'array',
  items: { type: 'object', required: ['t', 'v'], properties: { t: ts, v: nullable({ type: 'number' }) } },
};
schemas.Overview = {
  type: 'object',
  required: ['source', 'from', 'to', 'stepSeconds', 'stages', 'dlq', 'delivery'],
  properties: {
    source: { type: 'string', enum: ['prometheus', 'sampler'] },
    from: ts,
    to: ts,
    stepSeconds: int,
    historyFrom: { ...ts, description: 'Oldest time with data (the sampler keeps ADMIN_METRICS_WINDOW_MINUTES)' },
    stages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['stage', 'throughput', 'errorRate', 'lag'],
        properties: {
          stage: { type: 'string', enum: ['ingress', 'validator', 'sequencer', 'processors', 'dispatcher'] },
          throughput: { ...SERIES, description: 'Records per second' },
          errorRate: { ...SERIES, description: '0..1; null without traffic' },
          lag: { ...SERIES, description: 'Consumer lag of the stage’s groups (records)' },
        },
      },
    },
    dlq: {
      type: 'array',
      items: { type: 'object', required: ['topic', 'records'], properties: { topic: str, records: int } },
    },
    delivery: {
      type: 'object',
      required: ['attempts', 'succeeded', 'successRate'],
      properties: { attempts: int, succeeded: int, successRate: nullable({ type: 'number' }) },
    },
  },
};
schemas.SourceStats = {
  type: 'object',
  required: ['sourceId', 'lastReceivedAt', 'receivedLastHour', 'unauthorized', 'duplicatesDropped', 'quiet'],
  properties: {
    source: { type: 'string', enum: ['prometheus', 'sampler'] },
    sourceId: str,
    lastReceivedAt: nullable(ts),
    receivedLastHour: int,
    perMinute: { type: 'number' },
    unauthorized: { type: 'integer', description: '401 answers in the last hour' },
    rejectedByReason: { type: 'object', additionalProperties: int, description: 'Refusals in the last hour by reason' },
    duplicatesDropped: int,
    quiet: nullable({ type: 'boolean', description: 'HooklineSourceQuiet firing; null without Prometheus' }),
    quietAlert: nullable({ type: 'string', enum: ['firing', 'pending'] }),
  },
};

const paths: Record<string, Json> = {
  '/v1/overview': {
    get: op(
      'Per-stage throughput, error rate and lag over a window; DLQ depth; delivery success rate',
      'operations:read',
      { parameters: [q('minutes', 'Window, 5..1440 (default 60)', int)] },
      { 200: { description: 'The overview', ...json(ref('Overview')) } },
      [400, 501],
    ),
  },
  '/v1/source-stats': {
    get: op(
      'Stats of every source over the last hour',
      'operations:read',
      {},
      {
        200: {
          description: 'One entry per configured source',
          ...json({
            type: 'object',
            required: ['source', 'data'],
            properties: { source: str, data: { type: 'array', items: ref('SourceStats') } },
          }),
        },
      },
      [501],
    ),
  },
  '/v1/sources/{id}/stats': {
    get: op(
      'Stats of one source over the last hour',
      'operations:read',
      { parameters: [{ name: 'id', in: 'path', required: true, schema: str, description: 'Source id' }] },
      { 200: { description: 'The stats', ...json(ref('SourceStats')) } },
      [404, 501],
    ),
  },
  '/v1/events/search': {
    get: op(
      'Event explorer: find an event and its path through the pipeline',
      'operations:read',
      {
        parameters: [
          q('q', 'Event id, provider delivery id, resource key or trace id', str, true),
          q('kind', 'Force the reading of q (default: detected)', {
            type: 'string',
            enum: ['event', 'delivery', 'resource', 'trace'],
          }),
          q('since', 'Window start (default 24 h ago, at most 30 days)', ts),
          q('maxScan', 'Most Kafka records read (default 100000)', int),
          q('limit', 'Most events answered (default 20)', int),
        ],
      },
      { 200: { description: 'Matching events, newest first', ...json(ref('EventSearch')) } },
      [400],
    ),
  },
  '/v1/dead-letters': {
    get: op(
      'List dead letters of one DLQ topic',
      'operations:read',
      {
        parameters: [
          q('topic', 'The dead-letter topic', DLQ_TOPIC, true),
          q('reason', 'Exact reason'),
          q('source', 'Source id'),
          q('type', 'Event type'),
          q('since', 'Failed at or after', ts),
          q('cursor', 'nextCursor of the previous page'),
          q('limit', '1..250, default 50', int),
        ],
      },
      { 200: { description: 'A page, oldest first', ...json(ref('DeadLetterPage')) } },
      [400],
    ),
  },
  '/v1/dead-letters/{id}': {
    get: op(
      'One dead letter with its full original bytes',
      'operations:read',
      {
        parameters: [
          { name: 'id', in: 'path', required: true, schema: str, description: 'Dead-letter id, URL-encoded' },
          q('topic', 'The dead-letter topic', DLQ_TOPIC, true),
        ],
      },
      { 200: { description: 'The dead letter', ...json(ref('DeadLetter')) } },
      [400, 404],
    ),
  },
  '/v1/dead-letters/redrive': {
    post: op(
      'Redrive dead letters to their source topic (dry run counts)',
      'operations:write',
      { requestBody: { required: true, ...json(ref('RedriveInput')) } },
      { 200: { description: 'Counts and ids', ...json(ref('RedriveResult')) } },
      [400, 415],
    ),
  },
  '/v1/replay': {
    post: op(
      'Reset a consumer group’s offsets on a topic (dry run shows the plan)',
      'operations:write',
      { requestBody: { required: true, ...json(ref('ReplayInput')) } },
      { 200: { description: 'The plan per partition; applied when not a dry run', ...json(ref('ReplayPlan')) } },
      [400, 404, 409, 415],
    ),
  },
  '/v1/consumer-groups': {
    get: op(
      'This deployment’s consumer groups: state, members, lag per topic',
      'operations:read',
      {},
      { 200: { description: 'The groups', ...json(ref('ConsumerGroups')) } },
      [],
    ),
  },
};

/** The document with the operations paths and schemas added. */
export function withOperations<D extends { paths: object; components: { schemas: object } }>(doc: D): D {
  return {
    ...doc,
    components: { ...doc.components, schemas: { ...doc.components.schemas, ...schemas } },
    paths: { ...doc.paths, ...paths },
  };
}
