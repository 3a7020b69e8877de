/** Admin configuration: defaults, env overrides, validation naming the variable. */
import { bool, int, optStr, str, type ConfigOf, type Spec } from '../common/config.ts';
import { parseApiKeys } from './auth.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const adminSpec = {
  REDIS_KEY_PREFIX: str('hookline:'),
  /** "key:scope,scope;key2:*" — keys ≥ 16 characters; scopes endpoints:read|write, sources:read|write, deliveries:read|retry, *. */
  ADMIN_API_KEYS: (name: string, env: Env) => parseApiKeys(str()(name, env), name),
  /** Accept http:// endpoint URLs (local development only). */
  ADMIN_ALLOW_HTTP: bool(false),
  /** How long the previous secret keeps signing after a rotation (default 24 h). */
  ADMIN_SECRET_GRACE_MS: int(86_400_000, 0),
  /** Delivery log retention and size bound per endpoint. */
  ADMIN_LOG_RETENTION_MS: int(7 * 86_400_000, 60_000),
  ADMIN_LOG_MAX_PER_ENDPOINT: int(100_000, 10),
  /** Most messages one bulk recover re-sends. */
  ADMIN_MAX_RECOVER: int(10_000, 1),
  /** How often consumer lag and dead-letter depth are read from Kafka (hookline_consumer_lag, hookline_dlq_records). */
  ADMIN_LAG_INTERVAL_MS: int(15_000, 1000),
  /** Seed the source store from this file once (ids already in Redis are kept). */
  SOURCES_FILE: optStr(),
} satisfies Spec;

export type AdminConfig = ConfigOf<typeof adminSpec>;
