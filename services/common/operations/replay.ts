/**
 * Replay the Kafka way: move a consumer group's committed offsets on one topic (all partitions or
 * one) to earliest, latest, a time, or an offset; the service re-reads from there. Every stage is
 * idempotent on re-read (the sequencer skips what its changelog already folded in; ids downstream
 * are deterministic). Kafka accepts an offset reset only while the group has no active members.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaAdmin } from '../kafka/admin.ts';

export type ReplayTarget =
  | { readonly to: 'earliest' }
  | { readonly to: 'latest' }
  | { readonly to: 'datetime'; readonly at: Date }
  | { readonly to: 'offset'; readonly offset: bigint };

export interface ReplayPlanRow {
  readonly partition: number;
  /** Committed offset, or null when the group has none for the partition. */
  readonly current: bigint | null;
  readonly target: bigint;
  readonly low: bigint;
  readonly high: bigint;
  /** Messages the group will read again (0 when moving forward). */
  readonly reread: bigint;
  /** Messages skipped (when moving forward). */
  readonly skipped: bigint;
}

export async function planReplay(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
  target: ReplayTarget,
  partition?: number,
): Promise<ReplayPlanRow[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
  const byTime = target.to === 'datetime' ? await admin.fetchTopicOffsetsByTimestamp(topic, target.at.getTime()) : [];
  const rows: ReplayPlanRow[] = [];
  for (const e of ends.sort((a, b) => a.partition - b.partition)) {
    if (partition !== undefined && e.partition !== partition) continue;
    const low = BigInt(e.low);
    const high = BigInt(e.high);
    const c = committed.find((p) => p.partition === e.partition)?.offset;
    const current = c === undefined || BigInt(c) < 0n ? null : BigInt(c);
    let t: bigint;
    if (target.to === 'earliest') t = low;
    else if (target.to === 'latest') t = high;
    else if (target.to === 'offset') t = target.offset < low ? low : target.offset > high ? high : target.offset;
    else {
      const o = byTime.find((p) => p.partition === e.partition)?.offset;
      t = o === undefined || BigInt(o) < 0n ? high : BigInt(o);
    }
    const from = current ?? low;
    rows.push({
      partition: e.partition,
      current,
      target: t,
      low,
      high,
      reread: from > t ? from - t : 0n,
      skipped: t > from ? t - from : 0n,
    });
  }
  if (partition !== undefined && rows.length === 0) throw new Error(`topic ${topic} has no partition ${partition}`);
  return rows;
}

export async function groupMembers(admin: KafkaAdmin, groupId: string): Promise<{ state: string; members: number }> {
  const g = (await admin.describeGroups([groupId])).groups[0];
  return { state: g?.state ?? 'Dead', members: g?.members.length ?? 0 };
}

/** Waits until the group has no active members (or throws when `wait` is false and it has some). */
export async function awaitEmptyGroup(
  admin: KafkaAdmin,
  groupId: string,
  o: { wait: boolean; pollMs?: number; timeoutMs?: number; onWait?: (members: number, state: string) => void },
): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const { state, members } = await groupMembers(admin, groupId);
    if (members === 0) return;
    if (!o.wait)
      throw new Error(
        `group ${groupId} has ${members} active member(s) (state ${state}): stop its consumers first, or pass --wait`,
      );
    if (Date.now() > deadline) throw new Error(`group ${groupId} still has ${members} active member(s) after waiting`);
    o.onWait?.(members, state);
    await sleep(o.pollMs ?? 2000);
  }
}

export async function applyReplay(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
  rows: readonly ReplayPlanRow[],
): Promise<void> {
  await admin.setOffsets({
    groupId,
    topic,
    partitions: rows.map((r) => ({ partition: r.partition, offset: r.target.toString() })),
  });
}
