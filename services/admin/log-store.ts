/**
 * The delivery log: outbound.attempts projected into Redis by the admin's own consumer (so the
 * dispatcher's hot path writes nothing extra, and the log can be rebuilt by resetting the
 * consumer group). Bounded: every key expires after the retention, indexes are trimmed by time
 * and size on each write.
 *
 * Admin-owned keys ({p} = REDIS_KEY_PREFIX):
 *   {p}log:att:{ep}:{msg}  hash    "{attemptedAt}:{attempt}" → attempt JSON (idempotent on replay)
 *   {p}log:sum:{ep}:{msg}  string  latest state of the message at the endpoint (status, last attempt)
 *   {p}log:msg:{msg}       string  the message (type, resource, payload) for display and manual retry
 *   {p}log:ep:{ep}         zset    msg → time of its latest attempt at that endpoint
 *   {p}log:all             zset    "{ep}|{msg}" → time of the latest attempt
 *   {p}log:tenant:{t}      zset    "{ep}|{msg}" → time of the latest attempt, for tenant t
 * Retention is the endpoint's tenant's (Tenant.retentionMs, default 30 days): the keys of an
 * attempt expire after it and the tenant's and endpoint's indexes are trimmed to it on every
 * write; log:all (the operator's view across tenants) keeps ADMIN_LOG_RETENTION_MS.
 */
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { DeliveryAttempt } from '../common/contracts/index.ts';

export type Status = DeliveryAttempt['outcome'];

export interface Summary {
  readonly endpointId: string;
  readonly messageId: string;
  readonly eventType: string;
  readonly resourceKey: string;
  readonly status: Status;
  readonly lastAttemptAt: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
  attempts?: number;
}

export interface StoredMessage {
  readonly messageId: string;
  readonly eventType: string;
  readonly resourceKey: string;
  readonly sourceEventId: string;
  readonly occurredAt: number;
  readonly payload: string;
}

export type StoredAttempt = Omit<DeliveryAttempt, 'payload'>;

export interface LogQuery {
  readonly tenantId?: string | undefined;
  readonly resourceKey?: string | undefined;
  readonly messageId?: string | undefined;
  readonly endpointId?: string | undefined;
  readonly status?: readonly Status[] | undefined;
  readonly eventType?: string | undefined;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** Who owns an endpoint's log entries: its tenant and that tenant's retention. */
export interface LogOwner {
  readonly tenantId: string;
  readonly retentionMs: number;
}

export interface DeliveryLog {
  /** `owners` maps endpoint ids to their tenant; an endpoint missing there keeps only the global indexes. */
  write(attempts: readonly DeliveryAttempt[], owners?: ReadonlyMap<string, LogOwner>): Promise<void>;
  query(q: LogQuery): Promise<{ data: Summary[]; nextCursor: string | null }>;
  attempts(endpointId: string, messageId: string): Promise<StoredAttempt[]>;
  summary(endpointId: string, messageId: string): Promise<Summary | undefined>;
  message(messageId: string): Promise<StoredMessage | undefined>;
}

/** Upserts the summary and indexes only when this attempt is the latest seen (replays are harmless). */
const UPSERT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[7]) end
local cur = redis.call('GET', KEYS[2])
local t = tonumber(ARGV[5])
if cur and tonumber(cjson.decode(cur).lastAttemptAt) > t then return 0 end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[7])
redis.call('ZADD', KEYS[4], t, ARGV[6])
redis.call('ZADD', KEYS[5], t, ARGV[9])
local cutoff = t - tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cutoff)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', t - tonumber(ARGV[10]))
if KEYS[6] ~= KEYS[5] then
  redis.call('ZADD', KEYS[6], t, ARGV[9])
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', cutoff)
  redis.call('PEXPIRE', KEYS[6], ARGV[7])
end
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[8]) - 1)
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -tonumber(ARGV[8]) * 10 - 1)
return 1`;

export function createDeliveryLog(
  redis: Redis,
  prefix: string,
  o: { retentionMs: number; maxPerEndpoint: number },
): DeliveryLog {
  const k = {
    att: (ep: string, msg: string) => `${prefix}log:att:${ep}:${msg}`,
    sum: (ep: string, msg: string) => `${prefix}log:sum:${ep}:${msg}`,
    msg: (msg: string) => `${prefix}log:msg:${msg}`,
    ep: (ep: string) => `${prefix}log:ep:${ep}`,
    all: `${prefix}log:all`,
    tenant: (t: string) => `${prefix}log:tenant:${t}`,
  };

  async function summaries(pairs: readonly (readonly [string, string])[]): Promise<(Summary | undefined)[]> {
    if (pairs.length === 0) return [];
    const pipe = redis.pipeline();
    for (const [ep, msg] of pairs) pipe.get(k.sum(ep, msg)).hlen(k.att(ep, msg));
    const res = (await redisCall(() => pipe.exec())) ?? [];
    return pairs.map((_, i) => {
      const raw = res[i * 2]?.[1];
      if (typeof raw !== 'string') return undefined;
      const s = JSON.parse(raw) as Summary;
      s.attempts = Number(res[i * 2 + 1]?.[1] ?? 0);
      return s;
    });
  }

  return {
    async write(attempts, owners) {
      if (attempts.length === 0) return;
      const pipe = redis.pipeline();
      for (const a of attempts) {
        const { payload, ...stored } = a;
        const msg: StoredMessage | undefined =
          payload === null
            ? undefined
            : {
                messageId: a.messageId,
                eventType: a.eventType,
                resourceKey: a.resourceKey,
                sourceEventId: a.sourceEventId ?? '',
                occurredAt: a.occurredAt ?? a.attemptedAt,
                payload,
              };
        const summary: Summary = {
          endpointId: a.endpointId,
          messageId: a.messageId,
          eventType: a.eventType,
          resourceKey: a.resourceKey,
          status: a.outcome,
          lastAttemptAt: a.attemptedAt,
          lastStatusCode: a.statusCode,
          lastError: a.error,
          nextAttemptAt: a.nextAttemptAt,
        };
        const owner = owners?.get(a.endpointId);
        const retentionMs = owner?.retentionMs ?? o.retentionMs;
        pipe.eval(
          UPSERT,
          6,
          k.att(a.endpointId, a.messageId),
          k.sum(a.endpointId, a.messageId),
          k.msg(a.messageId),
          k.ep(a.endpointId),
          k.all,
          owner ? k.tenant(owner.tenantId) : k.all,
          `${a.attemptedAt}:${a.attempt}`,
          JSON.stringify(stored),
          msg ? JSON.stringify(msg) : '',
          JSON.stringify(summary),
          String(a.attemptedAt),
          a.messageId,
          String(retentionMs),
          String(o.maxPerEndpoint),
          `${a.endpointId}|${a.messageId}`,
          String(o.retentionMs),
        );
      }
      const res = (await redisCall(() => pipe.exec())) ?? [];
      const failed = res.find(([err]) => err);
      if (failed) throw failed[0] as Error;
    },

    async query(q) {
      const key = q.endpointId ? k.ep(q.endpointId) : q.tenantId ? k.tenant(q.tenantId) : k.all;
      const min = q.since ?? '-inf';
      let max: number | string = q.until ?? '+inf';
      let skipUntil: string | undefined;
      if (q.cursor) {
        const [score, member] = q.cursor.split('~');
        max = Number(score);
        skipUntil = member;
      }
      const out: Summary[] = [];
      let scanned = 0;
      let offset = 0;
      let last: { score: number; member: string } | undefined;
      for (;;) {
        const raw = await redisCall(() =>
          redis.zrevrangebyscore(key, String(max), String(min), 'WITHSCORES', 'LIMIT', String(offset), '200'),
        );
        if (raw.length === 0) return { data: out, nextCursor: null };
        offset += raw.length / 2;
        const members: { member: string; score: number }[] = [];
        for (let i = 0; i < raw.length; i += 2) members.push({ member: raw[i]!, score: Number(raw[i + 1]) });
        let page = members;
        if (skipUntil !== undefined) {
          const at = members.findIndex((m) => m.member === skipUntil);
          page = at >= 0 ? members.slice(at + 1) : members;
          skipUntil = undefined;
        }
        const pairs = page.map((m) =>
          q.endpointId
            ? ([q.endpointId, m.member] as const)
            : (m.member.split('|') as unknown as readonly [string, string]),
        );
        const sums = await summaries(pairs);
        for (let i = 0; i < page.length; i++) {
          scanned++;
          last = page[i]!;
          const s = sums[i];
          if (!s) continue;
          if (q.status && !q.status.includes(s.status)) continue;
          if (q.eventType && s.eventType !== q.eventType) continue;
          if (q.resourceKey && s.resourceKey !== q.resourceKey) continue;
          if (q.messageId && s.messageId !== q.messageId) continue;
          out.push(s);
          if (out.length >= q.limit) return { data: out, nextCursor: `${last.score}~${last.member}` };
        }
        // Bounded work per request: hand a cursor back rather than scan without end.
        if (scanned >= 5000 && last) return { data: out, nextCursor: `${last.score}~${last.member}` };
      }
    },

    async attempts(endpointId, messageId) {
      const all = await redisCall(() => redis.hgetall(k.att(endpointId, messageId)));
      return Object.values(all)
        .map((v) => JSON.parse(v) as StoredAttempt)
        .sort((a, b) => a.attemptedAt - b.attemptedAt || a.attempt - b.attempt);
    },
    async summary(endpointId, messageId) {
      return (await summaries([[endpointId, messageId]]))[0];
    },
    async message(messageId) {
      const raw = await redisCall(() => redis.get(k.msg(messageId)));
      return raw === null ? undefined : (JSON.parse(raw) as StoredMessage);
    },
  };
}
