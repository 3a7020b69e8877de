/**
 * AFAS Profit → Contact / Company. AFAS has no webhooks (see index.ts), so there is no AFAS event
 * vocabulary; what a sender posts names an AFAS connector. Only AFAS's own person and organisation
 * objects are mapped — the UpdateConnector names KnPerson and KnOrganisation and the GetConnector
 * names Profit_Persons / Profit_Organisations (names as used by AFAS integrators; AFAS's own pages were
 * not in the stored docs, so this list is deliberately short) — because they are the only AFAS objects that are a contact or a company
 * without doubt. A debtor (Profit_Debtor) may be either: no record. Change: the event's last segment
 * (created | updated | deleted, as `event|type` names it), else `unknown` with the raw event kept.
 * Name/email: `name|Nm` and `email|EmAd` where sent.
 */
import { canonical, type Canonical, type CrmChange } from '../../common/canonical.ts';
import { at, statusFrom, text, type CanonicalMapping } from '../canonical.ts';

const CHANGE: Readonly<Record<string, CrmChange>> = { created: 'created', updated: 'updated', deleted: 'deleted' };
const PERSON = new Set(['KnPerson', 'Profit_Persons']);
const ORGANISATION = new Set(['KnOrganisation', 'Profit_Organisations']);

function map(b: unknown): Canonical | null {
  const connector = text(at(b, 'connector'));
  const id = text(at(b, 'id')) ?? text(at(b, 'Id')) ?? text(at(b, 'key'));
  if (connector === null || id === null) return null;
  const event = text(at(b, 'event')) ?? text(at(b, 'type'));
  const base = {
    id,
    change: statusFrom(CHANGE, event?.split('.').pop() ?? null),
    providerChange: event,
    name: text(at(b, 'name')) ?? text(at(b, 'Nm')),
  };
  if (PERSON.has(connector))
    return canonical('contact', { ...base, email: text(at(b, 'email')) ?? text(at(b, 'EmAd')) });
  if (ORGANISATION.has(connector)) return canonical('company', base);
  return null;
}

export const canonicalMapping: CanonicalMapping = {
  fills: { contact: ['providerChange', 'name', 'email'], company: ['providerChange', 'name'] },
  map: ({ payload }) => map(payload),
};
