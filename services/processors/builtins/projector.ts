/**
 * State projector: the latest state of every resource, as the compacted topic state.resources
 * (key = resourceKey, JSON value, written in the runner's transaction: effectively once, and the
 * source of truth — a new store can be rebuilt from it) and a Redis hash for point reads by the
 * admin API (readResourceState). The Redis write is guarded by the event's position, so a redone
 * chunk or a replay never moves a resource back. Events arrive per resource in provider order
 * (the sequencer), so "latest" = highest position.
 */
import { entityOf, type Entities, type Entity } from '../../common/canonical.ts';
import type { OutRecord } from '../../common/kafka/types.ts';
import type { Redis } from '../../common/redis.ts';
import { redisCall } from '../../common/redis.ts';
import { tryParseJson } from '../../common/json.ts';
import type { DomainEvent } from '../../common/contracts/index.ts';
import type { HandlerFactory } from '../types.ts';

export interface ResourceStateView {
  resourceKey: string;
  sourceId: string;
  provider: string;
  resourceType: string;
  resourceId: string;
  domain: string;
  lastEventId: string;
  lastEventType: string;
  position: number;
  occurredAt: number;
  sequencedAt: number;
  /** The provider's full last event (JSON), i.e. the resource as last reported. */
  state: unknown;
  /** The resource's canonical state (Payment, Order, …) as of the last event; null when it has none. */
  canonical: CanonicalState | null;
}

/** A canonical entity record with its kind: provider-neutral, self-contained. */
export type CanonicalState = { readonly entity: Entity } & Entities[Entity];

export function canonicalStateOf(e: DomainEvent): CanonicalState | null {
  const record = entityOf(e.canonical);
  return record && e.canonical ? { entity: e.canonical.entity as Entity, ...record } : null;
}

export interface ProjectorDeps {
  readonly redis: Redis;
  /** Redis key of the hash (one field per resource). */
  readonly redisKey: string;
  readonly topic: string;
}

const SET_IF_NEWER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local p = tonumber(string.match(cur, '"position":(%d+)'))
  if p and p >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

export function viewOf(e: DomainEvent): ResourceStateView {
  return {
    resourceKey: e.resourceKey,
    sourceId: e.sourceId,
    provider: e.provider,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    domain: e.domain,
    lastEventId: e.eventId,
    lastEventType: e.eventType,
    position: e.position,
    occurredAt: e.occurredAt,
    sequencedAt: e.sequencedAt,
    state: tryParseJson(Buffer.from(e.payload)) ?? e.payload,
    canonical: canonicalStateOf(e),
  };
}

export const stateProjector: HandlerFactory<ProjectorDeps> = (deps) => ({
  name: 'state-projector',
  events: ['*'],
  async handle(event): Promise<readonly OutRecord[]> {
    const json = JSON.stringify(viewOf(event));
    await redisCall(() =>
      deps.redis.eval(SET_IF_NEWER, 1, deps.redisKey, event.resourceKey, json, String(event.position)),
    );
    return [{ topic: deps.topic, key: event.resourceKey, value: Buffer.from(json) }];
  },
});

/** For the admin API: the latest projected state of one resource, or undefined. */
export async function readResourceState(
  redis: Redis,
  redisKey: string,
  resourceKey: string,
): Promise<ResourceStateView | undefined> {
  const v = await redisCall(() => redis.hget(redisKey, resourceKey));
  return v === null ? undefined : (JSON.parse(v) as ResourceStateView);
}
