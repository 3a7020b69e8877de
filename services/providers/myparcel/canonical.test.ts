import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const headers = { 'x-myparcel-hook': 'shipment_status_change' };
const hook = (status: unknown) =>
  JSON.stringify({ data: { hooks: [{ shipment_id: '1', account_id: 1, shop_id: 1, status, barcode: '3S' }] } });

describe('myparcel canonical records', () => {
  it('shipment_status_change fixture → Shipment, field by field (no carrier, no time: null)', () => {
    const s = entity(
      canonicalFor(provider, fixtureText('myparcel', 'shipment-status-change.json'), { headers }),
      'shipment',
    );
    assert.deepEqual(s, {
      id: '25482412',
      carrier: null,
      trackingNumber: '3SMYPA749883621',
      status: 'label_created',
      providerStatus: '2',
      statusAt: null,
      orderRef: null,
    });
  });
  it('codes by table, unknown codes kept', () => {
    const st = (s: unknown) => entity(canonicalFor(provider, hook(s), { headers }), 'shipment');
    assert.equal(st(7).status, 'delivered');
    assert.equal(st(3).status, 'picked_up');
    assert.equal(st(11).status, 'returned');
    assert.deepEqual([st(99).status, st(99).providerStatus], ['unknown', '99']);
  });
});
