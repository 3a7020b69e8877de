import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const body = JSON.parse(fixtureText('sendcloud', 'parcel-status-changed.json').toString()) as {
  parcel: Record<string, unknown>;
};
const withStatus = (id: number, message: string) =>
  JSON.stringify({ ...body, parcel: { ...body.parcel, status: { id, message } } });

describe('sendcloud canonical records', () => {
  it('parcel_status_changed fixture → Shipment, field by field', () => {
    const s = entity(canonicalFor(provider, fixtureText('sendcloud', 'parcel-status-changed.json')), 'shipment');
    assert.deepEqual(s, {
      id: '1',
      carrier: null,
      trackingNumber: '3SYZXG132912330',
      status: 'announced',
      providerStatus: '1 Ready to send',
      statusAt: 123000,
      orderRef: 'ORD12334',
    });
  });
  it('status ids map by table; an id we do not know is unknown with the id and message kept', () => {
    const st = (id: number, m: string) => entity(canonicalFor(provider, withStatus(id, m)), 'shipment');
    assert.equal(st(11, 'Delivered').status, 'delivered');
    assert.equal(st(92, 'Driver en route').status, 'out_for_delivery');
    assert.equal(st(1000, 'Ready to send').status, 'label_created');
    const odd = st(62990, 'At customs');
    assert.deepEqual([odd.status, odd.providerStatus], ['unknown', '62990 At customs']);
  });
});
