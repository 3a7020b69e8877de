/**
 * Logical topic names (without TOPIC_PREFIX), as typed constants: a service names a topic through
 * these, so a typo fails tsc instead of creating a stray topic at run time. Partitions, retention
 * and schemas of each are declared in ../topics.ts.
 */

/** Domains of events.<domain>; each provider declares its own (ProviderDomains). */
export const DOMAINS = ['payments', 'commerce', 'logistics', 'messaging', 'trading', 'devops', 'crm', 'other'] as const;
export type Domain = (typeof DOMAINS)[number];

/** The processors' retry topics, shortest delay first. */
export const RETRY_TOPICS = ['processors.retry.5s', 'processors.retry.1m', 'processors.retry.10m'] as const;

/**
 * Delay topics of the enrichment stage (thin webhooks, processors/enrich/), shortest delay first: one
 * topic per delay, so records of one partition are due in offset order (runStage's dueAt pauses a
 * partition at its first record not yet due).
 */
export const ENRICH_RETRY_TOPICS = [
  'webhooks.enrich.retry.5s',
  'webhooks.enrich.retry.1m',
  'webhooks.enrich.retry.10m',
] as const;

export const TOPIC = {
  raw: 'webhooks.raw',
  /** Thin envelopes (an id only) of sources with an API credential, waiting for their object to be fetched. */
  enrich: 'webhooks.enrich',
  normalized: 'webhooks.normalized',
  rawDlq: 'webhooks.dlq',
  stale: 'events.stale',
  sequencerChangelog: 'sequencer.changelog',
  processorsDlq: 'processors.dlq',
  processorsWatermarks: 'processors.watermarks',
  stateResources: 'state.resources',
  outboundEvents: 'outbound.events',
  outboundRequests: 'outbound.requests',
  outboundRetry: 'outbound.retry',
  outboundAttempts: 'outbound.attempts',
  outboundDlq: 'outbound.dlq',
  opsEvents: 'ops.events',
} as const;

export type DomainTopic = `events.${Domain}`;
export type TopicName =
  | (typeof TOPIC)[keyof typeof TOPIC]
  | DomainTopic
  | (typeof RETRY_TOPICS)[number]
  | (typeof ENRICH_RETRY_TOPICS)[number];

/** events.<domain> for a domain. */
export const domainTopic = (d: Domain): DomainTopic => `events.${d}`;
