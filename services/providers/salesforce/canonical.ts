/**
 * Salesforce outbound messages → Company (Account) / Contact (Contact) / Deal (Opportunity). An
 * outbound message carries the sObject's fields that the admin selected, as they are now — not which of
 * them changed, nor whether the record was created or edited (the workflow rule decides, the message
 * does not say: https://help.salesforce.com/s/articleView?id=sf.workflow_managing_outbound_messages.htm).
 * So change is `unknown` with the raw kind ("<type>.outbound_message") kept, changedProperties stays {}
 * and only name / email / stage / amount are read from the fields sent (Name, Email, StageName,
 * Amount with CurrencyIsoCode — without CurrencyIsoCode the amount's currency is unknown: null).
 * Other sObject types (Lead, Case, custom objects) have no canonical record.
 */
import { canonical, type Canonical } from '../../common/canonical.ts';
import { at, text, type CanonicalMapping } from '../canonical.ts';
import { moneyFromDecimal } from '../money.ts';

function map(j: unknown, providerChange: string): Canonical | null {
  const so = at(j, 'sObject');
  const id = text(at(so, 'Id'));
  if (id === null) return null;
  const base = { id, change: 'unknown' as const, providerChange, name: text(at(so, 'Name')) };
  switch (text(at(j, 'sObjectType'))) {
    case 'Account':
      return canonical('company', base);
    case 'Contact':
      return canonical('contact', { ...base, email: text(at(so, 'Email')) });
    case 'Opportunity': {
      const amount = at(so, 'Amount');
      const currency = text(at(so, 'CurrencyIsoCode'));
      return canonical('deal', {
        ...base,
        stage: text(at(so, 'StageName')),
        amount:
          amount === null || amount === undefined || currency === null ? null : moneyFromDecimal(amount, currency),
      });
    }
    default:
      return null;
  }
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    contact: ['providerChange', 'name', 'email'],
    company: ['providerChange', 'name'],
    deal: ['providerChange', 'name', 'stage', 'amount'],
  },
  map: ({ payload, fields }) => map(payload, fields.eventType),
};
