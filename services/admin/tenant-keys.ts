/**
 * Tenant API keys managed through the API (POST/GET/DELETE /v1/tenants/{id}/api-keys), beside the
 * configured ones (ADMIN_API_KEYS, auth.ts). The key is shown once, at creation; Redis holds only
 * its SHA-256 digest:
 *   {p}apikey:{sha256hex}        → the key's record (id, tenant, scopes), looked up per request
 *   {p}tenant-apikeys:{tenantId} → hash keyId → record + digest, for listing and revoking
 * There is no cache: each request presenting an "hlk_" key reads Redis once, so a revocation is
 * effective at once on every admin instance (Redis down → 503, never a stale accept). The lookup
 * is by digest of a 192-bit random key, so there is nothing to compare in constant time.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { ApiKey } from './auth.ts';

export const MANAGED_KEY_PREFIX = 'hlk_';
/** Most keys one tenant may hold. */
export const MAX_KEYS_PER_TENANT = 100;

export interface ManagedKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** First characters of the key, to recognise it in a list. */
  readonly hint: string;
  readonly createdAt: number;
}

interface Stored extends ManagedKey {
  readonly digest: string;
}

export interface TenantKeys {
  /** The new key (returned once) and its record; undefined when the tenant holds too many keys. */
  create(
    tenantId: string,
    o: { scopes: readonly string[]; name: string },
  ): Promise<{ key: string; record: ManagedKey } | undefined>;
  list(tenantId: string): Promise<ManagedKey[]>;
  revoke(tenantId: string, keyId: string): Promise<boolean>;
  revokeAll(tenantId: string): Promise<void>;
  /** The ApiKey for a presented bearer token, or undefined (not a managed key, or revoked). */
  find(presented: string): Promise<ApiKey | undefined>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const view = ({ digest: _, ...k }: Stored): ManagedKey => k;

export function createTenantKeys(redis: Redis, prefix: string): TenantKeys {
  const byDigest = (hex: string) => `${prefix}apikey:${hex}`;
  const ofTenant = (tenantId: string) => `${prefix}tenant-apikeys:${tenantId}`;

  async function all(tenantId: string): Promise<Stored[]> {
    const raw = await redisCall(() => redis.hvals(ofTenant(tenantId)));
    return raw.map((v) => JSON.parse(v) as Stored).sort((a, b) => a.createdAt - b.createdAt);
  }

  return {
    async create(tenantId, o) {
      if ((await redisCall(() => redis.hlen(ofTenant(tenantId)))) >= MAX_KEYS_PER_TENANT) return undefined;
      const key = `${MANAGED_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
      const digest = sha256(key).toString('hex');
      const stored: Stored = {
        id: `key_${randomBytes(8).toString('hex')}`,
        tenantId,
        name: o.name,
        scopes: [...o.scopes],
        hint: `${key.slice(0, 8)}…`,
        createdAt: Date.now(),
        digest,
      };
      const text = JSON.stringify(stored);
      await redisCall(() => redis.multi().set(byDigest(digest), text).hset(ofTenant(tenantId), stored.id, text).exec());
      return { key, record: view(stored) };
    },
    async list(tenantId) {
      return (await all(tenantId)).map(view);
    },
    async revoke(tenantId, keyId) {
      const raw = await redisCall(() => redis.hget(ofTenant(tenantId), keyId));
      if (raw === null) return false;
      const { digest } = JSON.parse(raw) as Stored;
      await redisCall(() => redis.multi().del(byDigest(digest)).hdel(ofTenant(tenantId), keyId).exec());
      return true;
    },
    async revokeAll(tenantId) {
      const keys = await all(tenantId);
      await redisCall(() =>
        keys
          .reduce((m, k) => m.del(byDigest(k.digest)), redis.multi())
          .del(ofTenant(tenantId))
          .exec(),
      );
    },
    async find(presented) {
      if (!presented.startsWith(MANAGED_KEY_PREFIX)) return undefined;
      const digest = sha256(presented);
      const raw = await redisCall(() => redis.get(byDigest(digest.toString('hex'))));
      if (raw === null) return undefined;
      const k = JSON.parse(raw) as Stored;
      return { digest, scopes: new Set(k.scopes), hint: k.hint, tenantId: k.tenantId };
    },
  };
}
