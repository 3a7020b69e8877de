/**
 * Which events.<domain> topic an event goes to: DATA, first matching rule wins. A rule names a
 * provider (or "*") and an event-type glob ("*" = any run of characters). Downstream teams own
 * a domain, not a provider: Stripe and Mollie both feed `payments`, Shopify and WooCommerce
 * `commerce`. Each provider module declares its domain and exceptions (ProviderDomains in
 * common/contracts); the rules are read from the provider registry, then a catch-all to `other`.
 */
import type { Domain, ProviderDomains } from '../common/contracts/index.ts';
import { providers } from '../providers/index.ts';

export interface DomainRule {
  readonly provider: string;
  readonly eventType: string;
  readonly domain: Domain;
}

/** A provider's routes in order, then its default domain; events of unknown providers go to `other`. */
export function domainRules(declared: Iterable<ProviderDomains>): DomainRule[] {
  const rules: DomainRule[] = [];
  for (const p of declared) {
    for (const r of p.domainRoutes ?? []) rules.push({ provider: p.name, eventType: r.eventType, domain: r.domain });
    rules.push({ provider: p.name, eventType: '*', domain: p.domain });
  }
  rules.push({ provider: '*', eventType: '*', domain: 'other' });
  return rules;
}

export const DOMAIN_RULES: readonly DomainRule[] = domainRules(providers.values());

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export type DomainOf = (provider: string, eventType: string) => Domain;

/** Compiles the table once; unmatched events (impossible with the catch-all row) go to `other`. */
export function domainMapper(rules: readonly DomainRule[] = DOMAIN_RULES): DomainOf {
  const compiled = rules.map((r) => ({ provider: r.provider, type: globToRegExp(r.eventType), domain: r.domain }));
  const cache = new Map<string, Domain>();
  return function domainOf(provider, eventType) {
    const key = `${provider}\u0000${eventType}`;
    let d = cache.get(key);
    if (d === undefined) {
      d =
        compiled.find((r) => (r.provider === '*' || r.provider === provider) && r.type.test(eventType))?.domain ??
        'other';
      if (cache.size < 10_000) cache.set(key, d);
    }
    return d;
  };
}
