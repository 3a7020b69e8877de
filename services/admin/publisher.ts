/**
 * Publishing one message to one tenant, shared by POST /v1/tenants/{tenantId}/messages and the
 * outbound.requests reader. The order of steps is the guarantee:
 *   1. claim the idempotency key: SET {p}idem:{tenant}:{sha256(key)} NX PX 24h, value = a new
 *      messageId, state "pending" and a fingerprint of the request. Redis is shared, so the claim
 *      holds across admin instances and restarts.
 *   2. write the OutboundEvent to outbound.events with acks=all, within the publish deadline;
 *   3. mark the key "done". Only then does the caller answer 202 with the messageId.
 * The same key again: "done" → the same messageId, nothing published; "pending" and recent → 409
 * (the first request is still writing; retry); "pending" and older than the deadline (the writer
 * failed or died) → written again with the SAME messageId, so even a write that did land before
 * the failure reaches endpoints with one webhook-id (at-least-once, deduplicable). The same key
 * with another request body → 422, as Stripe does.
 *
 * Kafka down: a write that failed outright leaves the key re-playable at once. A write that only
 * missed the deadline is still being retried by the client library and may land later; the claim
 * then stays "unsettled" (503 + Retry-After for the same key) until that write settles: landed →
 * "done" (the retry answers the same messageId, nothing new written), failed → re-playable. So a
 * client retrying one key through an outage gets its message published exactly once. Only if this
 * admin dies before the write settles does the key become re-playable after `settleMs` (same
 * messageId: at worst a duplicate with one webhook-id).
 */
import { createHash, randomBytes } from 'node:crypto';
import { IDEMPOTENCY_TTL_MS, publishedResourceKey, type PublishRequest } from '../common/contracts/publish.ts';
import { TransientError } from '../common/errors.ts';
import type { HooklineProducer } from '../common/kafka/producer.ts';
import type { Redis } from '../common/redis.ts';
import { redisCall } from '../common/redis.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { OutboundEvent } from '../common/contracts/index.ts';
import { publishedKey } from './undelivered.ts';

export interface PublishResult {
  readonly messageId: string;
  /** True when the key had already published: nothing new was written. */
  readonly duplicate: boolean;
}

export class PublishConflict extends Error {
  override readonly name = 'PublishConflict';
  readonly kind: 'in_progress' | 'key_reused';
  constructor(kind: 'in_progress' | 'key_reused', message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface Publisher {
  publish(r: Omit<PublishRequest, 'requestedAt'>): Promise<PublishResult>;
}

interface Claim {
  readonly messageId: string;
  readonly state: 'pending' | 'done';
  readonly at: number;
  readonly fingerprint: string;
  /** Set while a write that missed the deadline may still land: the key waits for it until then. */
  readonly settleBy?: number;
}

class Unsettled extends Error {
  readonly send: Promise<void>;
  constructor(send: Promise<void>, cause: unknown) {
    super('kafka did not acknowledge within the deadline', { cause });
    this.send = send;
  }
}

export const newMessageId = (): string =>
  `msg_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

export function createPublisher(o: {
  redis: Redis;
  prefix: string;
  producer: HooklineProducer;
  avro: AvroCodec;
  /** outbound.events (with TOPIC_PREFIX). */
  topic: string;
  /** The write to Kafka must be acknowledged within this, else 503 (and the key stays re-playable). */
  deadlineMs: number;
  /** How long accepted messages stay in the "not yet delivered" index (undelivered.ts). */
  indexRetentionMs: number;
  /** Longest a write that missed the deadline may still land (the client library's retries); default 2 min. */
  settleMs?: number;
  now?: () => number;
}): Publisher {
  const now = o.now ?? Date.now;
  const settleMs = o.settleMs ?? 120_000;
  const keyOf = (tenantId: string, key: string) =>
    `${o.prefix}idem:${tenantId}:${createHash('sha256').update(key).digest('hex')}`;

  async function write(r: Omit<PublishRequest, 'requestedAt'>, messageId: string, createdAt: number): Promise<void> {
    const resourceKey = publishedResourceKey(r.tenantId, r.resourceId, messageId);
    const event: OutboundEvent = {
      messageId,
      eventType: r.eventType,
      resourceKey,
      sourceEventId: '',
      occurredAt: createdAt,
      createdAt,
      payload: JSON.stringify({
        id: messageId,
        type: r.eventType,
        timestamp: new Date(createdAt).toISOString(),
        data: JSON.parse(r.payload) as unknown,
      }),
      endpointId: null,
      tenantId: r.tenantId,
    };
    const value = await o.avro.encode(o.topic, event);
    if (!o.producer.connected) throw new TransientError('kafka producer is not connected', 'kafka_unavailable');
    let timer: NodeJS.Timeout | undefined;
    // Group commit: concurrent publishes share one acks=all request (the producer allows one
    // request in flight, so one request per publish would serialise them).
    const send = o.producer.enqueue({
      topic: o.topic,
      key: resourceKey,
      value,
      headers: { 'hookline-message-id': messageId, 'hookline-tenant': r.tenantId },
    });
    send.catch(() => undefined);
    try {
      await Promise.race([
        send,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Unsettled(send, undefined)), o.deadlineMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  const save = (key: string, claim: Claim) =>
    redisCall(() => o.redis.set(key, JSON.stringify(claim), 'PX', IDEMPOTENCY_TTL_MS));

  async function markDone(key: string, claim: Claim, r: Omit<PublishRequest, 'requestedAt'>, at: number) {
    const index = publishedKey(o.prefix, r.tenantId);
    const { settleBy: _, ...done } = claim;
    // Plain commands, not a MULTI: with auto-pipelining they leave in the same socket write as other
    // requests' commands (a MULTI is written on its own). Atomicity is not needed: "done" is the
    // only state that matters and it goes first; the index entry is written again by the outbound
    // indexer from the Kafka record itself (outbound-index.ts), so a crash between them loses nothing.
    await redisCall(() =>
      Promise.all([
        o.redis.set(key, JSON.stringify({ ...done, state: 'done', at: now() }), 'PX', IDEMPOTENCY_TTL_MS),
        o.redis.zadd(index, at, `${claim.messageId}|${r.eventType}`),
        o.redis.zremrangebyscore(index, '-inf', at - o.indexRetentionMs),
        o.redis.pexpire(index, o.indexRetentionMs),
      ]),
    );
  }

  /** Re-playable at once: the next try with this key writes again with the same messageId. */
  const replayable = (key: string, claim: Claim) => {
    const { settleBy: _, ...rest } = claim;
    return save(key, { ...rest, at: 0 }).catch(() => undefined);
  };

  return {
    async publish(r) {
      const key = keyOf(r.tenantId, r.idempotencyKey);
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([r.eventType, r.resourceId, r.payload]))
        .digest('base64url');
      const t = now();
      let claim: Claim = { messageId: newMessageId(), state: 'pending', at: t, fingerprint };
      const ok = await redisCall(() => o.redis.set(key, JSON.stringify(claim), 'PX', IDEMPOTENCY_TTL_MS, 'NX'));
      if (ok === null) {
        const raw = await redisCall(() => o.redis.get(key));
        if (raw === null) return this.publish(r); // expired between the two calls
        const prior = JSON.parse(raw) as Claim;
        if (prior.fingerprint !== fingerprint)
          throw new PublishConflict('key_reused', 'this Idempotency-Key was used with a different request');
        if (prior.state === 'done') return { messageId: prior.messageId, duplicate: true };
        if (prior.settleBy !== undefined && t < prior.settleBy)
          throw new TransientError(
            'an earlier write with this Idempotency-Key has not settled in Kafka yet',
            'publish_unsettled',
          );
        if (t - prior.at < o.deadlineMs + 1000)
          throw new PublishConflict('in_progress', 'a request with this Idempotency-Key is still being published');
        const { settleBy: _, ...rest } = prior;
        claim = { ...rest, at: t };
        await save(key, claim);
      }
      try {
        await write(r, claim.messageId, t);
      } catch (err) {
        if (err instanceof Unsettled) {
          const held = claim;
          await save(key, { ...held, at: t, settleBy: now() + settleMs }).catch(() => undefined);
          err.send.then(
            () => markDone(key, held, r, t).catch(() => undefined),
            () => replayable(key, held),
          );
          throw new TransientError(`kafka did not acknowledge within ${o.deadlineMs} ms`, 'kafka_slow');
        }
        await replayable(key, claim);
        throw err instanceof TransientError ? err : new TransientError('publish failed', 'kafka_unavailable', err);
      }
      await markDone(key, claim, r, t);
      return { messageId: claim.messageId, duplicate: false };
    },
  };
}
