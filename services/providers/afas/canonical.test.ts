import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

describe('afas canonical records', () => {
  it('constructed-record fixture (a debtor: person or organisation, AFAS does not say) → no record', () => {
    assert.equal(canonicalFor(provider, fixtureText('afas', 'constructed-record.json')), null);
  });
  it('KnOrganisation → Company and KnPerson → Contact, change from the event name', () => {
    const org = entity(
      canonicalFor(provider, '{"event":"organisation.updated","connector":"KnOrganisation","key":"O-1","Nm":"Acme"}'),
      'company',
    );
    assert.deepEqual(org, {
      id: 'O-1',
      change: 'updated',
      providerChange: 'organisation.updated',
      name: 'Acme',
      changedProperties: {},
    });
    const person = entity(
      canonicalFor(provider, '{"event":"person.archived","connector":"KnPerson","key":"P-1","EmAd":"a@example.com"}'),
      'contact',
    );
    assert.deepEqual(
      [person.change, person.providerChange, person.email],
      ['unknown', 'person.archived', 'a@example.com'],
    );
  });
});
