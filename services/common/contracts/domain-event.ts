/** events.<domain>: the sequencer's output, the processors' input. */
import type { Domain } from './topics.ts';
import type { NormalizedEnvelope } from './envelope.ts';

/** TypeScript shape of schemas/events.domain.avsc: the normalized envelope plus the sequencer's fields. */
export interface DomainEvent extends NormalizedEnvelope {
  domain: string;
  position: number;
  gap: { expected: number; received: number } | null;
  stale: boolean;
  sequencedAt: number;
  staleReason: string | null;
  releasedBy: string | null;
}

/** An event-type glob ("*" = any run of characters) that sends a provider's events to another domain. */
export interface DomainRoute {
  readonly eventType: string;
  readonly domain: Domain;
}

/**
 * Which events.<domain> a provider's events go to, declared by the provider itself: `routes` are
 * tried in order, then `domain` applies. The sequencer reads this from the provider registry.
 */
export interface ProviderDomains {
  readonly name: string;
  readonly domain: Domain;
  readonly domainRoutes?: readonly DomainRoute[];
}
