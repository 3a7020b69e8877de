/**
 * "Accepted but not yet delivered": published messages (HTTP or outbound.requests) that some
 * endpoint of the tenant, subscribed and enabled when the message was published, has not
 * received successfully N minutes after publishing. The publisher indexes each message it
 * accepted in {p}pub:{tenantId} (zset "{messageId}|{eventType}" → publish time, trimmed to the
 * tenant's retention); the check reads the delivery log's per-endpoint summaries. Inbound-derived
 * messages are not in this index (their progress is in the delivery log by endpoint).
 */
import { matchesEventType, type Endpoint, type EndpointStore } from '../common/endpoints.ts';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { DeliveryLog } from './log-store.ts';

export const publishedKey = (prefix: string, tenantId: string) => `${prefix}pub:${tenantId}`;

export interface Undelivered {
  readonly messageId: string;
  readonly eventType: string;
  readonly publishedAt: number;
  /** Endpoints that have not succeeded, with the last status (null = not attempted yet). */
  readonly pending: { endpointId: string; status: string | null }[];
}

export async function listUndelivered(
  d: { redis: Redis; prefix: string; store: EndpointStore; log: DeliveryLog },
  q: { tenantId: string; olderThanMs: number; limit: number; now?: number },
): Promise<Undelivered[]> {
  const now = q.now ?? Date.now();
  const endpoints: Endpoint[] = [];
  for (let cursor: string | undefined; ;) {
    const page = await d.store.list({ tenantId: q.tenantId, limit: 250, cursor });
    endpoints.push(...page.data);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  const out: Undelivered[] = [];
  let offset = 0;
  while (out.length < q.limit && offset < 5000) {
    const raw = await redisCall(() =>
      d.redis.zrevrangebyscore(
        publishedKey(d.prefix, q.tenantId),
        String(now - q.olderThanMs),
        '-inf',
        'WITHSCORES',
        'LIMIT',
        String(offset),
        '200',
      ),
    );
    if (raw.length === 0) break;
    offset += raw.length / 2;
    for (let i = 0; i < raw.length && out.length < q.limit; i += 2) {
      const [messageId, eventType] = raw[i]!.split('|') as [string, string];
      const publishedAt = Number(raw[i + 1]);
      const targets = endpoints.filter(
        (e) => e.state.enabled && e.createdAt <= publishedAt && matchesEventType(e.eventTypes, eventType),
      );
      const pending: Undelivered['pending'] = [];
      for (const e of targets) {
        const s = await d.log.summary(e.id, messageId);
        if (s?.status !== 'SUCCEEDED') pending.push({ endpointId: e.id, status: s?.status ?? null });
      }
      if (pending.length > 0) out.push({ messageId, eventType, publishedAt, pending });
    }
  }
  return out;
}
