/**
 * Redis connection security: `rediss://` (TLS) with a custom CA and optional client certificate,
 * an ACL user (REDIS_USERNAME / REDIS_PASSWORD, or in the URL), and Sentinel (REDIS_SENTINELS,
 * REDIS_SENTINEL_MASTER) for a managed primary with failover. Redis Cluster is not supported:
 * the duplicate, rate-limit and source-store keys are not hash-tagged and some writes touch
 * several keys in one MULTI, which a cluster refuses across slots; start is refused naming that.
 * TLS settings with a `redis://` URL are refused too, rather than silently ignored.
 */
import type { ConnectionOptions } from 'node:tls';
import { list, optStr, type ConfigOf } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { pemFile, secret } from './secrets.ts';

export const redisSecuritySpec = {
  REDIS_USERNAME: optStr(),
  REDIS_PASSWORD: secret(),
  REDIS_TLS_CA_FILE: pemFile(),
  REDIS_TLS_CERT_FILE: pemFile(),
  REDIS_TLS_KEY_FILE: pemFile(),
  /** host:port of each Sentinel; with it, REDIS_URL's host is ignored and the master is asked for. */
  REDIS_SENTINELS: list([]),
  REDIS_SENTINEL_MASTER: optStr(),
  REDIS_SENTINEL_PASSWORD: secret(),
};
export const REDIS_SECRETS = ['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'] as const;

export type RedisSecurityConfig = ConfigOf<typeof redisSecuritySpec> & { readonly REDIS_URL: string };

/** ioredis options merged over those parsed from REDIS_URL. */
export interface RedisSecurity {
  readonly username?: string;
  readonly password?: string;
  readonly tls?: ConnectionOptions;
  readonly sentinels?: { host: string; port: number }[];
  readonly name?: string;
  readonly sentinelPassword?: string;
  readonly enableTLSForSentinelMode?: boolean;
}

export function redisSecurity(c: RedisSecurityConfig): RedisSecurity {
  const url = new URL(c.REDIS_URL);
  const tls = url.protocol === 'rediss:';
  const problems: string[] = [];
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    problems.push(`REDIS_URL must start with redis:// or rediss://, got ${url.protocol}//`);
  if (!tls && (c.REDIS_TLS_CA_FILE || c.REDIS_TLS_CERT_FILE))
    problems.push('REDIS_TLS_CA_FILE / REDIS_TLS_CERT_FILE need a rediss:// REDIS_URL');
  if (Boolean(c.REDIS_TLS_CERT_FILE) !== Boolean(c.REDIS_TLS_KEY_FILE))
    problems.push('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together');
  if (url.password && c.REDIS_PASSWORD) problems.push('REDIS_URL has a password and REDIS_PASSWORD is set: use one');
  if (c.REDIS_SENTINELS.length > 0 && !c.REDIS_SENTINEL_MASTER)
    problems.push('REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS');
  const sentinels = c.REDIS_SENTINELS.map((hp) => {
    const m = /^([^:]+):(\d{1,5})$/.exec(hp);
    if (!m) problems.push(`REDIS_SENTINELS entries must be host:port, got "${hp}"`);
    return { host: m?.[1] ?? '', port: Number(m?.[2] ?? 0) };
  });
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  const tlsOpts: ConnectionOptions | undefined = tls
    ? {
        rejectUnauthorized: true,
        ...(c.REDIS_TLS_CA_FILE ? { ca: c.REDIS_TLS_CA_FILE.pem } : {}),
        ...(c.REDIS_TLS_CERT_FILE ? { cert: c.REDIS_TLS_CERT_FILE.pem } : {}),
        ...(c.REDIS_TLS_KEY_FILE ? { key: c.REDIS_TLS_KEY_FILE.pem } : {}),
      }
    : undefined;
  return {
    ...(c.REDIS_USERNAME ? { username: c.REDIS_USERNAME } : {}),
    ...(c.REDIS_PASSWORD ? { password: c.REDIS_PASSWORD.reveal() } : {}),
    ...(tlsOpts ? { tls: tlsOpts } : {}),
    ...(sentinels.length > 0
      ? {
          sentinels,
          name: c.REDIS_SENTINEL_MASTER ?? '',
          ...(c.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: c.REDIS_SENTINEL_PASSWORD.reveal() } : {}),
          ...(tls ? { enableTLSForSentinelMode: true } : {}),
        }
      : {}),
  };
}
