/**
 * Dispatcher configuration: defaults (commented), env overrides, validation naming the variable.
 * Read once in main.ts, passed down frozen.
 */
import { int, list, str, type ConfigOf, type Spec } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import type { OperationalTarget } from './operational.ts';
import { DEFAULT_SCHEDULE, parseSchedule } from './schedule.ts';
import { parseNetworks } from './ssrf.ts';

type Env = Readonly<Record<string, string | undefined>>;

const fraction =
  (def: number) =>
  (name: string, env: Env): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n > 1)
      throw new ConfigError(`${name} must be a number between 0 and 1, got "${raw}"`);
    return n;
  };

const publicUrl = (name: string, env: Env): string => {
  const raw = env[name] ?? 'http://127.0.0.1:8090';
  try {
    const u = new URL(raw);
    if (u.protocol === 'https:' || u.protocol === 'http:') return raw.replace(/\/+$/, '');
  } catch {
    // named below
  }
  throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
};

/**
 * The operational endpoint (operational.ts): DISPATCHER_OPERATIONAL_WEBHOOK_URL and its signing
 * secret DISPATCHER_OPERATIONAL_WEBHOOK_SECRET (whsec_…, as endpoint secrets), both or neither.
 */
const operationalTarget = (name: string, env: Env): OperationalTarget | undefined => {
  const raw = env[name] ?? '';
  const secret = env.DISPATCHER_OPERATIONAL_WEBHOOK_SECRET ?? '';
  if (raw === '' && secret === '') return undefined;
  if (raw === '') throw new ConfigError(`${name} must be set when DISPATCHER_OPERATIONAL_WEBHOOK_SECRET is`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  if (!/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(secret))
    throw new ConfigError(`DISPATCHER_OPERATIONAL_WEBHOOK_SECRET must be a whsec_<base64> secret when ${name} is set`);
  return Object.freeze({ url, secret });
};

export const dispatcherSpec = {
  /** Prefix of every Redis key (endpoints, parked lanes); one per deployment sharing a Redis. */
  REDIS_KEY_PREFIX: str('hookline:'),
  /** Delay before each attempt, the first being 0 (immediately); its length = max attempts. */
  DISPATCHER_RETRY_SCHEDULE: (name: string, env: Env) => parseSchedule(str(DEFAULT_SCHEDULE)(name, env), name),
  /** 1 = full jitter (uniform in [0, step]); 0.2 = Svix-like ±20 % below the step. */
  DISPATCHER_RETRY_JITTER: fraction(1),
  /** Request timeout per attempt. */
  DISPATCHER_TIMEOUT_MS: int(15_000, 1, 300_000),
  /** Bounds applied to a 429/503 Retry-After. */
  DISPATCHER_RETRY_AFTER_MIN_MS: int(1000, 0),
  DISPATCHER_RETRY_AFTER_MAX_MS: int(3_600_000, 0),
  /** An endpoint failing continuously this long is disabled (default 5 days, as Svix). */
  DISPATCHER_DISABLE_AFTER_MS: int(5 * 86_400_000, 0),
  /** CIDRs the SSRF guard lets through, e.g. "127.0.0.1/32,::1/128" for local development. */
  DISPATCHER_ALLOWED_NETWORKS: (name: string, env: Env) => parseNetworks(list([])(name, env), name),
  /** Circuit breaker: consecutive failures to open, first open period, longest open period. */
  DISPATCHER_BREAKER_FAILURES: int(5, 1),
  DISPATCHER_BREAKER_OPEN_MS: int(30_000, 1),
  DISPATCHER_BREAKER_MAX_OPEN_MS: int(600_000, 1),
  /** Requests in flight per endpoint, and deliveries that may queue for a slot before being deferred. */
  DISPATCHER_ENDPOINT_CONCURRENCY: int(32, 1, 10_000),
  DISPATCHER_ENDPOINT_MAX_QUEUED: int(1000, 0),
  DISPATCHER_MAX_RATE_WAIT_MS: int(1000, 0),
  DISPATCHER_BUSY_DEFER_MS: int(1000, 1),
  /** Longest wait for the shared (Redis) endpoint rate limit before this instance's own bucket decides. */
  DISPATCHER_RATE_LIMIT_TIMEOUT_MS: int(100, 1, 10_000),
  /** Messages of one partition in memory before reading pauses. */
  DISPATCHER_MAX_PENDING_PER_PARTITION: int(5000, 1),
  DISPATCHER_COMMIT_INTERVAL_MS: int(1000, 10),
  DISPATCHER_REGISTRY_REFRESH_MS: int(30_000, 100),
  /** Safety sweep of due parked lanes (the timer is exact; this repairs lost leases). */
  DISPATCHER_SWEEP_MS: int(30_000, 100),
  DISPATCHER_PARTITIONS_CONCURRENTLY: int(6, 1, 1000),
  /** Kafka group session timeout: how soon a crashed instance's partitions move to another. */
  DISPATCHER_SESSION_TIMEOUT_MS: int(30_000, 6000, 300_000),
  /** Where endpoint-disabled / endpoint-failing operational webhooks go (unset: not sent). */
  DISPATCHER_OPERATIONAL_WEBHOOK_URL: operationalTarget,
  /** The admin's public base URL: operational webhooks link to the endpoint's console page under it. */
  ADMIN_PUBLIC_URL: publicUrl,
} satisfies Spec;

export type DispatcherConfig = ConfigOf<typeof dispatcherSpec>;
