/**
 * Sources managed through the admin API reach the running ingress (SOURCES_STORE=redis), over the
 * real Redis and Kafka: a source created by PUT takes webhooks at once (no restart, no wait), a
 * second secret added for rotation is accepted next to the first, a deleted source answers 404, and
 * a Stripe-signed request (signed by the stripe SDK) lands on webhooks.raw.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { H } from '../../services/common/kafka/types.ts';
import { createRedis } from '../../services/common/redis.ts';
import { openRedisSourceStore } from '../../services/common/source-store-redis.ts';
import { rawEventId } from '../../services/common/raw.ts';
import { startService, type RunningService } from '../../services/common/service.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { ingressService } from '../../services/ingress/service.ts';
import { getProvider } from '../../services/providers/index.ts';
import { api, startAdminInProcess, type Api } from '../admin/helpers.ts';
import { OUTBOUND_TOPICS } from '../dispatcher/helpers.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import {
  clearRedisPrefix,
  eventually,
  provision,
  serviceEnv,
  stackConfig,
  testKafka,
  uniquePrefix,
} from '../helpers/env.ts';

const prefix = uniquePrefix('ingress-src');
const redisPrefix = `${prefix}hl:`;
const stripe = new Stripe('sk_test_unused');
const OLD = 'whsec_test_sources_redis_old';
const NEW = 'whsec_test_sources_redis_new';

function post(base: string, source: string, id: string, secret: string): Promise<Response> {
  const body = JSON.stringify({
    id,
    object: 'event',
    type: 'payment_intent.succeeded',
    created: 1700000000,
    data: { object: { id: `pi_${id}`, object: 'payment_intent', status: 'succeeded' } },
  });
  const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return fetch(`${base}/webhooks/${source}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'stripe-signature': sig },
  });
}

describe('ingress reading sources the admin API manages (SOURCES_STORE=redis)', () => {
  let admin: RunningService;
  let ingress: RunningService;
  let call: Api;
  let base: string;
  let raw: Collector;

  before(async () => {
    await provision(prefix, [...OUTBOUND_TOPICS, ...TOPICS.filter((t) => t.name === 'webhooks.raw')]);
    admin = await startAdminInProcess(prefix, redisPrefix);
    call = api(`http://127.0.0.1:${admin.port}`);
    ingress = await startService(
      ingressService(serviceEnv(prefix, { SOURCES_STORE: 'redis', REDIS_KEY_PREFIX: redisPrefix, HTTP_PORT: '0' })),
    );
    base = `http://127.0.0.1:${ingress.port}`;
    await eventually(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      30_000,
      'ingress ready',
    );
    raw = await collect(testKafka(), topicName(prefix, 'webhooks.raw'));
  });

  after(async () => {
    await raw?.stop();
    await ingress?.stop();
    await admin?.stop();
    await clearRedisPrefix(redisPrefix);
  });

  it('takes a source created through the admin API at once, accepts both secrets during a rotation, and 404s after its deletion', async () => {
    assert.equal((await post(base, 'stripe-live', 'evt_before', OLD)).status, 404, 'not created yet');

    assert.equal((await call('PUT', '/v1/sources/stripe-live', { provider: 'stripe', secrets: [OLD] })).status, 201);
    // Immediately, no wait: the change notification, or else the re-read on a miss (next test).
    const first = await post(base, 'stripe-live', 'evt_first', OLD);
    assert.equal(first.status, 200);
    assert.equal(
      (await post(base, 'stripe-live', 'evt_wrong', NEW)).status,
      401,
      'the new secret is not configured yet',
    );

    assert.equal(
      (await call('PUT', '/v1/sources/stripe-live', { provider: 'stripe', secrets: [OLD, NEW] })).status,
      200,
    );
    // An update arrives by the change notification (the source exists, so no miss triggers a re-read).
    await eventually(
      async () => ((await post(base, 'stripe-live', 'evt_new', NEW)).status === 200 ? true : undefined),
      10_000,
      'the new secret accepted',
    );
    assert.equal((await post(base, 'stripe-live', 'evt_old', OLD)).status, 200, 'the old secret still accepted');

    const eventId = rawEventId('stripe-live', 'evt_first');
    const m = await eventually(
      () => raw.messages.find((x) => x.headers[H.eventId] === eventId),
      30_000,
      'the raw record',
    );
    assert.equal(m.headers[H.source], 'stripe-live');

    assert.equal((await call('DELETE', '/v1/sources/stripe-live')).status, 204);
    await eventually(
      async () => ((await post(base, 'stripe-live', 'evt_after', OLD)).status === 404 ? true : undefined),
      10_000,
      '404 after the deletion',
    );
    const stored = new Set(raw.messages.map((x) => x.headers[H.eventId]));
    assert.ok(
      !stored.has(rawEventId('stripe-live', 'evt_wrong')) && !stored.has(rawEventId('stripe-live', 'evt_before')),
      'refused requests wrote nothing',
    );
  });

  it('a miss re-reads the store without a change notification, at most once a second', async () => {
    const redis = createRedis(stackConfig.REDIS_URL);
    await redis.connect();
    const store = await openRedisSourceStore({ redis, prefix: redisPrefix, lookup: getProvider, refreshMs: 3_600_000 }); // no subscriber
    try {
      assert.equal(
        (await call('PUT', '/v1/sources/gh-late', { provider: 'github', secrets: ['gh-secret-1'] })).status,
        201,
      );
      assert.equal(store.get('gh-late'), undefined, 'not seen without a notification');
      await new Promise((r) => setTimeout(r, 1100)); // the read at open counts as the last re-read
      await store.refresh!();
      assert.deepEqual(store.get('gh-late')?.secrets, ['gh-secret-1']);
      assert.equal(
        (await call('PUT', '/v1/sources/gh-later', { provider: 'github', secrets: ['gh-secret-2'] })).status,
        201,
      );
      await store.refresh!();
      assert.equal(store.get('gh-later'), undefined, 'a second miss within the second does not re-read');
      await new Promise((r) => setTimeout(r, 1100));
      await store.refresh!();
      assert.equal(store.get('gh-later')?.id, 'gh-later');
    } finally {
      await store.close();
      redis.disconnect();
    }
  });
});
