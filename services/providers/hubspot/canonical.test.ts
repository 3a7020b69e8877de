import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const batch = JSON.parse(fixtureText('hubspot', 'batch.json').toString()) as Record<string, unknown>[];
const one = (ev: Record<string, unknown>) => canonicalFor(provider, JSON.stringify(ev));

describe('hubspot canonical records', () => {
  it('batch fixture, event 1: contact.propertyChange → Contact updated with the changed property', () => {
    assert.deepEqual(entity(one(batch[0] ?? {}), 'contact'), {
      id: '1246965',
      change: 'updated',
      providerChange: 'contact.propertyChange',
      name: null,
      email: null,
      changedProperties: { lifecyclestage: 'subscriber' },
    });
  });
  it('batch fixture, event 2: contact.creation → Contact created, nothing else known', () => {
    assert.deepEqual(entity(one(batch[1] ?? {}), 'contact'), {
      id: '1246978',
      change: 'created',
      providerChange: 'contact.creation',
      name: null,
      email: null,
      changedProperties: {},
    });
  });
  it('deal stage change, cleared company name, new-platform objectTypeId, unknown change kinds', () => {
    const base = { eventId: 1, subscriptionId: 2, portalId: 3, occurredAt: 1462216307945, objectId: 9 };
    const deal = entity(
      one({ ...base, subscriptionType: 'deal.propertyChange', propertyName: 'dealstage', propertyValue: 'closedwon' }),
      'deal',
    );
    assert.deepEqual(
      [deal.stage, deal.amount, deal.changedProperties],
      ['closedwon', null, { dealstage: 'closedwon' }],
    );
    const company = entity(
      one({ ...base, subscriptionType: 'company.propertyChange', propertyName: 'name', propertyValue: '' }),
      'company',
    );
    assert.deepEqual([company.name, company.changedProperties], [null, { name: null }]);
    const generic = entity(one({ ...base, subscriptionType: 'object.deletion', objectTypeId: '0-3' }), 'deal');
    assert.equal(generic.change, 'deleted');
    const assoc = entity(one({ ...base, subscriptionType: 'contact.associationChange' }), 'contact');
    assert.deepEqual([assoc.change, assoc.providerChange], ['unknown', 'contact.associationChange']);
    assert.equal(one({ ...base, subscriptionType: 'ticket.creation' }), null);
  });
});
