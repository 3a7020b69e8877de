/**
 * Console sessions, server-side in Redis with an expiry. The cookie holds only a random id (256
 * bits); Redis holds, under the SHA-256 of that id, who is logged in, the session's CSRF token and
 * the credential the pages call the admin API with (the admin key or the portal token) encrypted
 * with AES-256-GCM under a key derived from the cookie's id: a Redis dump alone reveals no key.
 * A tenant session never outlives its portal token. Logout deletes the record.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from '../../common/redis.ts';
import { redisCall } from '../../common/redis.ts';

export interface Session {
  /** operator: an admin key, every page; tenant: one tenant's endpoints and deliveries. */
  readonly kind: 'operator' | 'tenant';
  readonly tenantId: string | null;
  /** Which key or token logged in (first characters only), for the page header. */
  readonly hint: string;
  readonly csrf: string;
  readonly expiresAt: number;
  /** The bearer credential the pages call the API with (decrypted; never rendered or logged). */
  readonly credential: string;
}

interface Stored {
  kind: Session['kind'];
  tenantId: string | null;
  hint: string;
  csrf: string;
  expiresAt: number;
  iv: string;
  tag: string;
  cred: string;
}

export interface SessionStore {
  create(s: Omit<Session, 'csrf' | 'expiresAt'>, ttlMs: number): Promise<{ id: string; session: Session }>;
  get(id: string): Promise<Session | undefined>;
  destroy(id: string): Promise<void>;
}

const ID = /^[A-Za-z0-9_-]{43}$/;
const sha = (label: string, id: string) => createHash('sha256').update(label).update(id).digest();

export function sessionStore(redis: Redis, prefix: string, now: () => number = Date.now): SessionStore {
  const keyOf = (id: string) => `${prefix}console:session:${sha('key:', id).toString('hex')}`;
  return {
    async create(s, ttlMs) {
      const id = randomBytes(32).toString('base64url');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sha('cred:', id), iv);
      const cred = Buffer.concat([cipher.update(s.credential, 'utf8'), cipher.final()]);
      const expiresAt = now() + ttlMs;
      const stored: Stored = {
        kind: s.kind,
        tenantId: s.tenantId,
        hint: s.hint,
        csrf: randomBytes(24).toString('base64url'),
        expiresAt,
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        cred: cred.toString('base64'),
      };
      await redisCall(() => redis.set(keyOf(id), JSON.stringify(stored), 'PX', ttlMs));
      return { id, session: { ...s, csrf: stored.csrf, expiresAt } };
    },
    async get(id) {
      if (!ID.test(id)) return undefined;
      const raw = await redisCall(() => redis.get(keyOf(id)));
      if (!raw) return undefined;
      const st = JSON.parse(raw) as Stored;
      if (st.expiresAt <= now()) return undefined;
      try {
        const d = createDecipheriv('aes-256-gcm', sha('cred:', id), Buffer.from(st.iv, 'base64'));
        d.setAuthTag(Buffer.from(st.tag, 'base64'));
        const credential = Buffer.concat([d.update(Buffer.from(st.cred, 'base64')), d.final()]).toString('utf8');
        const { kind, tenantId, hint, csrf, expiresAt } = st;
        return { kind, tenantId, hint, csrf, expiresAt, credential };
      } catch {
        return undefined;
      }
    },
    async destroy(id) {
      if (ID.test(id)) await redisCall(() => redis.del(keyOf(id)));
    },
  };
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
