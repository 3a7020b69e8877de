/**
 * The ingress's own settings (on top of baseSpec). Read once by main.ts; everything else gets the
 * frozen result.
 */
import { int, type ConfigOf, type Spec } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import { sourcesSpec } from '../common/source-store-redis.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * TRUST_PROXY: how many reverse proxies in front of the ingress append to X-Forwarded-For.
 * 0 / false (default) = use the socket's address and ignore X-Forwarded-For (a client can write
 * anything there); true = 1; n = the n-th address from the right, i.e. the client as seen by the
 * outermost proxy we run.
 */
export const proxyHops =
  (def: number) =>
  (name: string, env: Env): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return def;
    if (/^(false|no|off)$/i.test(raw)) return 0;
    if (/^(true|yes|on)$/i.test(raw)) return 1;
    if (/^\d+$/.test(raw) && Number(raw) <= 10) return Number(raw);
    throw new ConfigError(`${name} must be true, false or a number of proxies 0..10, got "${raw}"`);
  };

export const ingressSpec = {
  /** SOURCES_STORE (file | redis), SOURCES_FILE, REDIS_KEY_PREFIX: see services/common/source-store-redis.ts. */
  ...sourcesSpec,
  /** The webhook port: providers post here. */
  HTTP_PORT: int(8080, 0, 65535),
  /** Longest time a request waits for Kafka's acknowledgement before answering 503. */
  INGRESS_PRODUCE_TIMEOUT_MS: int(5000, 100, 60_000),
  /** Retry-After (seconds) on 503. */
  INGRESS_RETRY_AFTER_SECONDS: int(5, 1, 3600),
  /** Records waiting for Kafka beyond which new requests get 503 at once (memory bound during an outage). */
  INGRESS_MAX_PENDING: int(20_000, 1, 10_000_000),
  /** Longest wait for the Redis rate limiter before falling back to the in-process bucket. */
  INGRESS_RATE_LIMIT_TIMEOUT_MS: int(100, 1, 10_000),
  TRUST_PROXY: proxyHops(0),
} satisfies Spec;

export type IngressConfig = ConfigOf<typeof ingressSpec>;
