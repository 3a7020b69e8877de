/**
 * Provider-duplicate detection that agrees with the Kafka transaction.
 *
 * A claim is `SET <prefix><eventId> "<topic>/<partition>/<offset>" NX EX <window>`: the value names
 * the raw record that claimed the event. Reading it back decides:
 *   - no key                  → first copy: claim it, emit;
 *   - key = this position     → this very raw record again: emit (again);
 *   - key = another position  → a true duplicate (provider retry, ingress retry): drop.
 *
 * Why the position and not a plain "seen" flag: the claim is written to Redis before the chunk's
 * transaction commits. When that transaction aborts (crash, SIGKILL, Redis/registry outage,
 * fencing by a new owner of the partition), the chunk is re-read from the committed offset and the
 * same raw record meets its own claim: it recognises itself and is emitted, so an aborted claim
 * never suppresses the retry. Every other copy sees a foreign position and is dropped, whichever
 * transaction commits. Two copies inside one chunk are decided in offset order inside one script.
 *
 * Replay (the validator group's offsets reset on webhooks.raw): the first copy of each event finds
 * its own claim (within the window) and is re-emitted with the same eventId; later copies are
 * still dropped. A replay therefore reproduces the original output exactly (downstream dedupes
 * by eventId anyway). After the window the keys are gone and a replay claims afresh, with the same
 * result: the first copy met wins.
 *
 * One round trip per chunk: all claims of a chunk go in one Lua script (atomic, in order).
 * The script touches many keys, so it needs a single Redis (or all keys in one hash slot); a
 * Redis Cluster deployment would split the claims per slot.
 */
import { createHash } from 'node:crypto';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';

export interface Claim {
  /** The hookline event id (derived from source id and provider dedupe key). */
  readonly eventId: string;
  /** `<topic>/<partition>/<offset>` of the raw record making the claim. */
  readonly position: string;
  /** Idempotency window of the event's source, seconds (≥ 1). */
  readonly windowSeconds: number;
}

export interface DedupeStore {
  /** One answer per claim, in order: true = emit (first copy, or this record re-read), false = duplicate. */
  claim(claims: readonly Claim[]): Promise<boolean[]>;
}

export const positionOf = (topic: string, partition: number, offset: string): string =>
  `${topic}/${partition}/${offset}`;

export const CLAIM_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local pos = ARGV[2 * i - 1]
  if redis.call('SET', key, pos, 'NX', 'EX', ARGV[2 * i]) then
    out[i] = 1
  elseif redis.call('GET', key) == pos then
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`;

const CLAIM_SHA = createHash('sha1').update(CLAIM_SCRIPT).digest('hex');

/** Redis-backed claims. `keyPrefix` isolates deployments sharing one Redis (e.g. "hookline:validator:dedupe:"). */
export function redisDedupeStore(redis: Redis, keyPrefix: string): DedupeStore {
  return {
    async claim(claims) {
      if (claims.length === 0) return [];
      const keys = claims.map((c) => `${keyPrefix}${c.eventId}`);
      const argv = claims.flatMap((c) => [c.position, String(Math.max(1, Math.ceil(c.windowSeconds)))]);
      const res = await redisCall(async () => {
        try {
          return await redis.evalsha(CLAIM_SHA, keys.length, ...keys, ...argv);
        } catch (err) {
          if (!String((err as Error | null)?.message).startsWith('NOSCRIPT')) throw err;
          return await redis.eval(CLAIM_SCRIPT, keys.length, ...keys, ...argv);
        }
      });
      if (!Array.isArray(res) || res.length !== claims.length) {
        throw new Error(`dedupe script answered ${JSON.stringify(res)} for ${claims.length} claims`);
      }
      return res.map((x) => x === 1);
    },
  };
}
