/**
 * Every topic of ARCHITECTURE.md, declared once. `applyTopics` creates what is missing, raises
 * partition counts and aligns configs; a change Kafka cannot make (fewer partitions, another
 * replication factor, compact↔delete on a topic with data) fails loudly with the topic's name.
 *
 * Partition counts: input and changelog topics of one stage must have the same count (the
 * sequencer's changelog is co-partitioned with webhooks.normalized), so they share a constant.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaAdmin, TopicConfig } from './kafka/admin.ts';
import { DOMAINS, ENRICH_RETRY_TOPICS, RETRY_TOPICS, TOPIC, domainTopic, type TopicName } from './contracts/topics.ts';
import { ConfigError } from './errors.ts';

export const DAY_MS = 86_400_000;
/** Partitions of the main pipeline topics: the unit of parallelism per stage. */
export const PIPELINE_PARTITIONS = 6;

export interface TopicSpec {
  /** Logical name (without TOPIC_PREFIX). */
  readonly name: TopicName;
  readonly partitions: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** ms; -1 = forever. */
  readonly retentionMs: number;
  /** Avro schema file in schemas/ registered as `<topic>-value`; undefined = bytes (webhooks.raw). */
  readonly schema?: string;
  readonly doc: string;
}

const stream = (name: TopicName, partitions: number, retentionDays: number, doc: string, schema?: string): TopicSpec =>
  schema === undefined
    ? { name, partitions, cleanupPolicy: 'delete', retentionMs: retentionDays * DAY_MS, doc }
    : { name, partitions, cleanupPolicy: 'delete', retentionMs: retentionDays * DAY_MS, doc, schema };

export const TOPICS: readonly TopicSpec[] = [
  stream(
    TOPIC.raw,
    PIPELINE_PARTITIONS,
    7,
    'Requests as received: body byte-exact, audit headers; keyed by resource key or delivery id',
  ),
  stream(
    TOPIC.normalized,
    PIPELINE_PARTITIONS,
    7,
    'Verified, deduplicated, normalized envelopes (Avro)',
    'webhooks.normalized.avsc',
  ),
  stream(
    TOPIC.enrich,
    PIPELINE_PARTITIONS,
    7,
    'Thin normalized envelopes (Mollie classic, Exact Online) whose object the enrichment stage fetches before webhooks.normalized (Avro), keyed by resource',
    'webhooks.normalized.avsc',
  ),
  ...ENRICH_RETRY_TOPICS.map((t, i) =>
    stream(t, PIPELINE_PARTITIONS, 7, `Enrichment retries after a transient API failure, delay ${i + 1}`),
  ),
  stream(
    TOPIC.rawDlq,
    3,
    30,
    'Records the validator, the enrichment stage or the sequencer could not process',
    'dlq.avsc',
  ),
  ...DOMAINS.map((d) =>
    stream(domainTopic(d), PIPELINE_PARTITIONS, 30, `Ordered domain events: ${d}`, 'events.domain.avsc'),
  ),
  stream(
    TOPIC.stale,
    3,
    30,
    'Events older than the applied state of their resource (not applied, kept for audit)',
    'events.domain.avsc',
  ),
  {
    name: TOPIC.sequencerChangelog,
    partitions: PIPELINE_PARTITIONS,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    doc: 'Sequencer state per resource, written in the same transaction as its output',
  },
  stream(RETRY_TOPICS[0], PIPELINE_PARTITIONS, 7, 'Processor retries, first delay'),
  stream(RETRY_TOPICS[1], PIPELINE_PARTITIONS, 7, 'Processor retries, second delay'),
  stream(RETRY_TOPICS[2], PIPELINE_PARTITIONS, 7, 'Processor retries, third delay'),
  stream(
    TOPIC.processorsDlq,
    3,
    30,
    'Events a processor handler failed permanently or exhausted retries on',
    'dlq.avsc',
  ),
  {
    name: TOPIC.processorsWatermarks,
    partitions: PIPELINE_PARTITIONS,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    doc: 'Processors: last input offset applied per events.<domain> partition, written in the same transaction as the output (replay skips what is at or below it)',
  },
  {
    name: TOPIC.stateResources,
    partitions: PIPELINE_PARTITIONS,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    doc: 'Latest state of each resource (state projector)',
  },
  stream(
    TOPIC.outboundEvents,
    PIPELINE_PARTITIONS,
    7,
    'Messages for customer endpoints, keyed by resource',
    'outbound.event.avsc',
  ),
  stream(
    TOPIC.outboundRequests,
    PIPELINE_PARTITIONS,
    7,
    'Publish requests of internal producers (the topic twin of POST /v1/tenants/{tenantId}/messages), keyed by tenant and resource',
    'outbound.request.avsc',
  ),
  stream(TOPIC.outboundRetry, PIPELINE_PARTITIONS, 7, 'Scheduled delivery retries'),
  stream(TOPIC.outboundAttempts, PIPELINE_PARTITIONS, 30, 'Delivery log: every attempt', 'outbound.attempt.avsc'),
  stream(TOPIC.outboundDlq, 3, 30, 'Messages that exhausted delivery attempts', 'dlq.avsc'),
  stream(TOPIC.opsEvents, 1, 30, 'Operational events (endpoint disabled, circuit opened, gap released)'),
];

export function topicName(prefix: string, logical: string): string {
  return `${prefix}${logical}`;
}

export interface ApplyOptions {
  readonly prefix: string;
  readonly replicationFactor: number;
  /** min.insync.replicas; with RF ≥ 3 use 2, so acks=all survives one broker down. */
  readonly minInsyncReplicas: number;
  readonly topics?: readonly TopicSpec[];
}

export interface ApplyResult {
  readonly created: string[];
  readonly partitionsRaised: string[];
  readonly configsAltered: string[];
}

/**
 * Largest record batch a topic accepts. Kafka's default (1 MB) is smaller than a maximum-size
 * webhook (ingress body limit 1 MiB by default, plus headers), and every later stage carries the
 * payload again (envelope, domain event, dead letter), so the pipeline's topics allow 8 MiB.
 * A source whose bodyLimitBytes goes above ~7 MiB needs this raised too.
 */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

const MANAGED_CONFIGS = ['cleanup.policy', 'retention.ms', 'min.insync.replicas', 'max.message.bytes'];

export function configEntries(t: TopicSpec, o: ApplyOptions): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: t.cleanupPolicy },
    { name: 'retention.ms', value: String(t.retentionMs) },
    { name: 'min.insync.replicas', value: String(o.minInsyncReplicas) },
    { name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) },
  ];
}

/**
 * Applies the declarations. A retriable broker error (a topic just created whose metadata has not
 * reached every node yet: UNKNOWN_TOPIC_OR_PARTITION while waiting for leaders) is retried: the
 * next pass lists the topics again and checks what the failed pass created.
 */
export async function applyTopics(admin: KafkaAdmin, o: ApplyOptions): Promise<ApplyResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOnce(admin, o);
    } catch (err) {
      if (attempt >= 4 || (err as { retriable?: unknown } | null)?.retriable !== true) throw err;
      await sleep(500 * attempt);
    }
  }
}

async function applyOnce(admin: KafkaAdmin, o: ApplyOptions): Promise<ApplyResult> {
  const specs = o.topics ?? TOPICS;
  const result: ApplyResult = { created: [], partitionsRaised: [], configsAltered: [] };
  const existing = new Set(await admin.listTopics());
  const toCreate: TopicConfig[] = [];
  const toCheck: TopicSpec[] = [];
  for (const t of specs) {
    const name = topicName(o.prefix, t.name);
    if (existing.has(name)) toCheck.push(t);
    else
      toCreate.push({
        topic: name,
        numPartitions: t.partitions,
        replicationFactor: o.replicationFactor,
        configEntries: configEntries(t, o),
      });
  }
  if (toCreate.length > 0) {
    await admin.createTopics({ topics: toCreate, waitForLeaders: true });
    result.created.push(...toCreate.map((t) => t.topic));
  }
  if (toCheck.length === 0) return result;

  const meta = await admin.fetchTopicMetadata({ topics: toCheck.map((t) => topicName(o.prefix, t.name)) });
  const raise: { topic: string; count: number }[] = [];
  for (const t of toCheck) {
    const name = topicName(o.prefix, t.name);
    const m = meta.topics.find((x) => x.name === name);
    const have = m?.partitions.length ?? 0;
    if (have > t.partitions) {
      throw new ConfigError(
        `topic ${name} has ${have} partitions, declared ${t.partitions}: Kafka cannot reduce partitions (recreate the topic or change the declaration)`,
      );
    }
    const rf = m?.partitions[0]?.replicas.length ?? 0;
    if (rf !== o.replicationFactor) {
      throw new ConfigError(
        `topic ${name} has replication factor ${rf}, declared ${o.replicationFactor}: reassign partitions with kafka-reassign-partitions first`,
      );
    }
    if (have < t.partitions) raise.push({ topic: name, count: t.partitions });
  }
  if (raise.length > 0) {
    await admin.createPartitions({ topicPartitions: raise });
    result.partitionsRaised.push(...raise.map((r) => r.topic));
  }

  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: toCheck.map((t) => ({
      type: 2 /* TOPIC */,
      name: topicName(o.prefix, t.name),
      configNames: MANAGED_CONFIGS,
    })),
  });
  const alter: { type: number; name: string; configEntries: { name: string; value: string }[] }[] = [];
  for (const t of toCheck) {
    const name = topicName(o.prefix, t.name);
    const current = described.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    const want = configEntries(t, o);
    const differs = want.some((w) => current.find((c) => c.configName === w.name)?.configValue !== w.value);
    if (!differs) continue;
    const policy = current.find((c) => c.configName === 'cleanup.policy')?.configValue;
    if (policy !== undefined && policy !== t.cleanupPolicy) {
      throw new ConfigError(
        `topic ${name} has cleanup.policy=${policy}, declared ${t.cleanupPolicy}: changing it on a topic with data changes its meaning; migrate explicitly`,
      );
    }
    alter.push({ type: 2, name, configEntries: want });
  }
  if (alter.length > 0) {
    await admin.alterConfigs({ validateOnly: false, resources: alter });
    result.configsAltered.push(...alter.map((a) => a.name));
  }
  return result;
}
