/**
 * MyParcel `shipment_status_change` / `shipment_label_created` hooks → Shipment. Status codes from the
 * MyParcel API reference ("Shipment statuses"): 1 concept, 2 registered, 3 handed to carrier,
 * 4 sorting, 5 distribution, 6 customs, 7 at recipient, 8 ready for pickup, 9 picked up by recipient,
 * 10/11 return shipment ready / picked up. Other codes (12–14 printed/credited, 30–38 inactive, 99)
 * → unknown, code kept. The hook carries no carrier and no time: those stay null (statusAt = null).
 */
import { canonical, type Canonical, type ShipmentStatus } from '../../common/canonical.ts';
import { at, text, type CanonicalMapping } from '../canonical.ts';

const STATUS: Readonly<Record<number, ShipmentStatus>> = {
  2: 'label_created',
  3: 'picked_up',
  4: 'in_transit',
  5: 'in_transit',
  6: 'in_transit',
  7: 'delivered',
  8: 'delivered',
  9: 'delivered',
  10: 'returned',
  11: 'returned',
};

function map(p: unknown): Canonical | null {
  const id = text(at(p, 'shipment_id'));
  if (id === null) return null;
  const s = at(p, 'status');
  const code = typeof s === 'number' ? s : typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : undefined;
  return canonical('shipment', {
    id,
    trackingNumber: text(at(p, 'barcode')),
    status: code === undefined ? 'unknown' : (STATUS[code] ?? 'unknown'),
    providerStatus: text(s),
    orderRef: text(at(p, 'reference_identifier')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { shipment: ['trackingNumber', 'providerStatus', 'orderRef'] },
  map: ({ payload }) => map(payload),
};
