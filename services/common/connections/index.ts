/**
 * Connection security for Kafka, the schema registry and Redis, built once from the validated
 * config: `connectionSpec` joins the base config, `connections(config)` checks the combinations
 * (naming the variables) and returns the options each client takes. Secrets come from `NAME` or
 * `NAME_FILE` (secrets.ts) and never reach logs: `describe` names protocols, users and CA paths only.
 */
import type { ConfigOf } from '../config.ts';
import {
  KAFKA_SECRETS,
  kafkaSecurity,
  kafkaSecuritySpec,
  type KafkaSecurity,
  type OauthBearerProvider,
} from './kafka.ts';
import { REDIS_SECRETS, redisSecurity, redisSecuritySpec, type RedisSecurity } from './redis.ts';
import { REGISTRY_SECRETS, registryConnection, registrySecuritySpec, type RegistryConnection } from './registry.ts';

export { Secret, secret, pemFile, variablesOf } from './secrets.ts';
export type { KafkaSecurity, OauthBearerProvider, RedisSecurity, RegistryConnection };
export { registryRequest, asRegistryConnection } from './registry.ts';

export const connectionSpec = { ...kafkaSecuritySpec, ...registrySecuritySpec, ...redisSecuritySpec };
/** Secret variables; each may also be given as `<NAME>_FILE`. */
export const CONNECTION_SECRETS: readonly string[] = [...KAFKA_SECRETS, ...REGISTRY_SECRETS, ...REDIS_SECRETS];

export interface Connections {
  readonly kafka: KafkaSecurity;
  readonly registry: RegistryConnection;
  readonly redis: RedisSecurity;
  /** One line for the start log: protocols, users and CA paths, never secrets. */
  readonly describe: string;
}

export function connections(
  c: ConfigOf<typeof connectionSpec> & { readonly SCHEMA_REGISTRY_URL: string; readonly REDIS_URL: string },
  hooks: { oauthBearerProvider?: OauthBearerProvider } = {},
): Connections {
  const kafka = kafkaSecurity(c, hooks.oauthBearerProvider);
  const registry = registryConnection(c);
  const redis = redisSecurity(c);
  const redisUrl = new URL(c.REDIS_URL);
  const registryAuth = registry.auth ? ` basic auth as ${registry.auth.username}` : '';
  const redisUser = redis.username ?? (redisUrl.username || undefined);
  const describe =
    `kafka ${kafka.describe}; registry ${new URL(c.SCHEMA_REGISTRY_URL).protocol.replace(':', '')}${registryAuth}; ` +
    `redis ${redisUrl.protocol === 'rediss:' ? 'TLS' : 'plaintext'}${redisUser ? ` as ${redisUser}` : ''}` +
    `${redis.sentinels ? ` via sentinel master ${redis.name ?? ''}` : ''}`;
  return { kafka, registry, redis, describe };
}
