/**
 * HubSpot → Contact / Company / Deal (Webhooks API event fields: objectId, subscriptionType
 * "<object>.<change>", propertyName/propertyValue on propertyChange;
 * https://developers.hubspot.com/docs/api-reference/webhooks-webhooks-v3/guide). New-platform events
 * name the object by objectTypeId (0-1 contact, 0-2 company, 0-3 deal) with subscriptionType
 * "object.<change>". Change: creation → created, propertyChange → updated, deletion|privacyDeletion →
 * deleted, merge → merged, restore → restored; anything else (associationChange, …) is `unknown`
 * with the raw kind kept. HubSpot events are thin: only the one changed property is known, so
 * name/email/stage are filled only when that property is the one that changed (an empty value = cleared
 * → null); the deal amount has no currency in the event, so it stays null.
 */
import { canonical, type Canonical, type CrmChange } from '../../common/canonical.ts';
import { at, statusFrom, text, type CanonicalMapping } from '../canonical.ts';

const CHANGE: Readonly<Record<string, CrmChange>> = {
  creation: 'created',
  propertyChange: 'updated',
  deletion: 'deleted',
  privacyDeletion: 'deleted',
  merge: 'merged',
  restore: 'restored',
};
const OBJECT_TYPE_IDS: Readonly<Record<string, 'contact' | 'company' | 'deal'>> = {
  '0-1': 'contact',
  '0-2': 'company',
  '0-3': 'deal',
};

function map(ev: unknown): Canonical | null {
  const subscription = text(at(ev, 'subscriptionType'));
  const id = text(at(ev, 'objectId'));
  if (subscription === null || id === null) return null;
  const [prefix = '', kind = ''] = subscription.split('.');
  const typeId = text(at(ev, 'objectTypeId'));
  const object =
    prefix === 'contact' || prefix === 'company' || prefix === 'deal'
      ? prefix
      : typeId !== null
        ? OBJECT_TYPE_IDS[typeId]
        : undefined;
  if (object === undefined) return null;
  const property = text(at(ev, 'propertyName'));
  const value = property === null ? null : text(at(ev, 'propertyValue'));
  const changedProperties: Record<string, string | null> = property === null ? {} : { [property]: value };
  const prop = (name: string) => (property === name ? value : null);
  const base = {
    id,
    change: statusFrom(CHANGE, kind),
    providerChange: subscription,
    changedProperties,
  };
  if (object === 'contact') return canonical('contact', { ...base, email: prop('email') });
  if (object === 'company') return canonical('company', { ...base, name: prop('name') });
  return canonical('deal', { ...base, name: prop('dealname'), stage: prop('dealstage') });
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    contact: ['providerChange', 'email', 'changedProperties'],
    company: ['providerChange', 'name', 'changedProperties'],
    deal: ['providerChange', 'name', 'stage', 'changedProperties'],
  },
  map: ({ payload }) => map(payload),
};
