/**
 * SendCloud `parcel_status_changed` → Shipment. Status ids from SendCloud's parcel status list
 * (`GET /api/v2/parcels/statuses`; help centre "Shipment statuses"). Only ids whose meaning we could
 * pin down are mapped; every other id is `unknown` with "<id> <message>" kept as providerStatus.
 * Carrier: `parcel.carrier.code` when sent, else null (the shipment method name is not a carrier).
 * statusAt: `carrier_status_change_timestamp` (ms epoch per the docs' example fields; s accepted too).
 */
import { canonical, type Canonical, type ShipmentStatus } from '../../common/canonical.ts';
import { at, text, time, type CanonicalMapping } from '../canonical.ts';

const STATUS: Readonly<Record<number, ShipmentStatus>> = {
  1000: 'label_created', // Ready to send
  1: 'announced',
  3: 'in_transit', // En route to sorting center
  22: 'picked_up', // Shipment picked up by driver
  91: 'in_transit', // Parcel en route
  92: 'out_for_delivery', // Driver en route
  11: 'delivered',
  8: 'exception', // Delivery attempt failed
  80: 'exception', // Unable to deliver
  2000: 'canceled',
};

function map(b: unknown): Canonical | null {
  const parcel = at(b, 'parcel');
  const id = text(at(parcel, 'id'));
  if (id === null) return null;
  const sid = at(parcel, 'status.id');
  const message = text(at(parcel, 'status.message'));
  return canonical('shipment', {
    id,
    carrier: text(at(parcel, 'carrier.code')),
    trackingNumber: text(at(parcel, 'tracking_number')),
    status: typeof sid === 'number' ? (STATUS[sid] ?? 'unknown') : 'unknown',
    providerStatus: sid === undefined ? message : [text(sid), message].filter((x) => x !== null).join(' '),
    statusAt: time(at(b, 'carrier_status_change_timestamp') ?? at(b, 'timestamp')),
    orderRef: text(at(parcel, 'order_number')) ?? text(at(parcel, 'external_order_id')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { shipment: ['carrier', 'trackingNumber', 'providerStatus', 'statusAt', 'orderRef'] },
  map: ({ payload }) => map(payload),
};
