/**
 * Every outbound message, published or inbound-derived, indexed as it reaches outbound.events
 * (the admin reads that topic with a group of its own), so "accepted but not yet delivered" and
 * the stuck-work gauge cover all of a tenant's messages, not only the published ones:
 *   {p}pub:{tenantId}          zset "{messageId}|{eventType}" → createdAt (undelivered.ts lists it)
 *   {p}undelivered:{endpoint}  zset messageId → createdAt, one entry per target endpoint, removed
 *                              when the delivery log sees SUCCEEDED or DEAD for it
 *   {p}undelivered:endpoints   set of endpoints that may hold entries
 * The tenant of an inbound-derived message is its source's (as the dispatcher decides it); its
 * targets are the tenant's enabled endpoints subscribed to its type. Records aimed at one endpoint
 * (retries, recover) are not new messages and are skipped.
 *
 * hookline_outbound_oldest_undelivered_age_seconds is the age of the oldest message some enabled
 * endpoint has not received (0 when none): one series for the alert, plus the same per endpoint
 * for the N oldest endpoints only (…_by_endpoint{endpoint,tenant}), so the series stay bounded
 * however many endpoints exist and the alert can still name and link the endpoint. Each tick
 * checks the head of each endpoint's set against the delivery log, which also heals an attempt
 * logged before its message was indexed.
 */
import type { Meter } from '@opentelemetry/api';
import { tenantKeys, tenantOf, sourceIdOfResourceKey } from '../common/contracts/tenant.ts';
import type { DeliveryAttempt, OutboundEvent } from '../common/contracts/index.ts';
import { matchesEventType, type Endpoint, type EndpointStore } from '../common/endpoints.ts';
import { messageOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { DeliveryLog } from './log-store.ts';
import { publishedKey } from './undelivered.ts';

const CACHE_MS = 5000;
const settledStatus = new Set(['SUCCEEDED', 'DEAD']);

export interface OutboundIndexDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly store: EndpointStore;
  readonly log: DeliveryLog;
  /** How long entries stay (the tenants' default retention). */
  readonly retentionMs: number;
}

export function createOutboundIndex(d: OutboundIndexDeps) {
  const pendingOf = (endpointId: string) => `${d.prefix}undelivered:${endpointId}`;
  const withEntries = `${d.prefix}undelivered:endpoints`;
  let sources: { map: Map<string, string>; at: number } = { map: new Map(), at: 0 };
  const endpointsOf = new Map<string, { list: Endpoint[]; at: number }>();

  async function tenantEndpoints(tenantId: string): Promise<Endpoint[]> {
    const hit = endpointsOf.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.list;
    const list: Endpoint[] = [];
    for (let cursor: string | undefined; ;) {
      const page = await d.store.list({ tenantId, limit: 250, cursor });
      list.push(...page.data);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    if (endpointsOf.size > 10_000) endpointsOf.clear();
    endpointsOf.set(tenantId, { list, at: Date.now() });
    return list;
  }

  async function tenantOfMessage(e: OutboundEvent): Promise<string> {
    if (e.tenantId) return e.tenantId;
    if (Date.now() - sources.at > CACHE_MS) {
      const all = await redisCall(() => d.redis.hgetall(tenantKeys(d.prefix).sources));
      sources = { map: new Map(Object.entries(all)), at: Date.now() };
    }
    return sources.map.get(sourceIdOfResourceKey(e.resourceKey)) ?? tenantOf(e);
  }

  return {
    /** outbound.events records → the indexes (idempotent: a re-read record writes the same entries). */
    async add(events: readonly OutboundEvent[]): Promise<void> {
      const m = d.redis.multi();
      let n = 0;
      for (const e of events) {
        if (e.endpointId) continue;
        const tenantId = await tenantOfMessage(e);
        const at = e.createdAt;
        const pub = publishedKey(d.prefix, tenantId);
        m.zadd(pub, at, `${e.messageId}|${e.eventType}`).pexpire(pub, d.retentionMs);
        for (const ep of await tenantEndpoints(tenantId))
          if (ep.state.enabled && matchesEventType(ep.eventTypes, e.eventType)) {
            m.zadd(pendingOf(ep.id), at, e.messageId).sadd(withEntries, ep.id);
          }
        n++;
      }
      if (n > 0) await redisCall(() => m.exec());
    },
    /** Delivery-log attempts → entries removed for messages an endpoint received (or dead-lettered). */
    async settle(attempts: readonly DeliveryAttempt[]): Promise<void> {
      const done = attempts.filter((a) => settledStatus.has(a.outcome));
      if (done.length === 0) return;
      const m = d.redis.multi();
      for (const a of done) m.zrem(pendingOf(a.endpointId), a.messageId);
      await redisCall(() => m.exec());
    },
    /** Oldest undelivered createdAt per endpoint (enabled endpoints only), heads checked against the log. */
    async oldest(now = Date.now()): Promise<{ endpointId: string; tenantId: string; at: number }[]> {
      const ids = await redisCall(() => d.redis.smembers(withEntries));
      const out: { endpointId: string; tenantId: string; at: number }[] = [];
      for (const id of ids) {
        const ep = await d.store.get(id);
        const key = pendingOf(id);
        if (!ep) {
          await redisCall(() => d.redis.multi().del(key).srem(withEntries, id).exec());
          continue;
        }
        await redisCall(() => d.redis.zremrangebyscore(key, '-inf', now - d.retentionMs));
        if (!ep.state.enabled) continue; // a disabled endpoint has its own alert
        for (let checked = 0; checked < 50; checked++) {
          const head = await redisCall(() => d.redis.zrange(key, '0', '0', 'WITHSCORES'));
          if (head.length === 0) {
            await redisCall(() => d.redis.srem(withEntries, id));
            break;
          }
          const s = await d.log.summary(id, head[0]!);
          if (s && settledStatus.has(s.status)) {
            await redisCall(() => d.redis.zrem(key, head[0]!));
            continue;
          }
          out.push({ endpointId: id, tenantId: tenantOf(ep), at: Number(head[1]) });
          break;
        }
      }
      return out.sort((a, b) => a.at - b.at);
    },
  };
}

export type OutboundIndex = ReturnType<typeof createOutboundIndex>;

/** The gauges, refreshed every intervalMs (an observable gauge reads the last figures). */
export function startUndeliveredGauge(o: {
  index: OutboundIndex;
  meter: Meter | undefined;
  intervalMs: number;
  topEndpoints: number;
  logger: Logger;
}) {
  let figures: { oldest: { endpointId: string; tenantId: string; at: number }[]; at: number } | undefined;
  let reported = new Set<string>();
  o.meter
    ?.createObservableGauge('hookline_outbound_oldest_undelivered_age_seconds', {
      description: 'Age of the oldest outbound message an enabled endpoint has not received yet (0: none)',
      unit: 's',
    })
    .addCallback((r) => {
      if (!figures) return;
      const first = figures.oldest[0];
      r.observe(first ? Math.max(0, (Date.now() - first.at) / 1000) : 0);
    });
  o.meter
    ?.createObservableGauge('hookline_outbound_oldest_undelivered_age_seconds_by_endpoint', {
      description: 'The same, for the endpoints holding the oldest undelivered messages (top N only)',
      unit: 's',
    })
    .addCallback((r) => {
      // The SDK keeps reporting an attribute set's last value once it is no longer observed, so an
      // endpoint that left the top N is observed at 0 once (else its last age would stay, frozen).
      const now = new Set<string>();
      for (const e of figures?.oldest.slice(0, o.topEndpoints) ?? []) {
        now.add(`${e.endpointId}\u0000${e.tenantId}`);
        r.observe(Math.max(0, (Date.now() - e.at) / 1000), { endpoint: e.endpointId, tenant: e.tenantId });
      }
      for (const k of reported)
        if (!now.has(k)) {
          const [endpoint, tenant] = k.split('\u0000') as [string, string];
          r.observe(0, { endpoint, tenant });
        }
      reported = now;
    });
  let inFlight: Promise<void> | undefined;
  const tick = () => {
    if (inFlight) return;
    inFlight = o.index
      .oldest()
      .then((oldest) => void (figures = { oldest, at: Date.now() }))
      .catch((err: unknown) => o.logger.warn({ err: messageOf(err) }, 'oldest undelivered not computed'))
      .finally(() => (inFlight = undefined));
  };
  tick();
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  return {
    current: () => figures,
    refresh: async () => {
      await inFlight;
      tick();
      await inFlight;
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
