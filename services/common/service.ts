/**
 * What every service's main.ts calls: config, logger, telemetry, Kafka, registry and Redis
 * clients, the ops HTTP server, and a clean shutdown on SIGTERM/SIGINT (stop fetching, finish
 * in-flight work, flush producers, commit offsets, then exit).
 */
import type { Hono } from 'hono';
import { readConfig, baseSpec, type ConfigOf, type Spec } from './config.ts';
import { connectionSpec, connections, registryRequest } from './connections/index.ts';
import { loggedCheck } from './connections/readiness.ts';
import { createAdmin, type KafkaAdmin } from './kafka/admin.ts';
import { createKafka, type KafkaClient } from './kafka/client.ts';
import { createLogger, type Logger } from './logger.ts';
import { createOpsApp, listen, type ReadinessCheck, type RunningServer } from './http.ts';
import { createRedis, type Redis } from './redis.ts';
import { AvroCodec, createRegistry } from './schemas.ts';
import { startTelemetry, type Telemetry } from './telemetry.ts';
import type { TopicName } from './contracts/index.ts';
import { topicName } from './topics.ts';

export interface ServiceDeps<C> {
  readonly name: string;
  readonly config: C;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
  readonly redis: Redis;
  readonly avro: AvroCodec;
  /** Physical topic name for a logical one (applies TOPIC_PREFIX). */
  readonly topic: (logical: TopicName) => string;
  /** Consumer group name for this service (applies GROUP_PREFIX). */
  readonly group: (suffix?: string) => string;
  /** Readiness checks every service has: kafka, registry, redis. */
  readonly checks: Record<string, ReadinessCheck>;
}

export interface Started {
  stop(): Promise<void>;
  /** Extra routes (ingress webhooks, admin API) mounted on the service's HTTP app. */
  readonly routes?: Hono;
  readonly checks?: Record<string, ReadinessCheck>;
}

export interface RunningService {
  readonly port: number;
  readonly deps: ServiceDeps<unknown>;
  stop(): Promise<void>;
}

type ServiceConfig<S extends Spec> = ConfigOf<S> & ConfigOf<typeof baseSpec> & ConfigOf<typeof connectionSpec>;

export async function startService<S extends Spec>(opts: {
  name: string;
  spec: S;
  env: Readonly<Record<string, string | undefined>>;
  start: (deps: ServiceDeps<ServiceConfig<S>>) => Promise<Started>;
  telemetry?: Telemetry;
  /** Redis auto-pipelining (redis.ts): only for services whose Redis code awaits every command. */
  redisAutoPipelining?: boolean;
}): Promise<RunningService> {
  const config = readConfig({ ...baseSpec, ...connectionSpec, ...opts.spec }, opts.env) as ServiceConfig<S>;
  const conn = connections(config);
  const logger = createLogger(opts.name, config.LOG_LEVEL);
  logger.info(`connections: ${conn.describe}`);
  const telemetry =
    opts.telemetry ??
    startTelemetry({ serviceName: `hookline-${opts.name}`, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? `hookline-${opts.name}-${config.INSTANCE_ID}`,
    logger,
    ssl: conn.kafka.ssl,
    sasl: conn.kafka.sasl,
  });
  const admin = createAdmin(kafka);
  const redis = createRedis(config.REDIS_URL, conn.redis, { autoPipelining: opts.redisAutoPipelining ?? false });
  // ioredis reports a refused TLS handshake or password only as a connection 'error' event; a
  // PING then fails with "Stream isn't writeable". Keep the last one for the readiness check.
  let redisConnectionError: string | undefined;
  redis.on('error', (err: Error) => {
    redisConnectionError = err.message;
    logger.debug({ err: err.message }, 'redis connection error');
  });
  redis.on('ready', () => (redisConnectionError = undefined));
  const registry = createRegistry(conn.registry);
  const avro = new AvroCodec(registry);
  await admin.connect().catch((err: unknown) => logger.warn({ err }, 'kafka admin not connected yet'));
  await redis.connect().catch((err: unknown) => logger.warn({ err: String(err) }, 'redis not connected yet'));

  // Each check logs why it fails (a refused password or an untrusted certificate names the
  // variables to check); the service stays unready and never retries without TLS.
  const checks: Record<string, ReadinessCheck> = {
    kafka: loggedCheck(
      'kafka',
      async () => {
        await admin.describeCluster();
      },
      logger,
    ),
    registry: loggedCheck(
      'registry',
      async () => {
        const res = await registryRequest(conn.registry, '/subjects', { timeoutMs: 1500 });
        if (res.status !== 200) throw new Error(`registry answered ${res.status}`);
      },
      logger,
    ),
    redis: loggedCheck(
      'redis',
      async () => {
        const pong = await redis.ping().catch((err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          throw new Error(redisConnectionError ? `${why} (connection: ${redisConnectionError})` : why);
        });
        if (pong !== 'PONG') throw new Error('redis did not answer PONG');
      },
      logger,
    ),
  };

  const deps: ServiceDeps<ServiceConfig<S>> = {
    name: opts.name,
    config,
    logger,
    telemetry,
    kafka,
    admin,
    redis,
    avro,
    topic: (logical) => topicName(config.TOPIC_PREFIX, logical),
    group: (suffix) => `${config.GROUP_PREFIX}.${config.TOPIC_PREFIX}${opts.name}${suffix ? `.${suffix}` : ''}`,
    checks,
  };

  const started = await opts.start(deps);
  const app = createOpsApp({ service: opts.name, checks: { ...checks, ...(started.checks ?? {}) }, telemetry, logger });
  if (started.routes) app.route('/', started.routes);
  const server: RunningServer = await listen(app, config.HTTP_HOST, config.HTTP_PORT, {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info({ port: server.port }, `${opts.name} started`);

  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    deps: deps,
    stop() {
      stopping ??= (async () => {
        logger.info(`${opts.name} stopping`);
        // HTTP first (no new webhooks; in-flight requests finish and get their answer), then the
        // work: stop fetching, finish in-flight chunks, flush producers, commit.
        await server.close();
        await started.stop();
        await admin.disconnect().catch(() => undefined);
        redis.disconnect();
        logger.info(`${opts.name} stopped`);
      })();
      return stopping;
    },
  };
}

/** For main.ts: start, and stop cleanly on SIGTERM/SIGINT; a failed start exits 1 with the reason. */
export function runMain<S extends Spec>(opts: Parameters<typeof startService<S>>[0]): void {
  startService(opts).then(
    (svc) => {
      const shutdown = (signal: string) => {
        svc.deps.logger.info({ signal }, 'shutdown requested');
        const force = setTimeout(() => process.exit(1), 30_000);
        force.unref();
        svc.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            svc.deps.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    },
    (err: unknown) => {
      process.stderr.write(`${opts.name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
