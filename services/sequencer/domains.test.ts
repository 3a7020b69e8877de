import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providers } from '../providers/index.ts';
import { DOMAIN_RULES, domainMapper, domainRules } from './domains.ts';

describe('domains declared by the providers', () => {
  const domainOf = domainMapper();
  const cases: readonly [provider: string, eventType: string, domain: string][] = [
    ['stripe', 'customer.created', 'crm'],
    ['stripe', 'charge.succeeded', 'payments'],
    ['mollie', 'payment.paid', 'payments'],
    ['mollie-signed', 'payment.paid', 'payments'],
    ['shopify', 'orders/create', 'commerce'],
    ['woocommerce', 'order.updated', 'commerce'],
    ['bol', 'SHIPMENT', 'commerce'],
    ['adobe-io', 'com.adobe.x', 'commerce'],
    ['exact-online', 'SalesOrders.Update', 'commerce'],
    ['exact-online', 'SalesInvoices.Create', 'commerce'],
    ['exact-online', 'Accounts.Update', 'crm'],
    ['exact-online', 'Items.Update', 'other'],
    ['sendcloud', 'parcel_status_changed', 'logistics'],
    ['myparcel', 'shipment_status_change', 'logistics'],
    ['postnl', 'status', 'logistics'],
    ['slack', 'message', 'messaging'],
    ['teams', 'message', 'messaging'],
    ['twilio', 'sms', 'messaging'],
    ['tradingview', 'alert', 'trading'],
    ['github', 'push', 'devops'],
    ['gitlab', 'Push Hook', 'devops'],
    ['salesforce', 'Opportunity', 'crm'],
    ['hubspot', 'contact.creation', 'crm'],
    ['standard-webhooks', 'trade.filled', 'trading'],
    ['standard-webhooks', 'quote.updated', 'trading'],
    ['standard-webhooks', 'invoice.paid', 'other'],
    ['generic-hmac', 'anything', 'other'],
    ['shared-token', 'anything', 'other'],
    ['afas', 'anything', 'other'],
    ['not-a-provider', 'x', 'other'],
  ];
  for (const [provider, eventType, domain] of cases) {
    it(`${provider} ${eventType} → ${domain}`, () => assert.equal(domainOf(provider, eventType), domain));
  }

  it('every registered provider has a rule, and the catch-all comes last', () => {
    for (const name of providers.keys())
      assert.ok(
        DOMAIN_RULES.some((r) => r.provider === name),
        name,
      );
    assert.deepEqual(DOMAIN_RULES.at(-1), { provider: '*', eventType: '*', domain: 'other' });
  });

  it("a provider's routes come before its default", () => {
    const rules = domainRules([
      { name: 'p', domain: 'payments', domainRoutes: [{ eventType: 'customer.*', domain: 'crm' }] },
    ]);
    const of = domainMapper(rules);
    assert.equal(of('p', 'customer.updated'), 'crm');
    assert.equal(of('p', 'charge.refunded'), 'payments');
  });
});
