/**
 * Kafka goes away and comes back while webhooks keep arriving: the ingress answers 503 with
 * Retry-After (never 2xx for a write Kafka did not acknowledge), readiness goes false, and after
 * Kafka returns it answers 2xx again with nothing lost.
 *
 * How the outage is made: the shared broker is never touched (others' tests use it). A TCP proxy
 * in front of it would not do — kafkajs learns the broker address from metadata (advertised
 * 127.0.0.1:9092) and connects there directly after bootstrap, so the proxy would only cut the
 * bootstrap connection. Instead this test starts a SECOND real single-node Kafka from the same
 * jars on its own ports and data dir (./kafka-node.ts), points an in-process ingress at it,
 * SIGKILLs that broker mid-traffic and starts it again on the same data dir.
 *
 * The sender behaves like a platform: on anything but 2xx it waits (Retry-After, capped at 1 s)
 * and retries the same event; every attempt carries its own `x-attempt` header, which the ingress
 * stores among the request headers. Afterwards, on the restarted broker:
 *   - every attempt answered 2xx is on webhooks.raw exactly once;
 *   - hence every event the sender sent is there (it retried until 2xx);
 *   - a 503'd attempt may ALSO be there (its write was still in flight when the deadline passed
 *     and landed later): allowed, since the sender was told to retry and the raw event id is
 *     deterministic, so the validator deduplicates. Counted and reported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { createKafka } from '../../services/common/kafka/client.ts';
import { H } from '../../services/common/kafka/types.ts';
import { startService, type RunningService } from '../../services/common/service.ts';
import { startTelemetry } from '../../services/common/telemetry.ts';
import { applyTopics, TOPICS, topicName } from '../../services/common/topics.ts';
import { ingressService } from '../../services/ingress/service.ts';
import { collect } from '../helpers/collect.ts';
import { eventually, serviceEnv, testLogger, uniquePrefix } from '../helpers/env.ts';
import { createKafkaNode, findKafkaLibs, type KafkaNode } from './kafka-node.ts';

const libs = findKafkaLibs();
const telemetry = startTelemetry({ serviceName: 'hookline-ingress-outage' });
const prefix = uniquePrefix('ingress-outage');
const stripe = new Stripe('sk_test_unused');
const SECRET = 'whsec_test_ingress_outage_only';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Attempt {
  readonly event: string;
  readonly attempt: string;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly at: number;
}

describe('ingress during a Kafka outage (second private broker)', () => {
  let node: KafkaNode;
  let svc: RunningService;
  let dir: string;
  let sourcesFile: string;

  before(async () => {
    // No jars = a broken set-up, not a reason to skip: stack.sh up always fetches them.
    assert.ok(libs, 'no Kafka jars found: run `bash deploy/local/stack.sh up` or set HOOKLINE_KAFKA_LIBS');
    node = await createKafkaNode(libs);
    await node.start();
    const admin = createKafka({ brokers: [node.bootstrap], clientId: 'outage-admin', logger: testLogger }).admin();
    await eventually(
      async () => {
        await admin.connect();
        await admin.describeCluster();
        return true;
      },
      60_000,
      'second kafka answering',
    );
    await applyTopics(admin, {
      prefix,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      topics: TOPICS.filter((t) => t.name === 'webhooks.raw'),
    });
    await admin.disconnect();

    dir = mkdtempSync(join(tmpdir(), 'hookline-outage-'));
    const sources = join(dir, 'sources.json');
    writeFileSync(
      sources,
      JSON.stringify({ sources: [{ id: 'stripe-outage', provider: 'stripe', secrets: [SECRET] }] }),
    );
    sourcesFile = sources;
    svc = await startService({
      ...ingressService(
        serviceEnv(prefix, {
          SOURCES_FILE: sources,
          HTTP_PORT: '0',
          KAFKA_BROKERS: node.bootstrap,
          INGRESS_PRODUCE_TIMEOUT_MS: '1500',
          INGRESS_RETRY_AFTER_SECONDS: '1',
          LOG_LEVEL: 'fatal', // kafkajs logs every refused connection during the outage
        }),
      ),
      telemetry,
    });
  });

  after(async () => {
    await svc?.stop();
    await node?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    '503 + Retry-After while Kafka is down, not ready, then 2xx again; every acknowledged attempt stored exactly once',
    { timeout: 300_000 },
    async (t) => {
      const base = `http://127.0.0.1:${svc.port}`;
      const attempts: Attempt[] = [];
      let done = false;
      let seq = 0;
      const giveUpAt = Date.now() + 240_000;

      async function deliver(event: string): Promise<void> {
        for (let k = 0; Date.now() < giveUpAt; k++) {
          const attempt = `${event}#${k}`;
          const body = JSON.stringify({
            id: event,
            object: 'event',
            type: 'charge.succeeded',
            created: 1700000000,
            data: { object: { id: `ch_${event}`, object: 'charge', status: 'succeeded' } },
          });
          const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
          let status = -1;
          let retryAfter: string | null = null;
          try {
            const res = await fetch(`${base}/webhooks/stripe-outage`, {
              method: 'POST',
              body,
              headers: { 'content-type': 'application/json', 'stripe-signature': sig, 'x-attempt': attempt },
              signal: AbortSignal.timeout(15_000),
            });
            status = res.status;
            retryAfter = res.headers.get('retry-after');
            await res.body?.cancel();
          } catch {
            status = -1; // no answer at all: the sender retries, as a platform would
          }
          attempts.push({ event, attempt, status, retryAfter, at: Date.now() });
          if (status >= 200 && status < 300) return;
          await sleep(Math.min(1000, Number(retryAfter ?? '1') * 1000));
        }
        throw new Error(`${event} never acknowledged`);
      }

      async function lane(): Promise<void> {
        while (!done) {
          await deliver(`evt_out_${seq++}`);
          await sleep(40);
        }
      }

      const acked = () => attempts.filter((a) => a.status >= 200 && a.status < 300);
      const ready = async () => (await fetch(`${base}/readyz`)).status;

      await eventually(async () => ((await ready()) === 200 ? true : undefined), 60_000, 'ingress ready');
      const lanes = [lane(), lane(), lane()];

      await eventually(
        () => (acked().length >= 15 ? true : undefined),
        60_000,
        '15 events acknowledged before the outage',
      );
      await node.kill();
      const killedAt = Date.now();
      t.diagnostic(`broker killed after ${acked().length} acknowledged events`);

      await eventually(
        () => (attempts.filter((a) => a.at > killedAt && a.status === 503).length >= 5 ? true : undefined),
        60_000,
        '503s while kafka is down',
      );
      await eventually(
        async () => ((await ready()) === 503 ? true : undefined),
        30_000,
        'readiness false while kafka is down',
      );
      await sleep(2000);
      const during = attempts.filter((a) => a.at > killedAt + 3000);
      assert.equal(during.filter((a) => a.status >= 200 && a.status < 300).length, 0, 'no 2xx while Kafka is down');

      await node.start();
      const restartedAt = Date.now();
      t.diagnostic(`broker restarted ${restartedAt - killedAt} ms after the kill`);
      await eventually(
        () => (acked().filter((a) => a.at > restartedAt).length >= 15 ? true : undefined),
        120_000,
        '15 events acknowledged after the restart',
      );
      await eventually(async () => ((await ready()) === 200 ? true : undefined), 60_000, 'ready again');
      done = true;
      await Promise.all(lanes);

      // What a downstream consumer of the restarted broker sees.
      const kafka = createKafka({ brokers: [node.bootstrap], clientId: 'outage-check', logger: testLogger });
      const raw = await collect(kafka, topicName(prefix, 'webhooks.raw'));
      try {
        const ok = acked();
        const attemptOf = (m: { headers: Record<string, string> }) =>
          (JSON.parse(m.headers[H.requestHeaders] ?? '{}') as Record<string, string>)['x-attempt'];
        await eventually(
          () => {
            const seen = new Set(raw.messages.map(attemptOf));
            return ok.every((a) => seen.has(a.attempt)) ? true : undefined;
          },
          60_000,
          'every acknowledged attempt on webhooks.raw',
        );
        await sleep(1500); // anything late would show up now

        const count = new Map<string, number>();
        for (const m of raw.messages) count.set(attemptOf(m) ?? '?', (count.get(attemptOf(m) ?? '?') ?? 0) + 1);
        for (const a of ok)
          assert.equal(count.get(a.attempt), 1, `acknowledged attempt ${a.attempt} stored exactly once`);
        const sent = new Set(attempts.map((a) => a.attempt));
        for (const key of count.keys()) assert.ok(sent.has(key), `record ${key} comes from a real attempt`);
        const events = new Set(attempts.map((a) => a.event));
        const storedEvents = new Set(raw.messages.map((m) => m.headers[H.deliveryId]));
        for (const e of events) assert.ok(storedEvents.has(e), `event ${e} not lost`);

        const refused = attempts.filter((a) => a.status === 503);
        assert.ok(
          refused.every((a) => a.retryAfter !== null && Number(a.retryAfter) >= 1),
          'every 503 carries Retry-After',
        );
        const unexpected = attempts.filter((a) => a.status !== 503 && !(a.status >= 200 && a.status < 300));
        const refusedButStored = refused.filter((a) => count.has(a.attempt)).length;
        t.diagnostic(
          `events ${events.size}, attempts ${attempts.length}, 2xx ${ok.length}, 503 ${refused.length} (of which stored anyway ${refusedButStored}), no answer ${unexpected.length}, records ${raw.messages.length}`,
        );
        assert.equal(
          unexpected.filter((a) => a.status !== -1).length,
          0,
          `only 2xx/503: ${unexpected.map((a) => a.status).join(',')}`,
        );
      } finally {
        await raw.stop();
      }
    },
  );

  it(
    'an ingress started while Kafka is down answers 503 and is not ready, then takes writes once Kafka is up',
    { timeout: 240_000 },
    async () => {
      await node.kill();
      const late = await startService({
        ...ingressService(
          serviceEnv(prefix, {
            SOURCES_FILE: sourcesFile,
            HTTP_PORT: '0',
            KAFKA_BROKERS: node.bootstrap,
            INGRESS_PRODUCE_TIMEOUT_MS: '1500',
            INGRESS_RETRY_AFTER_SECONDS: '2',
            LOG_LEVEL: 'fatal',
          }),
        ),
        telemetry,
      });
      try {
        const base = `http://127.0.0.1:${late.port}`;
        const post = async (id: string) => {
          const body = JSON.stringify({
            id,
            object: 'event',
            type: 'charge.succeeded',
            created: 1700000000,
            data: { object: { id: `ch_${id}`, object: 'charge' } },
          });
          const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
          const res = await fetch(`${base}/webhooks/stripe-outage`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'stripe-signature': sig },
          });
          await res.body?.cancel();
          return res;
        };
        const refused = await post('evt_late_0');
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get('retry-after'), '2');
        assert.equal((await fetch(`${base}/readyz`)).status, 503);
        await node.start();
        await eventually(
          async () => ((await post('evt_late_1')).status === 200 ? true : undefined),
          120_000,
          '2xx once kafka is back',
        );
        await eventually(
          async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
          60_000,
          'ready once kafka is back',
        );
      } finally {
        await late.stop();
      }
    },
  );
});
