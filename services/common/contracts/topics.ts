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

export const TOPIC = {
  raw: 'webhooks.raw',
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
export type TopicName = (typeof TOPIC)[keyof typeof TOPIC] | DomainTopic | (typeof RETRY_TOPICS)[number];

/** events.<domain> for a domain. */
export const domainTopic = (d: Domain): DomainTopic => `events.${d}`;
