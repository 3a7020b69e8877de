import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { makeRequest, makeSource } from '../testing.ts';
import { provider } from './index.ts';

const XML = { 'content-type': 'text/xml; charset=utf-8' };
const items = (body: Buffer | string) =>
  provider.interpret(makeRequest({ headers: XML, body }), makeSource('salesforce', ['s'])).items.map((i) => i.body);

describe('salesforce canonical records', () => {
  it('outbound-two-accounts fixture → two Companies, field by field (change unknown: the message does not say)', () => {
    const [a, b] = items(fixtureText('salesforce', 'outbound-two-accounts.xml'));
    assert.ok(a && b);
    assert.deepEqual(entity(canonicalFor(provider, a), 'company'), {
      id: '001000000000001AAA',
      change: 'unknown',
      providerChange: 'Account.outbound_message',
      name: 'Acme & Sons',
      changedProperties: {},
    });
    assert.equal(entity(canonicalFor(provider, b), 'company').name, 'Globex');
  });
  it('Opportunity → Deal with amount only when the currency is sent; Lead → no record', () => {
    const soap = fixtureText('salesforce', 'outbound-two-accounts.xml').toString();
    const opp = (fields: string) =>
      soap
        .replace(/<Notification>[\s\S]*?<\/Notification>\s*<Notification>/, '<Notification>')
        .replace('sf:Account', 'sf:Opportunity')
        .replace('<sf:Name>Globex</sf:Name>', `<sf:Name>Big deal</sf:Name>${fields}`);
    const [withCurrency] = items(
      opp(
        '<sf:StageName>Closed Won</sf:StageName><sf:Amount>1250.50</sf:Amount><sf:CurrencyIsoCode>EUR</sf:CurrencyIsoCode>',
      ),
    );
    assert.ok(withCurrency);
    const d = entity(canonicalFor(provider, withCurrency), 'deal');
    assert.deepEqual([d.name, d.stage, d.amount], ['Big deal', 'Closed Won', { amountMinor: 125050, currency: 'EUR' }]);
    const [noCurrency] = items(opp('<sf:Amount>1250.50</sf:Amount>'));
    assert.ok(noCurrency);
    assert.equal(entity(canonicalFor(provider, noCurrency), 'deal').amount, null);
    const [lead] = items(opp('').replace('sf:Opportunity', 'sf:Lead'));
    assert.ok(lead);
    assert.equal(canonicalFor(provider, lead), null);
  });
});
