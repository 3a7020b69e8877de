/**
 * What the dispatcher writes besides HTTP: every attempt to outbound.attempts (the delivery log),
 * exhausted or undeliverable messages to outbound.dlq (the one DLQ shape, its value an
 * OutboundEvent addressed to the one endpoint, so a redrive retries exactly that delivery),
 * endpoint-disabled and circuit events to ops.events, and the endpoint's failing-since mark.
 *
 *   {p}ep:failing:{id}  string  epoch ms of the first failure of the current failing streak (dispatcher)
 */
import { deadLetterOf, deadLetterRecord } from '../common/dlq.ts';
import type { EndpointStore } from '../common/endpoints.ts';
import { H } from '../common/kafka/types.ts';
import type { HooklineProducer } from '../common/kafka/producer.ts';
import type { Redis } from '../common/redis.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { DeliveryAttempt, OutboundEvent } from '../common/contracts/index.ts';
import type { Job } from './types.ts';

export interface Topics {
  readonly events: string;
  readonly attempts: string;
  readonly dlq: string;
  readonly ops: string;
}

export interface Records {
  attempt(a: DeliveryAttempt, trace: Record<string, string>): Promise<void>;
  deadLetter(job: Job, reason: string, error: string): Promise<void>;
  ops(event: Record<string, unknown> & { type: string }): Promise<void>;
}

export function createRecords(o: { producer: HooklineProducer; avro: AvroCodec; topics: Topics }): Records {
  return {
    async attempt(a, trace) {
      const value = await o.avro.encode(o.topics.attempts, a);
      await o.producer.enqueue({
        topic: o.topics.attempts,
        key: a.resourceKey,
        value,
        headers: { ...trace, [H.eventId]: a.messageId },
      });
    },
    async deadLetter(job, reason, error) {
      const event: OutboundEvent = { ...job.msg, endpointId: job.endpointId };
      const value = await o.avro.encode(o.topics.events, event);
      const dl = deadLetterOf(
        {
          topic: o.topics.events,
          partition: -1,
          offset: '-1',
          key: job.msg.resourceKey,
          value,
          headers: { ...job.trace },
          timestamp: Date.now(),
        },
        {
          stage: 'dispatcher',
          error: Object.assign(new Error(error), { reason }),
          attempts: job.attempt,
          eventType: job.msg.eventType,
        },
      );
      await o.producer.enqueue(
        await deadLetterRecord(o.avro, o.topics.dlq, { ...dl, id: `${job.msg.messageId}/${job.endpointId}` }),
      );
    },
    async ops(event) {
      await o.producer.enqueue({
        topic: o.topics.ops,
        key: typeof event.endpointId === 'string' ? event.endpointId : null,
        value: Buffer.from(JSON.stringify({ ...event, service: 'dispatcher', at: Date.now() })),
      });
    },
  };
}

/**
 * Continuous-failure tracking, shared by every dispatcher instance through Redis: the first
 * failure of a streak sets the mark (SET NX), a success clears it (throttled per endpoint, off the
 * delivery path). `failingSince` says whether the streak is older than the disable threshold.
 */
export interface Health {
  failure(endpointId: string, now: number): Promise<number>;
  success(endpointId: string, now: number): void;
}

export function createHealth(redis: Redis, prefix: string): Health {
  const key = (id: string) => `${prefix}ep:failing:${id}`;
  const lastClear = new Map<string, number>();
  return {
    async failure(endpointId, now) {
      lastClear.delete(endpointId);
      const res = await redis.multi().set(key(endpointId), String(now), 'NX').get(key(endpointId)).exec();
      const since = res?.[1]?.[1];
      return typeof since === 'string' ? Number(since) : now;
    },
    success(endpointId, now) {
      const last = lastClear.get(endpointId);
      if (last !== undefined && now - last < 1000) return;
      lastClear.set(endpointId, now);
      if (lastClear.size > 100_000) lastClear.clear();
      redis.del(key(endpointId)).catch(() => lastClear.delete(endpointId));
    },
  };
}

export async function disableEndpoint(
  store: EndpointStore,
  records: Records,
  endpointId: string,
  reason: string,
  detail: string,
): Promise<void> {
  const now = Date.now();
  await store.setState(endpointId, { enabled: false, reason, changedAt: now });
  await records.ops({ type: 'endpoint.disabled', endpointId, reason, detail });
}
