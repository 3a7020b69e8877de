/** Admin configuration: defaults, env overrides, validation naming the variable. */
import { readFileSync } from 'node:fs';
import { bool, int, optStr, str, type ConfigOf, type Spec } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import { parseApiKeys } from './auth.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const adminSpec = {
  REDIS_KEY_PREFIX: str('hookline:'),
  /** "key:scope,scope;key2:*;key3@tenantId:scopes" — keys ≥ 16 characters; scopes endpoints:read|write, sources:read|write, deliveries:read|retry, tenants:read|write, messages:write, operations:read|write (dead letters, replay, explorer, overview), *; "@tenantId" binds a key to one tenant. */
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
  /** Publish: Kafka must acknowledge (acks=all) within this, else 503 + Retry-After. */
  ADMIN_PUBLISH_DEADLINE_MS: int(5000, 100, 60_000),
  /** Publish an event type the catalogue does not list (false: 422 unknown_event_type). */
  ADMIN_PUBLISH_OPEN_CATALOGUE: bool(false),
  /** Read outbound.requests (the publish topic for internal producers) in this admin. */
  ADMIN_PUBLISH_TOPIC_READER: bool(true),
  /** Signing key of portal tokens, ≥ 32 characters (or ADMIN_PORTAL_SECRET_FILE); unset = POST …/portal-token answers 501. */
  ADMIN_PORTAL_SECRET: (name: string, env: Env) => {
    const file = env[`${name}_FILE`];
    let v = optStr()(name, env);
    if (v === undefined && file) {
      try {
        v = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(
          `${name}_FILE ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (v !== undefined && v.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
    return v;
  },
  /** A file holding ADMIN_PORTAL_SECRET (a mounted Secret); read by ADMIN_PORTAL_SECRET above. */
  ADMIN_PORTAL_SECRET_FILE: optStr(),
  /** Defaults of a new tenant's limits and log retention (each tenant can be changed through the API). */
  ADMIN_TENANT_MAX_ENDPOINTS: int(100, 0, 100_000),
  /** Publish requests per second per tenant; 0 = unlimited. */
  ADMIN_TENANT_PUBLISH_PER_SECOND: int(0, 0, 1_000_000),
  ADMIN_TENANT_MAX_PAYLOAD_BYTES: int(256 * 1024, 64, 4 * 1024 * 1024),
  ADMIN_TENANT_RETENTION_MS: int(30 * 86_400_000, 86_400_000),
  /** How often the oldest-undelivered gauges are recomputed (hookline_outbound_oldest_undelivered_age_seconds). */
  ADMIN_UNDELIVERED_INTERVAL_MS: int(15_000, 1000),
  /** Endpoints exported by …_by_endpoint (the N holding the oldest undelivered messages). */
  ADMIN_UNDELIVERED_TOP_ENDPOINTS: int(10, 0, 1000),
  /** Trace UI link of the event explorer, e.g. http://127.0.0.1:16686/trace/{traceId}; unset = no link. */
  ADMIN_TRACE_URL_TEMPLATE: (name: string, env: Env) => {
    const v = optStr()(name, env);
    if (v !== undefined && (!/^https?:\/\//.test(v) || !v.includes('{traceId}')))
      throw new ConfigError(`${name} must be an http(s) URL containing {traceId}`);
    return v;
  },
  /** Overview and source stats from this Prometheus (query_range), e.g. http://127.0.0.1:9090; unset = the sampler. */
  ADMIN_PROMETHEUS_URL: (name: string, env: Env) => {
    const v = optStr()(name, env);
    if (v !== undefined && !/^https?:\/\/[^\s]+$/.test(v)) throw new ConfigError(`${name} must be an http(s) URL`);
    return v;
  },
  /** Without Prometheus: the services' /metrics the admin samples, "ingress=http://127.0.0.1:8080/metrics,validator=…". */
  ADMIN_METRICS_TARGETS: (name: string, env: Env) => parseTargets(optStr()(name, env) ?? '', name),
  /** How often the sampler scrapes, and how much history it keeps (the overview's longest window). */
  ADMIN_METRICS_INTERVAL_MS: int(15_000, 1000, 300_000),
  ADMIN_METRICS_WINDOW_MINUTES: int(60, 5, 1440),
  /** Seed the source store from this file once (ids already in Redis are kept). */
  SOURCES_FILE: optStr(),
} satisfies Spec;

/** "name=url,name=url" → Map; every url http(s). */
export function parseTargets(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const i = entry.indexOf('=');
    const target = i < 0 ? '' : entry.slice(0, i).trim();
    const url = i < 0 ? '' : entry.slice(i + 1).trim();
    if (!/^[a-z][a-z0-9-]*$/.test(target) || !/^https?:\/\/\S+$/.test(url))
      throw new ConfigError(`${name}: "${entry}" is not name=http(s)://host:port/metrics`);
    if (out.has(target)) throw new ConfigError(`${name}: target ${target} given twice`);
    out.set(target, url);
  }
  return out;
}

export type AdminConfig = ConfigOf<typeof adminSpec>;
