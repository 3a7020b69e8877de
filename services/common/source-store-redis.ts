/**
 * A writable SourceStore in Redis, for deployments that manage sources through the admin API.
 * Reads stay synchronous (the SourceStore interface the ingress uses): the whole set is held in
 * memory, loaded at open, reloaded on every change notification and periodically. Writes are
 * validated exactly as the file store validates (validateSources), then stored and announced.
 *
 *   {p}sources           hash  source id → SourceConfig JSON   (admin writes; ingress and validator read)
 *   {p}sources:changes   pub/sub channel, the changed id
 *
 * The ingress and the validator open it with SOURCES_STORE=redis (openSources below): a source
 * created through the admin API is taken at once (the change notification, or refresh() on a miss);
 * while Redis is unreachable they keep serving the set they last read. The admin seeds Redis from
 * SOURCES_FILE once (importSources: never overwrites, so a source deleted through the API stays
 * deleted across restarts).
 */
import type { ProviderLookup, SourceConfig } from './contracts/index.ts';
import { oneOf, optStr, str, type ConfigOf } from './config.ts';
import { ConfigError, messageOf } from './errors.ts';
import { throttled, type Logger } from './logger.ts';
import type { Redis } from './redis.ts';
import { redisCall } from './redis.ts';
import { fileSourceStore, validateSources, type SourceStore } from './sources.ts';

export interface WritableSourceStore extends SourceStore {
  /** Validates and stores (create or replace); throws ConfigError naming the problem. */
  put(source: unknown): Promise<SourceConfig>;
  delete(id: string): Promise<boolean>;
  /** Reloads from Redis now (after a write by another process, without waiting for the notification). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export const sourceKeys = (prefix: string) => ({ hash: `${prefix}sources`, changes: `${prefix}sources:changes` });

export async function openRedisSourceStore(o: {
  redis: Redis;
  /** A separate connection for pub/sub (redis.duplicate()); omitted = no live notifications, periodic reload only. */
  subscriber?: Redis;
  prefix: string;
  lookup: ProviderLookup;
  refreshMs?: number;
  onError?: (err: unknown) => void;
}): Promise<WritableSourceStore> {
  const keys = sourceKeys(o.prefix);
  let byId = new Map<string, SourceConfig>();
  let lastRead = 0;
  let refreshing: Promise<void> | undefined;

  const reload = async () => {
    const started = Date.now();
    const raw = await redisCall(() => o.redis.hgetall(keys.hash));
    const list = Object.values(raw).map((v) => JSON.parse(v) as unknown);
    // Entries were validated on write; re-validate so a provider removed since fails loudly here.
    const valid: SourceConfig[] = [];
    for (const s of list) {
      try {
        valid.push(...validateSources({ sources: [s] }, o.lookup));
      } catch (err) {
        o.onError?.(err);
      }
    }
    byId = new Map(valid.map((s) => [s.id, s]));
    lastRead = started;
  };
  // Subscribe first, then read: a change made in between is then read or announced, never lost.
  if (o.subscriber) {
    o.subscriber.on('message', (channel: string) => {
      if (channel === keys.changes) reload().catch((err: unknown) => o.onError?.(err));
    });
    await o.subscriber.subscribe(keys.changes);
  }
  await reload();
  const timer = setInterval(() => {
    reload().catch((err: unknown) => o.onError?.(new Error(`sources reload failed: ${messageOf(err)}`)));
  }, o.refreshMs ?? 30_000);
  timer.unref();

  return {
    get: (id) => byId.get(id),
    refresh() {
      if (Date.now() - lastRead < 1000) return Promise.resolve();
      refreshing ??= reload().finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },
    list: () => [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)),
    async put(source) {
      const [valid] = validateSources({ sources: [source] }, o.lookup);
      const s = valid!;
      await redisCall(() =>
        o.redis.hset(
          keys.hash,
          s.id,
          JSON.stringify({ id: s.id, provider: s.provider, secrets: s.secrets, options: s.options }),
        ),
      );
      await redisCall(() => o.redis.publish(keys.changes, s.id));
      byId.set(s.id, s);
      return s;
    },
    async delete(id) {
      const n = await redisCall(() => o.redis.hdel(keys.hash, id));
      await redisCall(() => o.redis.publish(keys.changes, id));
      byId.delete(id);
      return n === 1;
    },
    reload,
    async close() {
      clearInterval(timer);
      if (o.subscriber) {
        await o.subscriber.unsubscribe(keys.changes).catch(() => undefined);
      }
    },
  };
}

/** Seeds Redis from sources (e.g. a validated sources file) without overwriting existing ids. */
export async function importSources(redis: Redis, prefix: string, sources: readonly SourceConfig[]): Promise<number> {
  const keys = sourceKeys(prefix);
  let n = 0;
  for (const s of sources) n += await redisCall(() => redis.hsetnx(keys.hash, s.id, JSON.stringify(s)));
  if (n > 0) await redisCall(() => redis.publish(keys.changes, '*'));
  return n;
}

/** Configuration of the sources of the ingress and the validator. */
export const sourcesSpec = {
  /** Where sources are read: "file" (SOURCES_FILE) or "redis" (managed through the admin API). */
  SOURCES_STORE: oneOf(['file', 'redis'] as const, 'file'),
  /** JSON file of sources (services/common/sources.ts); required with SOURCES_STORE=file. */
  SOURCES_FILE: optStr(),
  /** Prefix of hookline's Redis keys (shared with the admin and the dispatcher). */
  REDIS_KEY_PREFIX: str('hookline:'),
};

/** Opens the configured store; close() releases the Redis subscription (a no-op for a file). */
export async function openSources(
  c: ConfigOf<typeof sourcesSpec>,
  deps: { readonly redis: Redis; readonly logger: Logger },
  lookup: ProviderLookup,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ store: SourceStore; close(): Promise<void> }> {
  if (c.SOURCES_STORE === 'file') {
    if (!c.SOURCES_FILE) throw new ConfigError('SOURCES_FILE is required with SOURCES_STORE=file');
    return { store: fileSourceStore(c.SOURCES_FILE, lookup, env), close: () => Promise.resolve() };
  }
  const subscriber = deps.redis.duplicate();
  subscriber.on('error', (err: Error) => deps.logger.debug({ err: err.message }, 'redis subscriber connection error'));
  await subscriber.connect();
  const warn = throttled(10_000);
  const store = await openRedisSourceStore({
    redis: deps.redis,
    subscriber,
    prefix: c.REDIS_KEY_PREFIX,
    lookup,
    onError: (err) => {
      if (warn())
        deps.logger.warn({ err: messageOf(err) }, 'sources not re-read from redis: serving the set read last');
    },
  });
  return {
    store,
    async close() {
      await store.close();
      subscriber.disconnect();
    },
  };
}
