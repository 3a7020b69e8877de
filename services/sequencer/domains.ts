/**
 * Which events.<domain> topic an event goes to: DATA, first matching rule wins. A rule names a
 * provider (or "*") and an event-type glob ("*" = any run of characters). Downstream teams own
 * a domain, not a provider: Stripe and Mollie both feed `payments`, Shopify and WooCommerce
 * `commerce`. Add a row here (not a branch in code) when a provider or event type moves.
 */
import type { Domain } from '../common/topics.ts';

export interface DomainRule {
  readonly provider: string;
  readonly eventType: string;
  readonly domain: Domain;
}

export const DOMAIN_RULES: readonly DomainRule[] = [
  // payments: money moving. Stripe customers are CRM data, not payments.
  { provider: 'stripe', eventType: 'customer.*', domain: 'crm' },
  { provider: 'stripe', eventType: '*', domain: 'payments' },
  { provider: 'mollie', eventType: '*', domain: 'payments' },
  { provider: 'mollie-signed', eventType: '*', domain: 'payments' },
  // commerce: shops and marketplaces.
  { provider: 'shopify', eventType: '*', domain: 'commerce' },
  { provider: 'woocommerce', eventType: '*', domain: 'commerce' },
  { provider: 'bol', eventType: '*', domain: 'commerce' },
  { provider: 'adobe-io', eventType: '*', domain: 'commerce' },
  { provider: 'exact-online', eventType: 'SalesOrders*', domain: 'commerce' },
  { provider: 'exact-online', eventType: 'SalesInvoices*', domain: 'commerce' },
  { provider: 'exact-online', eventType: 'Accounts*', domain: 'crm' },
  // logistics: parcels and shipments.
  { provider: 'sendcloud', eventType: '*', domain: 'logistics' },
  { provider: 'myparcel', eventType: '*', domain: 'logistics' },
  { provider: 'postnl', eventType: '*', domain: 'logistics' },
  // messaging: conversations.
  { provider: 'slack', eventType: '*', domain: 'messaging' },
  { provider: 'teams', eventType: '*', domain: 'messaging' },
  { provider: 'twilio', eventType: '*', domain: 'messaging' },
  // trading: market signals.
  { provider: 'tradingview', eventType: '*', domain: 'trading' },
  // devops: code and pipelines.
  { provider: 'github', eventType: '*', domain: 'devops' },
  { provider: 'gitlab', eventType: '*', domain: 'devops' },
  // crm: customers and accounts.
  { provider: 'salesforce', eventType: '*', domain: 'crm' },
  { provider: 'hubspot', eventType: '*', domain: 'crm' },
  // Generic senders carry any kind of event; a source that sends trading sequences uses
  // event types `trade.*` / `order.*` / `quote.*` by convention.
  { provider: 'standard-webhooks', eventType: 'trade.*', domain: 'trading' },
  { provider: 'standard-webhooks', eventType: 'quote.*', domain: 'trading' },
  { provider: '*', eventType: '*', domain: 'other' },
];

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
