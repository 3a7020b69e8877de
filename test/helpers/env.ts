/**
 * Shared set-up for tests against the real local stack (deploy/local/stack.sh): each test file
 * gets its own topic prefix, so files never see each other's records, and the declared topics and
 * schemas are applied under that prefix exactly as production applies them.
 */
import { randomBytes } from 'node:crypto';
import { baseSpec, readConfig } from '../../services/common/config.ts';
import { createKafka } from '../../services/common/kafka/client.ts';
import { createLogger } from '../../services/common/logger.ts';
import { createRedis } from '../../services/common/redis.ts';
import { registerSchemas } from '../../services/common/schemas.ts';
import { applyTopics, TOPICS, type TopicSpec } from '../../services/common/topics.ts';

export const stackConfig = readConfig(baseSpec, process.env);
export const testLogger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'warn');

export function uniquePrefix(name: string): string {
  return `t-${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
}

export function testKafka(clientId = 'hookline-test') {
  return createKafka({ brokers: stackConfig.KAFKA_BROKERS, clientId, logger: testLogger });
}

/** Creates the declared topics (or a subset) and registers schemas under `prefix`. */
export async function provision(prefix: string, topics: readonly TopicSpec[] = TOPICS): Promise<void> {
  const admin = testKafka('hookline-test-admin').admin();
  await admin.connect();
  try {
    await applyTopics(admin, { prefix, replicationFactor: 1, minInsyncReplicas: 1, topics });
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(stackConfig.SCHEMA_REGISTRY_URL, prefix, topics);
}

/** Environment for a service process started by a test. */
export function serviceEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    TOPIC_PREFIX: prefix,
    GROUP_PREFIX: 'hookline-test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** Polls until `fn` returns a value that is not undefined, or throws after `ms`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** Deletes every Redis key under a test's prefix (its own connection). */
export async function clearRedisPrefix(redisPrefix: string): Promise<void> {
  const r = createRedis(stackConfig.REDIS_URL);
  await r.connect();
  try {
    const keys = await r.keys(`${redisPrefix}*`);
    if (keys.length > 0) await r.del(...keys);
  } finally {
    r.disconnect();
  }
}
