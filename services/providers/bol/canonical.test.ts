import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const push = (resource: string, type: string) =>
  JSON.stringify({
    retailerId: 1234567,
    timestamp: '2020-02-02T23:23:23+01:00',
    event: { resource, type, resourceId: '871' },
  });

describe('bol canonical records', () => {
  it('process-status-success fixture is not a canonical entity: no record', () => {
    assert.equal(canonicalFor(provider, fixtureText('bol', 'process-status-success.json')), null);
  });
  it('SHIPMENT UPDATE_TRANSPORT_EVENT → Shipment with the status unknown (the message does not carry it)', () => {
    assert.deepEqual(entity(canonicalFor(provider, push('SHIPMENT', 'UPDATE_TRANSPORT_EVENT')), 'shipment'), {
      id: '871',
      carrier: null,
      trackingNumber: null,
      status: 'unknown',
      providerStatus: 'UPDATE_TRANSPORT_EVENT',
      statusAt: Date.parse('2020-02-02T22:23:23Z'),
      orderRef: null,
    });
  });
  it('ORDER → Order with the status unknown and the event type kept', () => {
    const o = entity(canonicalFor(provider, push('ORDER', 'NEW_ORDER')), 'order');
    assert.deepEqual(
      [o.id, o.status, o.providerStatus, o.updatedAt],
      ['871', 'unknown', 'NEW_ORDER', Date.parse('2020-02-02T22:23:23Z')],
    );
  });
});
