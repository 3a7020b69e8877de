/**
 * Reads what the pipeline wrote (committed records only, from the beginning, as a downstream team
 * would) and checks it against what the provider side had accepted and the receiver acknowledged.
 */
import type { Kafka } from 'kafkajs';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { DOMAINS } from '../../services/common/contracts/index.ts';
import { topicName } from '../../services/common/topics.ts';
import type { InMessage } from '../../services/common/kafka/types.ts';
import { collect } from '../helpers/collect.ts';
import type { Received, Sent } from './traffic.ts';

interface DomainRecord {
  eventId: string;
  dedupeKey: string | null;
  deliveryId: string | null;
  resourceKey: string;
  ordering: { kind: string; value: number | null; statusRank: number | null } | null;
  payload: string;
}

interface Letter {
  value: Buffer;
}

interface Outbound {
  messageId: string;
}

/** All committed records of the topics, once no new record arrived for `quietMs`. */
async function readAll(kafka: Kafka, topics: string[], quietMs = 6000): Promise<Map<string, InMessage[]>> {
  const out = new Map<string, InMessage[]>();
  const collectors = await Promise.all(topics.map((t) => collect(kafka, t)));
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const n = collectors.reduce((s, c) => s + c.messages.length, 0);
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > quietMs) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await Promise.all(collectors.map((c) => c.stop()));
  topics.forEach((t, i) => out.set(t, collectors[i]!.messages));
  return out;
}

export interface Findings {
  accepted: number;
  rawStored: number;
  onDomain: number;
  onStale: number;
  onDlq: number;
  lost: string[];
  acceptedNotStored: string[];
  duplicates: string[];
  reorders: string[];
  outbound: number;
  undelivered: string[];
  redeliveries: number;
  redeliveredIds: number;
  outboundDlq: number;
}

export async function verify(
  kafka: Kafka,
  registryUrl: string,
  prefix: string,
  sent: Map<string, Sent>,
  acked: readonly Received[],
): Promise<Findings> {
  const t = (n: string) => topicName(prefix, n);
  const domainTopics = DOMAINS.map((d) => t(`events.${d}`));
  const all = await readAll(kafka, [
    t('webhooks.raw'),
    ...domainTopics,
    t('events.stale'),
    t('webhooks.dlq'),
    t('outbound.events'),
    t('outbound.dlq'),
  ]);
  const avro = new AvroCodec(createRegistry(registryUrl));
  const decodeAll = async <T>(topic: string) =>
    Promise.all((all.get(topic) ?? []).map(async (m) => ({ m, v: await avro.decode<T>(m.value!) })));

  // A request's token is in its body (Stripe event id) or in a header it carried (GitHub delivery id).
  const rawText = (all.get(t('webhooks.raw')) ?? []).map(
    (m) => `${m.value!.toString('utf8')}${JSON.stringify(m.headers)}`,
  );
  const domain = (await Promise.all(domainTopics.map((d) => decodeAll<DomainRecord>(d)))).flat();
  const stale = await decodeAll<DomainRecord>(t('events.stale'));
  const dlq = await decodeAll<Letter>(t('webhooks.dlq'));
  const outbound = await decodeAll<Outbound>(t('outbound.events'));

  const idsOf = (r: DomainRecord) => [r.dedupeKey, r.deliveryId, r.eventId].filter((x): x is string => !!x);
  const seenDomain = new Map<string, number>();
  for (const { v } of domain) for (const id of new Set(idsOf(v))) seenDomain.set(id, (seenDomain.get(id) ?? 0) + 1);
  const seenStale = new Set(stale.flatMap(({ v }) => idsOf(v)));
  const dlqText = dlq.map(({ v }) => Buffer.from(v.value).toString('utf8'));

  const accepted = [...sent.values()].filter((s) => s.acceptedAt !== undefined);
  const lost: string[] = [];
  const acceptedNotStored: string[] = [];
  let onDomain = 0;
  let onStale = 0;
  let onDlq = 0;
  for (const s of accepted) {
    if (!rawText.some((r) => r.includes(s.token))) acceptedNotStored.push(s.token);
    if (seenDomain.has(s.token)) onDomain++;
    else if (seenStale.has(s.token)) onStale++;
    else if (dlqText.some((d) => d.includes(s.token))) onDlq++;
    else lost.push(`${s.kind} ${s.token}`);
  }
  const duplicates = [...seenDomain].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);

  // Provider order: per resource, (statusRank, value) never goes down on the domain topics.
  const byResource = new Map<string, { p: number; o: bigint; rank: number; value: number; id: string }[]>();
  for (const { m, v } of domain) {
    if (!v.ordering || v.ordering.kind === 'NONE' || v.ordering.value === null) continue;
    const list = byResource.get(v.resourceKey) ?? [];
    list.push({
      p: m.partition,
      o: BigInt(m.offset),
      rank: v.ordering.statusRank ?? 0,
      value: Number(v.ordering.value),
      id: v.eventId,
    });
    byResource.set(v.resourceKey, list);
  }
  const reorders: string[] = [];
  for (const [key, list] of byResource) {
    list.sort((a, b) => (a.p - b.p) * 1e9 || Number(a.o - b.o));
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (b.rank < a.rank || (b.rank === a.rank && b.value < a.value)) reorders.push(`${key}: ${a.id} then ${b.id}`);
    }
  }

  const ackedIds = new Map<string, number>();
  for (const a of acked) ackedIds.set(a.webhookId, (ackedIds.get(a.webhookId) ?? 0) + 1);
  const undelivered = outbound.map(({ v }) => v.messageId).filter((id) => !ackedIds.has(id));
  const redelivered = [...ackedIds.values()].filter((n) => n > 1);

  return {
    accepted: accepted.length,
    rawStored: accepted.length - acceptedNotStored.length,
    onDomain,
    onStale,
    onDlq,
    lost,
    acceptedNotStored,
    duplicates,
    reorders,
    outbound: outbound.length,
    undelivered,
    redeliveries: redelivered.reduce((s, n) => s + n - 1, 0),
    redeliveredIds: redelivered.length,
    outboundDlq: (all.get(t('outbound.dlq')) ?? []).length,
  };
}
