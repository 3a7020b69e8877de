/**
 * Test helpers for the ingress unit tests: a fake HooklineProducer, a recording metrics object,
 * a small test-only provider module (batch splitting, handshake, GET, IP check), and an app
 * factory wiring them. Only imported by *.test.ts files.
 */
import { trace } from '@opentelemetry/api';
import type { HooklineProducer } from '../common/kafka/producer.ts';
import type { OutRecord } from '../common/kafka/types.ts';
import { createLogger } from '../common/logger.ts';
import { memorySourceStore } from '../common/sources.ts';
import { checkIp } from '../providers/core/ip.ts';
import { anyEqual, fail, header, OK } from '../providers/core/verdict.ts';
import { tryParseJson } from '../common/json.ts';
import { getProvider } from '../providers/index.ts';
import type { IngressItem, ProviderModule, SourceConfig } from '../providers/types.ts';
import { createIngressApp, type IngressDeps } from './app.ts';
import type { IngressMetrics } from './metrics.ts';
import { memoryRateLimiter } from '../common/rate-limit.ts';
import { createDurableWriter } from './writer.ts';

export type ProducerMode = 'ok' | 'fail' | 'hang';

export interface FakeProducer extends HooklineProducer {
  readonly sent: OutRecord[];
  mode: ProducerMode;
  isConnected: boolean;
  connectCalls: number;
}

/** Acknowledges (ok), rejects like a Kafka outage (fail), or never answers (hang). */
export function fakeProducer(mode: ProducerMode = 'ok'): FakeProducer {
  const p: FakeProducer = {
    sent: [],
    mode,
    isConnected: true,
    connectCalls: 0,
    get connected() {
      return p.isConnected;
    },
    connect() {
      p.connectCalls++;
      p.isConnected = true;
      return Promise.resolve();
    },
    send(records) {
      return Promise.all(records.map((r) => p.enqueue(r))).then(() => undefined);
    },
    enqueue(record) {
      if (p.mode === 'fail') return Promise.reject(new Error('broker not available'));
      if (p.mode === 'hang') return new Promise<void>(() => undefined);
      p.sent.push(record);
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
    disconnect() {
      p.isConnected = false;
      return Promise.resolve();
    },
  };
  return p;
}

export interface RecordedMetrics extends IngressMetrics {
  readonly events: string[];
}

export function recordingMetrics(): RecordedMetrics {
  const events: string[] = [];
  return {
    events,
    request: (source, status) => events.push(`request ${source} ${status}`),
    rejected: (source, reason) => events.push(`rejected ${source} ${reason}`),
    enqueued: (source, n) => events.push(`enqueued ${source} ${n}`),
    unavailable: (source, reason) => events.push(`unavailable ${source} ${reason}`),
    rateLimitFallback: (source) => events.push(`fallback ${source}`),
    uninterpretable: (source) => events.push(`uninterpretable ${source}`),
  };
}

/**
 * A provider for the ingress's own tests. Token in `x-test-token` (any secret); IP allowlist via
 * the shared core check; a JSON array body is a batch (one item per element, deliveryId = its id);
 * `x-test-handshake: 1` is answered without verification; GET allowed; `x-test-reply` asks for a
 * text/xml reply after enqueuing; body `boom` makes interpret throw; records req.url.
 */
export const seenUrls: string[] = [];
export const testProvider: ProviderModule = {
  name: 'ingress-test',
  signs: true,
  verification: 'test only',
  defaultIdempotencyWindowSeconds: 60,
  domain: 'other',
  contentTypes: ['application/json', 'text/plain'],
  extraMethods: ['GET'],
  sensitiveHeaders: ['x-test-token'],
  handshake(req) {
    return req.headers['x-test-handshake'] === '1'
      ? { status: 200, contentType: 'text/plain', body: 'hello' }
      : undefined;
  },
  verify(req, source) {
    seenUrls.push(req.url.toString());
    const ip = checkIp(req, source);
    if (ip) return ip;
    const token = header(req, 'x-test-token');
    if (token === undefined) return fail('missing_signature');
    return anyEqual(token, source.secrets) ? OK : fail('bad_token');
  },
  interpret(req) {
    if (req.body.toString() === 'boom') throw new Error('cannot interpret');
    const parsed = tryParseJson(req.body);
    const reply =
      req.headers['x-test-reply'] === '1' ? { status: 200, contentType: 'text/xml', body: '<ack/>' } : undefined;
    if (Array.isArray(parsed)) {
      const items: IngressItem[] = parsed.map((el: unknown, i) => ({
        body: Buffer.from(JSON.stringify(el)),
        extracted: {
          deliveryId: String((el as { id?: unknown }).id),
          resourceType: 'thing',
          resourceId: String((el as { thing?: unknown }).thing),
        },
        batchIndex: i,
      }));
      return reply ? { items, reply } : { items };
    }
    const items = req.body.length === 0 ? [] : [{ body: req.body, extracted: { deliveryId: 'single' } }];
    return reply ? { items, reply } : { items };
  },
  normalize() {
    throw new Error('not used');
  },
};

export const TEST_SOURCES: SourceConfig[] = [
  { id: 'stripe-a', provider: 'stripe', secrets: ['whsec_old_test', 'whsec_new_test'], options: {} },
  { id: 'small', provider: 'ingress-test', secrets: ['tok'], options: { bodyLimitBytes: 1000 } },
  { id: 'limited', provider: 'ingress-test', secrets: ['tok'], options: { rateLimitPerSecond: 1, rateLimitBurst: 2 } },
  { id: 'test', provider: 'ingress-test', secrets: ['tok'], options: {} },
  { id: 'ips', provider: 'ingress-test', secrets: ['tok'], options: { allowedIps: ['203.0.113.0/24'] } },
  {
    id: 'twilio-like',
    provider: 'ingress-test',
    secrets: ['tok'],
    options: { publicUrl: 'https://hooks.example.com/webhooks/twilio-like' },
  },
  { id: 'woo', provider: 'woocommerce', secrets: ['woo-secret'], options: {} },
  { id: 'hubspot-a', provider: 'hubspot', secrets: ['hs-client-secret'], options: {} },
];

export interface TestIngress {
  readonly app: ReturnType<typeof createIngressApp>;
  readonly producer: FakeProducer;
  readonly metrics: RecordedMetrics;
}

export function testIngress(
  o: { producer?: FakeProducer; deadlineMs?: number; deps?: Partial<IngressDeps> } = {},
): TestIngress {
  const producer = o.producer ?? fakeProducer();
  const metrics = recordingMetrics();
  const writer = createDurableWriter({ producer, deadlineMs: o.deadlineMs ?? 200, maxPending: 100 });
  const app = createIngressApp({
    sources: memorySourceStore(TEST_SOURCES),
    provider: (name) => (name === testProvider.name ? testProvider : getProvider(name)),
    writer,
    rateLimiter: memoryRateLimiter(),
    topic: (logical) => `p.${logical}`,
    logger: createLogger('ingress-test', 'silent'),
    tracer: trace.getTracer('ingress-test'),
    metrics,
    retryAfterSeconds: 7,
    ...o.deps,
  });
  return { app, producer, metrics };
}
