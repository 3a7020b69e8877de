/**
 * A rate limit shared by all instances: a token bucket in Redis (one Lua script, atomic, clock =
 * Redis TIME so instances with skewed clocks agree). Used by the ingress per source (capacity =
 * options.rateLimitBurst, default one second's worth, at least 1; refill =
 * options.rateLimitPerSecond; sources without a limit never touch Redis) and by the dispatcher per
 * endpoint (rateLimitPerSecond of the endpoint, burst one second's worth).
 *
 * Redis down or slower than the timeout → FAIL OPEN to an in-process bucket with the same rate
 * (so the limit holds per instance: at most N× the rate with N instances), counted and logged.
 * Why not 503: the limiter protects capacity, it is not on the durability path — an accepted
 * event is durable in Kafka whether Redis is up or not. A 503 would turn a Redis outage into a
 * webhook outage, and several platforms punish that: GitHub never redelivers on its own,
 * WooCommerce disables a hook after 5 failures, Bol.com after 10 tries in 10 minutes.
 *
 * Redis key: `<keyPrefix><id>` (the caller's prefix: ingress and dispatcher own theirs), a hash
 * {tokens, ts}, expiring once full.
 */
import type { Redis } from './redis.ts';

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Seconds until one token is available (≥ 1 when refused). */
  readonly retryAfterSeconds: number;
  /** The same in milliseconds (≥ 1 when refused). */
  readonly retryAfterMs: number;
  /** True when Redis could not answer and the in-process bucket decided. */
  readonly fallback: boolean;
}

export interface RateLimitRule {
  readonly perSecond: number;
  readonly burst: number;
}

export interface RateLimiter {
  take(sourceId: string, rule: RateLimitRule): Promise<RateLimitDecision>;
}

const TOKEN_BUCKET = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
`;

/** The rule of a source, or undefined when it has no limit. */
export function ruleOf(options: Readonly<Record<string, unknown>>): RateLimitRule | undefined {
  const perSecond = options.rateLimitPerSecond;
  if (typeof perSecond !== 'number' || !(perSecond > 0)) return undefined;
  const burst =
    typeof options.rateLimitBurst === 'number' && options.rateLimitBurst >= 1
      ? options.rateLimitBurst
      : Math.max(1, Math.ceil(perSecond));
  return { perSecond, burst };
}

/** The same bucket in memory: the fallback, and a limiter for tests and single-process use. */
export function memoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; ts: number }>();
  return {
    take(sourceId, rule) {
      const t = now();
      const b = buckets.get(sourceId) ?? { tokens: rule.burst, ts: t };
      b.tokens = Math.min(rule.burst, b.tokens + (Math.max(0, t - b.ts) * rule.perSecond) / 1000);
      b.ts = t;
      buckets.set(sourceId, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return Promise.resolve({ allowed: true, retryAfterSeconds: 0, retryAfterMs: 0, fallback: false });
      }
      const waitMs = ((1 - b.tokens) * 1000) / rule.perSecond;
      return Promise.resolve({
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        retryAfterMs: Math.max(1, Math.ceil(waitMs)),
        fallback: false,
      });
    },
  };
}

export interface RedisRateLimiterOptions {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  /** Called when Redis failed and the in-process bucket decided (metrics, throttled log). */
  readonly onFallback?: (err: unknown) => void;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function redisRateLimiter(o: RedisRateLimiterOptions): RateLimiter {
  const local = memoryRateLimiter();
  let sha: string | undefined;

  async function run(key: string, rule: RateLimitRule): Promise<[number, number]> {
    const args = [String(rule.perSecond), String(rule.burst)];
    sha ??= (await o.redis.script('LOAD', TOKEN_BUCKET)) as string;
    try {
      return (await o.redis.evalsha(sha, 1, key, ...args)) as [number, number];
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await o.redis.eval(TOKEN_BUCKET, 1, key, ...args)) as [number, number];
    }
  }

  return {
    async take(sourceId, rule) {
      try {
        const p = run(`${o.keyPrefix}${sourceId}`, rule);
        p.catch(() => undefined); // a late failure after the timeout must not be unhandled
        const [allowed, waitMs] = await withTimeout(p, o.timeoutMs);
        const ok = allowed === 1;
        return {
          allowed: ok,
          retryAfterSeconds: ok ? 0 : Math.max(1, Math.ceil(waitMs / 1000)),
          retryAfterMs: ok ? 0 : Math.max(1, waitMs),
          fallback: false,
        };
      } catch (err) {
        o.onFallback?.(err);
        const d = await local.take(sourceId, rule);
        return { ...d, fallback: true };
      }
    },
  };
}
