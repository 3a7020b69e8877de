import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

describe('postnl canonical records', () => {
  it('constructed-status fixture → Shipment, field by field', () => {
    assert.deepEqual(entity(canonicalFor(provider, fixtureText('postnl', 'constructed-status.json')), 'shipment'), {
      id: '3SDEVC201611210',
      carrier: 'postnl',
      trackingNumber: '3SDEVC201611210',
      status: 'delivered',
      providerStatus: 'delivered',
      statusAt: Date.parse('2024-12-16T15:57:04Z'),
      orderRef: null,
    });
  });
  it('a status that is not a canonical word is unknown with the raw value kept (no PostNL code table to guess from)', () => {
    const s = entity(canonicalFor(provider, '{"type":"shipment.status","barcode":"3S1","status":"01"}'), 'shipment');
    assert.deepEqual([s.status, s.providerStatus, s.statusAt], ['unknown', '01', null]);
  });
});
