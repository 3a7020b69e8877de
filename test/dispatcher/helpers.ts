/**
 * Dispatcher test kit: local receivers (node:http on 127.0.0.1) that verify every delivery with the
 * `standardwebhooks` library, an outbound.events producer, and a dispatcher started in-process or
 * as a child process (for the kill test). Each test file isolates itself with a topic prefix and a
 * Redis key prefix.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createEndpointStore, type EndpointStore } from '../../services/common/endpoints.ts';
import { createProducer, type HooklineProducer } from '../../services/common/kafka/producer.ts';
import { createRedis, type Redis } from '../../services/common/redis.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { startService, type RunningService } from '../../services/common/service.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { dispatcherSpec } from '../../services/dispatcher/config.ts';
import { startDispatcher } from '../../services/dispatcher/service.ts';
import type { OutboundEvent } from '../../services/common/contracts/index.ts';
import { provision, serviceEnv, stackConfig, testKafka } from '../helpers/env.ts';

export const OUTBOUND_TOPICS = TOPICS.filter((t) => t.name.startsWith('outbound.') || t.name === 'ops.events');

export interface Received {
  readonly id: string;
  readonly body: string;
  readonly json: { id: string; type: string; resource: string; seq: number };
  readonly headers: Record<string, string>;
  readonly at: number;
  /** Which of the secrets given to the receiver verified it (index), -1 = none. */
  readonly verifiedBy: number[];
}

export interface Receiver {
  readonly url: string;
  readonly got: Received[];
  /** Secrets the receiver verifies with (set after the endpoint is created; updated on rotation). */
  secrets: string[];
  close(): Promise<void>;
}

export type Answer = (
  req: IncomingMessage,
  body: string,
  n: number,
) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

export async function receiver(answer: Answer = () => ({ status: 200 })): Promise<Receiver> {
  const got: Received[] = [];
  let n = 0;
  const r: Receiver = { url: '', got, secrets: [], close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const a = answer(req, body, n++);
      if (a === 'hang') return;
      const reply = () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const verifiedBy = r.secrets.flatMap((s, i) => {
          try {
            new Webhook(s).verify(body, headers);
            return [i];
          } catch {
            return [];
          }
        });
        if (a.status >= 200 && a.status < 300)
          got.push({ id: headers['webhook-id']!, body, json: JSON.parse(body), headers, at: Date.now(), verifiedBy });
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(reply, a.delayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return r;
}

export interface Kit {
  readonly prefix: string;
  readonly redisPrefix: string;
  readonly t: (logical: string) => string;
  readonly redis: Redis;
  readonly store: EndpointStore;
  readonly producer: HooklineProducer;
  readonly avro: AvroCodec;
  send(events: readonly Partial<OutboundEvent>[]): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
/** A message for resource `resource` with sequence `n` in its payload. */
export function event(resource: string, n: number, o: Partial<OutboundEvent> = {}): OutboundEvent {
  const messageId = `msg_${resource}_${n}_${(seq++).toString(36)}`;
  const eventType = o.eventType ?? 'payment.succeeded';
  return {
    messageId,
    eventType,
    resourceKey: `src:payment:${resource}`,
    sourceEventId: `evt_${messageId}`,
    occurredAt: Date.now(),
    createdAt: Date.now(),
    payload: JSON.stringify({
      id: messageId,
      type: eventType,
      resource,
      seq: n,
      timestamp: new Date().toISOString(),
      data: { id: resource, n },
    }),
    endpointId: null,
    ...o,
  };
}

export async function kit(prefix: string): Promise<Kit> {
  await provision(prefix, OUTBOUND_TOPICS);
  const redisPrefix = `${prefix}hl:`;
  const redis = createRedis(stackConfig.REDIS_URL);
  await redis.connect();
  const producer = createProducer(testKafka());
  await producer.connect();
  const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
  const t = (logical: string) => topicName(prefix, logical);
  return {
    prefix,
    redisPrefix,
    t,
    redis,
    store: createEndpointStore(redis, redisPrefix),
    producer,
    avro,
    async send(events) {
      const records = await Promise.all(
        events.map(async (e) => {
          const full = { ...event('x', 0), ...e };
          return {
            topic: t('outbound.events'),
            key: full.resourceKey,
            value: await avro.encode(t('outbound.events'), full),
          };
        }),
      );
      await producer.send(records);
    },
    async close() {
      await producer.disconnect();
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

export const FAST_ENV = {
  DISPATCHER_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  DISPATCHER_RETRY_SCHEDULE: '0,200ms,400ms,600ms,800ms,1s',
  DISPATCHER_TIMEOUT_MS: '2000',
  DISPATCHER_COMMIT_INTERVAL_MS: '200',
  DISPATCHER_SWEEP_MS: '2000',
  DISPATCHER_REGISTRY_REFRESH_MS: '1000',
};

export function dispatcherEnv(
  k: Pick<Kit, 'prefix' | 'redisPrefix'>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return serviceEnv(k.prefix, {
    REDIS_KEY_PREFIX: k.redisPrefix,
    HTTP_PORT: '0',
    INSTANCE_ID: `test-${process.pid}`,
    ...FAST_ENV,
    ...extra,
  });
}

export function startInProcess(
  k: Pick<Kit, 'prefix' | 'redisPrefix'>,
  extra: Record<string, string> = {},
): Promise<RunningService> {
  return startService({
    name: 'dispatcher',
    spec: dispatcherSpec,
    env: dispatcherEnv(k, extra),
    start: startDispatcher,
  });
}

/** Resolves once every resource's sequence numbers arrived in increasing order (repeats allowed). */
export function inOrderPerResource(got: readonly Received[]): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const g of got) {
    let l = by.get(g.json.resource);
    if (!l) by.set(g.json.resource, (l = []));
    l.push(g.json.seq);
  }
  return by;
}

/** True when `seqs` never goes back except to repeat a delivery already made (at-least-once). */
export function isOrdered(seqs: readonly number[]): boolean {
  let max = -1;
  for (const s of seqs) {
    if (s > max + 1) return false;
    max = Math.max(max, s);
  }
  return true;
}
