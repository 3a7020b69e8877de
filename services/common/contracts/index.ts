/**
 * The contracts between services, in one place: what one service writes and another reads. Each
 * file names its topic (or store) and the schema it mirrors. Types only, no Kafka client: a
 * service depends on these, never on another service's files. Topic names are in topics.ts, their specs in ../topics.ts.
 */
export type { SourceConfig, SourceOptions, SourceProvider, ProviderLookup } from './source-config.ts';
export type { RawRecord } from './raw-record.ts';
export type { Ordering, OrderingKind } from './ordering.ts';
export type { NormalizedEnvelope } from './envelope.ts';
export type { DomainEvent, DomainRoute, ProviderDomains } from './domain-event.ts';
export type { OutboundEvent } from './outbound-event.ts';
export type { DeliveryAttempt } from './delivery-attempt.ts';
export type { DeadLetter } from './dead-letter.ts';
export {
  DOMAINS,
  ENRICH_RETRY_TOPICS,
  RETRY_TOPICS,
  TOPIC,
  domainTopic,
  type Domain,
  type DomainTopic,
  type TopicName,
} from './topics.ts';
export { TEST_EVENT_TYPE, addressedTrigger, testMessage } from './test-message.ts';
export {
  CLOSED,
  HALF_OPEN_VISIBLE_MS,
  breakerKey,
  combineBreakers,
  type BreakerRecord,
  type BreakerStateName,
  type BreakerView,
} from './breaker-state.ts';
