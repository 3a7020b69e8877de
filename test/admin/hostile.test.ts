/**
 * Hostile input at the admin API, property-based (fast-check), on the real Redis: generated bodies
 * that are invalid JSON, carry wrong types, huge strings, odd unicode or unknown fields always get a
 * 4xx with the documented error shape (field-level `details` naming the field when the body is a
 * JSON object), never a 500, and never a partial write (the Redis keys under the test's prefix are
 * exactly what they were before).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunningService } from '../../services/common/service.ts';
import { createRedis } from '../../services/common/redis.ts';
import { OUTBOUND_TOPICS } from '../dispatcher/helpers.ts';
import { clearRedisPrefix, provision, stackConfig, uniquePrefix } from '../helpers/env.ts';
import { api, KEYS, startAdminInProcess, type Api } from './helpers.ts';

const prefix = uniquePrefix('admin-hostile');
const redisPrefix = `hookline-test:${prefix}`;

/** A value of any JSON type except the one a field wants. */
const wrongFor = (want: 'string' | 'array' | 'object' | 'number' | 'boolean') =>
  fc
    .oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
    )
    .filter((v) => {
      const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
      return t !== want;
    });

const weirdUnicode = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const huge = fc.integer({ min: 2001, max: 1_000_000 }).map((n) => 'é'.repeat(n));
const unknownKey = fc
  .oneof(weirdUnicode, fc.constantFrom('__proto__', 'constructor', 'id', 'secret', 'state', 'créé', '\u0000'))
  .filter((k) => !['url', 'description', 'eventTypes', 'headers', 'rateLimitPerSecond', 'enabled'].includes(k));

const validEndpoint = { url: 'https://example.com/hook', eventTypes: ['payment.*'] };
/** An endpoint body with exactly one defect, and the field the answer must name. */
const badEndpoint = fc.oneof(
  fc.tuple(wrongFor('string'), fc.constant('url')).map(([v, f]) => ({ body: { ...validEndpoint, url: v }, field: f })),
  fc
    .tuple(wrongFor('array'), fc.constant('eventTypes'))
    .map(([v, f]) => ({ body: { ...validEndpoint, eventTypes: v }, field: f })),
  fc
    .tuple(wrongFor('object'), fc.constant('headers'))
    .map(([v, f]) => ({ body: { ...validEndpoint, headers: v }, field: f })),
  huge.map((s) => ({ body: { ...validEndpoint, url: `https://example.com/${s}` }, field: 'url' })),
  huge.map((s) => ({ body: { ...validEndpoint, description: s }, field: 'description' })),
  weirdUnicode.map((s) => ({ body: { ...validEndpoint, eventTypes: [`${s} ${s}`] }, field: 'eventTypes[0]' })),
  fc.tuple(unknownKey, fc.jsonValue()).map(([k, v]) => ({
    body: JSON.parse(`{"url":"https://example.com/hook",${JSON.stringify(k)}:${JSON.stringify(v)}}`) as object,
    field: k,
  })),
);
const invalidJson = fc.string({ maxLength: 200 }).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});

async function redisSnapshot(): Promise<Map<string, string>> {
  const r = createRedis(stackConfig.REDIS_URL);
  await r.connect();
  try {
    const out = new Map<string, string>();
    for (const k of (await r.keys(`${redisPrefix}*`)).sort()) {
      const type = await r.type(k);
      out.set(
        k,
        type === 'hash' ? JSON.stringify(await r.hgetall(k)) : type === 'string' ? ((await r.get(k)) ?? '') : type,
      );
    }
    return out;
  } finally {
    r.disconnect();
  }
}

describe('admin API: generated hostile bodies (fast-check, real Redis)', () => {
  let admin: RunningService;
  let call: Api;
  let endpointId: string;
  let base: string;

  before(async () => {
    await provision(prefix, OUTBOUND_TOPICS);
    admin = await startAdminInProcess(prefix, redisPrefix);
    base = `http://127.0.0.1:${admin.port}`;
    call = api(base);
    const created = await call('POST', '/v1/endpoints', validEndpoint);
    assert.equal(created.status, 201);
    endpointId = created.body.id as string;
  });
  after(async () => {
    await admin.stop();
    await clearRedisPrefix(redisPrefix);
  });

  const rawPost = (method: string, path: string, text: string) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEYS.all}`, 'content-type': 'application/json' },
      body: text,
    });

  it('endpoints (create and update): one defect → 400 naming the field, no write', async () => {
    const before = await redisSnapshot();
    await fc.assert(
      fc.asyncProperty(badEndpoint, fc.boolean(), async ({ body, field }, update) => {
        const res = update
          ? await call('PATCH', `/v1/endpoints/${endpointId}`, body)
          : await call('POST', '/v1/endpoints', body);
        assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
        assert.equal(res.body.error.code, 'invalid_request');
        const paths = (res.body.error.details as { path: string; message: string }[]).map((d) => d.path);
        assert.ok(
          paths.some((p) => p === field || p.startsWith(`${field}.`) || p.startsWith(`${field}[`)),
          `details name ${JSON.stringify(field)}: ${JSON.stringify(paths)}`,
        );
      }),
      { numRuns: 150 },
    );
    assert.deepEqual(await redisSnapshot(), before, 'no partial write');
  });

  it('invalid JSON, non-object JSON and a wrong media type: 400/415, never 500, no write', async () => {
    const before = await redisSnapshot();
    const routes = fc.constantFrom(
      ['POST', '/v1/endpoints'],
      ['PATCH', `/v1/endpoints/ID`],
      ['PUT', '/v1/sources/hostile-src'],
      ['PUT', '/v1/event-types/hostile.type'],
    );
    await fc.assert(
      fc.asyncProperty(
        routes,
        fc.oneof(invalidJson, fc.constantFrom('[]', '1', '"x"', 'null', 'true')),
        async ([m, p], text) => {
          const res = await rawPost(m, p.replace('ID', endpointId), text);
          const body = (await res.json()) as { error: { code: string; message: string } };
          assert.equal(res.status, 400, `${m} ${p} ${JSON.stringify(text)} → ${res.status}`);
          assert.ok(['invalid_json', 'invalid_request'].includes(body.error.code));
          assert.ok(body.error.message.length > 0);
        },
      ),
      { numRuns: 150 },
    );
    const wrongType = await fetch(`${base}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.all}`, 'content-type': 'text/plain' },
      body: JSON.stringify(validEndpoint),
    });
    assert.equal(wrongType.status, 415);
    assert.deepEqual(await redisSnapshot(), before, 'no partial write');
  });

  it('sources: wrong types, huge strings, unicode and unknown fields → 4xx with a message naming the problem, no write', async () => {
    const before = await redisSnapshot();
    const badSource = fc.oneof(
      wrongFor('string').map((v) => ({ provider: v, secrets: ['s'] })),
      wrongFor('array').map((v) => ({ provider: 'stripe', secrets: v })),
      huge.map((s) => ({ provider: s, secrets: ['s'] })),
      weirdUnicode.map((s) => ({ provider: `x-${s}`, secrets: ['s'] })),
      fc
        .tuple(
          unknownKey.filter((k) => !['id', 'provider', 'secrets', 'options', 'tenantId'].includes(k)),
          fc.jsonValue(),
        )
        .map(
          ([k, v]) =>
            JSON.parse(`{"provider":"stripe","secrets":["s"],${JSON.stringify(k)}:${JSON.stringify(v)}}`) as object,
        ),
    );
    await fc.assert(
      fc.asyncProperty(badSource, async (body) => {
        const res = await call('PUT', '/v1/sources/hostile-src', body);
        assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body).slice(0, 200)} → ${res.status}`);
        assert.ok(typeof res.body.error.message === 'string' && res.body.error.message.length > 0);
      }),
      { numRuns: 100 },
    );
    assert.deepEqual(await redisSnapshot(), before, 'no partial write');
  });
});
