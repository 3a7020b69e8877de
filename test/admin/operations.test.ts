/**
 * The console's operations API on the real stack, every service its own process: the demo's
 * webhooks are delivered, a poison webhook really goes through ingress → validator → webhooks.dlq,
 * and then the admin lists, shows (full bytes), dry-runs and redrives it exactly once; plans a replay
 * and refuses the real one while the group is active; finds a delivered event by event id, delivery
 * id, resource key and trace id with its path in order; draws the overview from the services'
 * /metrics; and refuses tenant keys on every operations route.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { runDemo, type DemoResult } from '../../scripts/demo.ts';
import type { DeadLetter, NormalizedEnvelope } from '../../services/common/contracts/index.ts';
import { H } from '../../services/common/kafka/types.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { topicName } from '../../services/common/topics.ts';
import { openapi } from '../../services/admin/openapi.ts';
import { collect } from '../helpers/collect.ts';
import { eventually, provision, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';
import { freePort, ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';
import { api, type Api, type Json } from './helpers.ts';

const prefix = uniquePrefix('ops-api');
const ADMIN_KEY = 'ops-admin-key-0123456789';
const READ_KEY = 'ops-read-key-0123456789';
const TENANT_KEY = 'ops-tenant-key-0123456789';
const STRIPE_SECRET = 'whsec_test_hookline_local_only_not_a_real_secret';
const GROUP_PREFIX = 'hookline-test';
const env = {
  SOURCES_FILE: `${ROOT}deploy/local/sources.example.json`,
  ADMIN_API_KEYS: `${ADMIN_KEY}:*;${READ_KEY}:endpoints:read;${TENANT_KEY}@acme:*`,
  ADMIN_ALLOW_HTTP: 'true',
  DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  REDIS_KEY_PREFIX: `hookline-test:${prefix}`,
  GROUP_PREFIX,
};
const PIPELINE = ['ingress', 'validator', 'sequencer', 'processors', 'dispatcher'];
const t = (name: string) => topicName(prefix, name);

const stripeSigned = (body: string) => {
  const ts = Math.floor(Date.now() / 1000);
  return `t=${ts},v1=${createHmac('sha256', STRIPE_SECRET).update(`${ts}.${body}`).digest('hex')}`;
};

describe('admin operations API (console backend) on the real stack', () => {
  const services = new Map<string, ServiceProcess>();
  let call: Api;
  let demo: DemoResult;
  let ingress: string;

  before(async () => {
    await provision(prefix);
    for (const name of PIPELINE) services.set(name, await startServiceProcess(name, prefix, env));
    const targets = PIPELINE.map((n) => `${n}=http://127.0.0.1:${services.get(n)!.port}/metrics`).join(',');
    const adminPort = await freePort();
    services.set(
      'admin',
      await startServiceProcess(
        'admin',
        prefix,
        {
          ...env,
          ADMIN_METRICS_TARGETS: `${targets},admin=http://127.0.0.1:${adminPort}/metrics`,
          ADMIN_METRICS_INTERVAL_MS: '1000',
          ADMIN_LAG_INTERVAL_MS: '1000',
          ADMIN_TRACE_URL_TEMPLATE: 'http://127.0.0.1:16686/trace/{traceId}',
        },
        adminPort,
      ),
    );
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    ingress = `http://127.0.0.1:${services.get('ingress')!.port}`;
    const http = api(adminUrl);
    call = (method, path, body, key = ADMIN_KEY) => http(method, path, body, key);
    demo = await runDemo({
      ingressUrl: ingress,
      adminUrl,
      adminKey: ADMIN_KEY,
      stripeSource: 'stripe-test',
      stripeSecret: STRIPE_SECRET,
      githubSource: 'github-test',
      githubSecret: 'test-github-secret-local-only',
      timeoutMs: 120_000,
    });
  });

  after(async () => {
    for (const name of ['admin', ...PIPELINE].reverse()) await services.get(name)?.stop();
  });

  it('refuses tenant keys (403) and keys without the operations scopes (403) on every operations route', async () => {
    const routes = Object.entries(openapi.paths as Record<string, Record<string, unknown>>)
      .filter(([p]) =>
        /^\/v1\/(dead-letters|replay|consumer-groups|events|overview|source-stats|sources\/\{id\}\/stats)/.test(p),
      )
      .flatMap(([p, item]) => ['get', 'post'].filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), p })));
    assert.ok(routes.length >= 6, `only ${routes.length} operations routes documented`);
    for (const key of [TENANT_KEY, READ_KEY])
      for (const r of routes) {
        const path = r.p.replace('{id}', r.p.startsWith('/v1/sources') ? 'stripe-test' : 'x');
        const res = await call(r.method, path, r.method === 'POST' ? {} : undefined, key);
        assert.equal(res.status, 403, `${r.method} ${path} with ${key.slice(0, 8)}…: ${res.status}`);
      }
  });

  it('lists, shows (full bytes), dry-runs and redrives a poison webhook exactly once', async () => {
    const poison = JSON.stringify({
      id: `evt_poison_${Date.now()}`,
      object: 'event',
      type: 'payment_intent.succeeded',
    });
    const sent = await fetch(`${ingress}/webhooks/stripe-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSigned(poison) },
      body: poison,
    });
    assert.equal(sent.status, 200, await sent.text());
    const first = await eventually(
      async () => {
        const r = await call('GET', '/v1/dead-letters?topic=webhooks.dlq&source=stripe-test');
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const rows = r.body.data as Json[];
        return rows[0] as
          | {
              id: string;
              topic: string;
              source: string;
              sourceTopic: string;
              bytes: number;
              excerpt: string;
              reason: string;
            }
          | undefined;
      },
      90_000,
      'the poison webhook in webhooks.dlq',
    );
    assert.equal(first.topic, 'webhooks.dlq');
    assert.equal(first.source, 'stripe-test');
    assert.equal(first.sourceTopic, 'webhooks.raw');
    assert.equal(first.bytes, Buffer.byteLength(poison));
    assert.ok(first.excerpt.startsWith('{"id":"evt_poison_'));
    assert.ok(first.reason);

    const shown = await call('GET', `/v1/dead-letters/${encodeURIComponent(first.id)}?topic=webhooks.dlq`);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.equal(Buffer.from(shown.body.valueBase64, 'base64').toString('utf8'), poison, 'the full original bytes');
    assert.equal(shown.body.valueUtf8, poison);
    assert.equal(shown.body.headers[H.source], 'stripe-test');
    assert.equal(
      (await call('GET', `/v1/dead-letters/${encodeURIComponent('webhooks.raw/0/999999')}?topic=webhooks.dlq`)).status,
      404,
    );
    assert.equal((await call('GET', '/v1/dead-letters?topic=events.payments')).status, 400, 'not a DLQ topic');

    const body = { topic: 'webhooks.dlq', ids: [first.id] };
    const dry = await call('POST', '/v1/dead-letters/redrive', { ...body, dryRun: true });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual(
      { matching: dry.body.matching, wouldRedrive: dry.body.wouldRedrive, ids: dry.body.ids },
      { matching: 1, wouldRedrive: 1, ids: [first.id] },
    );
    assert.equal((await call('POST', '/v1/dead-letters/redrive', body)).status, 400, 'dryRun is required');
    const real = await call('POST', '/v1/dead-letters/redrive', { ...body, dryRun: false });
    assert.equal(real.status, 200, JSON.stringify(real.body));
    assert.equal(real.body.redriven, 1);
    const again = await call('POST', '/v1/dead-letters/redrive', { ...body, dryRun: false });
    assert.deepEqual([again.body.redriven, again.body.alreadyRedriven], [0, 1], 'a second redrive does nothing');

    // The redriven bytes really went back to webhooks.raw (and fail again: a second dead letter).
    const codec = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
    const dlq = await collect(testKafka(), t('webhooks.dlq'));
    try {
      const letters = await eventually(
        async () => {
          const all = await Promise.all(dlq.messages.map((m) => codec.decode<DeadLetter>(m.value!)));
          const mine = all.filter((d) => d.value?.toString('utf8') === poison);
          return mine.length >= 2 ? mine : undefined;
        },
        60_000,
        'the redriven record dead-lettered again',
      );
      assert.equal(letters[1]!.headers['hookline-redriven-from'], first.id);
    } finally {
      await dlq.stop();
    }
  });

  it('lists the consumer groups, plans a replay per partition, and refuses the real one while the group is active', async () => {
    const group = `${GROUP_PREFIX}.${prefix}sequencer`;
    const groups = await call('GET', '/v1/consumer-groups');
    assert.equal(groups.status, 200);
    const seq = (groups.body.data as Json[]).find((g) => g.group === group);
    assert.ok(
      seq,
      `group ${group} listed among ${(groups.body.data as { group: string }[]).map((g) => g.group).join(', ')}`,
    );
    assert.ok(seq.members >= 1);
    assert.ok(seq.topics.some((x: Json) => x.topic === 'webhooks.normalized'));

    const plan = await call('POST', '/v1/replay', {
      group,
      topic: 'webhooks.normalized',
      to: { earliest: true },
      dryRun: true,
    });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    assert.equal(plan.body.applied, false);
    assert.ok(plan.body.partitions.length >= 1);
    for (const p of plan.body.partitions as Json[]) {
      assert.equal(p.target, p.low);
      assert.equal(BigInt(p.reread), BigInt(p.current ?? p.low) - BigInt(p.low));
    }
    assert.ok(BigInt(plan.body.reread) > 0n, 'the demo events would be re-read');
    const refused = await call('POST', '/v1/replay', {
      group,
      topic: 'webhooks.normalized',
      to: { earliest: true },
      dryRun: false,
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'group_active');
    assert.match(refused.body.error.message, /active member/);
    const bad = await call('POST', '/v1/replay', { group, topic: 'webhooks.normalized', to: {}, dryRun: true });
    assert.equal(bad.status, 400);
    assert.equal((await call('POST', '/v1/replay', { ...plan.body, dryRun: true })).status, 400, 'unknown fields');

    // An empty group (committed offsets, no members) is reset for real.
    const idle = `${GROUP_PREFIX}.${prefix}idle`;
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(t('webhooks.normalized'));
      await admin.setOffsets({
        groupId: idle,
        topic: t('webhooks.normalized'),
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
      });
      const done = await call('POST', '/v1/replay', {
        group: idle,
        topic: 'webhooks.normalized',
        to: 'earliest',
        dryRun: false,
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.applied, true);
      const [after] = await admin.fetchOffsets({ groupId: idle, topics: [t('webhooks.normalized')] });
      for (const p of after!.partitions) assert.equal(p.offset, ends.find((e) => e.partition === p.partition)!.low);
    } finally {
      await admin.deleteGroups([idle]).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('finds a delivered event by event id, delivery id, resource key and trace id, with its path in order', async () => {
    const codec = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
    const normalized = await collect(testKafka(), t('webhooks.normalized'));
    let env: NormalizedEnvelope;
    let traceId: string;
    try {
      const m = await eventually(
        async () => {
          for (const x of normalized.messages) {
            const e = await codec.decode<NormalizedEnvelope>(x.value!);
            if (e.eventType === 'payment_intent.succeeded' && e.resourceId === demo.paymentId) return { x, e };
          }
          return undefined;
        },
        30_000,
        'the succeeded payment normalized',
      );
      env = m.e;
      traceId = m.x.headers[H.traceparent]!.split('-')[1]!;
    } finally {
      await normalized.stop();
    }
    const ORDER = ['raw', 'normalized', 'domain', 'outbound', 'attempt'];
    for (const [q, kind] of [
      [env.eventId, 'event'],
      [env.deliveryId, 'delivery'],
      [env.resourceKey, 'resource'],
      [traceId, 'trace'],
    ] as const) {
      const r = await call('GET', `/v1/events/search?q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.kind === 'id' ? (kind === 'event' || kind === 'delivery' ? kind : 'x') : r.body.kind, kind);
      assert.ok(r.body.scanned > 0);
      assert.equal(r.body.truncated, false);
      const ev = (r.body.events as Json[]).find((e) => e.eventId === env.eventId);
      assert.ok(ev, `${kind}: event found among ${r.body.events.length}`);
      assert.equal(ev.outcome, 'delivered', kind);
      assert.equal(ev.resourceKey, env.resourceKey);
      assert.equal(ev.traceUrl, `http://127.0.0.1:16686/trace/${traceId}`);
      const stages = (ev.path as { stage: string }[]).map((s) => s.stage);
      const firsts = ORDER.map((s) => stages.indexOf(s));
      assert.ok(
        firsts.every((i) => i >= 0),
        `${kind}: every stage present in ${stages.join(' → ')}`,
      );
      assert.deepEqual(
        [...firsts].sort((a, b) => a - b),
        firsts,
        `${kind}: in pipeline order ${stages.join(' → ')}`,
      );
      const times = (ev.path as Json[]).filter((s) => s.stage !== 'raw').map((s) => Date.parse(s.at));
      assert.ok(
        times.every((x, i) => i === 0 || x >= times[i - 1]! - 1000),
        `${kind}: timestamps ascend`,
      );
      const attempt = (ev.path as Json[]).find((s) => s.stage === 'attempt');
      assert.equal(attempt.detail.outcome, 'SUCCEEDED');
      assert.equal(attempt.detail.endpointId, demo.endpointId);
      if (kind === 'resource') {
        const stale = (r.body.events as Json[]).find((e) => e.outcome === 'stale');
        assert.ok(stale, 'the late "processing" event of the same resource is shown as stale');
      }
      if (kind === 'delivery') {
        const raws = (ev.path as Json[]).filter((s) => s.stage === 'raw');
        assert.equal(raws.length, 2, 'the provider retry is the second raw record of the event');
        assert.equal(raws.filter((s) => s.detail.duplicate === true).length, 1);
      }
    }
    const none = await call(
      'GET',
      '/v1/events/search?q=evt_does_not_exist&since=' + new Date(Date.now() - 3600_000).toISOString(),
    );
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.events, []);
    assert.equal((await call('GET', '/v1/events/search')).status, 400);
  });

  it('draws the overview from the services’ /metrics (sampler) after the demo burst, and source stats', async () => {
    const o = await eventually(
      async () => {
        const r = await call('GET', '/v1/overview?minutes=15');
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const busy = (stage: string) =>
          (r.body.stages as Json[])
            .find((s) => s.stage === stage)
            .throughput.some((p: { v: number | null }) => (p.v ?? 0) > 0) as boolean;
        return ['ingress', 'validator', 'sequencer', 'processors', 'dispatcher'].every(busy)
          ? (r.body as Record<string, Json>)
          : undefined;
      },
      60_000,
      'non-empty series in every stage',
    );
    assert.equal(o.source, 'sampler');
    assert.equal(o.stepSeconds, 30);
    for (const s of o.stages as Json[]) {
      assert.equal(s.throughput.length, 30, `${s.stage}: one point per 30 s`);
      assert.equal(s.lag.length, 30);
      // The ingress consumes nothing: no lag series.
      assert.equal(
        s.lag.some((p: { v: number | null }) => p.v !== null),
        s.stage !== 'ingress',
        `${s.stage}: consumer lag sampled`,
      );
    }
    const validator = (o.stages as Json[]).find((s) => s.stage === 'validator');
    assert.ok(
      validator.errorRate.some((p: { v: number | null }) => (p.v ?? 0) > 0),
      'the poison webhooks show as validator errors',
    );
    assert.ok(
      (o.dlq as Json[]).some((d) => d.topic === 'webhooks.dlq' && d.records >= 2),
      JSON.stringify(o.dlq),
    );
    assert.ok(o.delivery.succeeded >= 1);
    assert.ok(o.delivery.successRate > 0);
    assert.equal((await call('GET', '/v1/overview?minutes=1')).status, 400);

    const stats = await call('GET', '/v1/sources/stripe-test/stats');
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.ok(stats.body.receivedLastHour >= 4, JSON.stringify(stats.body));
    assert.ok(stats.body.unauthorized >= 1, 'the forged signature of the demo');
    assert.ok(Object.values(stats.body.rejectedByReason as Record<string, number>).some((n) => n >= 1));
    assert.ok(stats.body.duplicatesDropped >= 1, 'the provider retry of the demo');
    assert.ok(Date.now() - Date.parse(stats.body.lastReceivedAt) < 10 * 60_000);
    assert.equal(stats.body.quiet, null, 'the quiet rule needs Prometheus history');
    const all = await call('GET', '/v1/source-stats');
    assert.ok((all.body.data as Json[]).some((s) => s.sourceId === 'github-test' && s.receivedLastHour >= 1));
    assert.equal((await call('GET', '/v1/sources/nope/stats')).status, 404);
  });
});
