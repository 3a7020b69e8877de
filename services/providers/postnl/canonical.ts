/**
 * PostNL → Shipment. PostNL documents no webhook, so there is no PostNL status vocabulary to map from
 * (its track-and-trace codes reach shops through SendCloud or MyParcel, which have their own mappings).
 * The sender that posts to this module (a middleware) names the status itself: the canonical shipment
 * status words (label_created, announced, picked_up, in_transit, out_for_delivery, delivered, exception,
 * returned, canceled) are taken as they are; any other value is `unknown` with the raw value kept.
 * Fields: `barcode` (PostNL's track-and-trace code) → id and trackingNumber, `status|statusCode`,
 * `timestamp|time` → statusAt, `reference|orderReference` → orderRef. Carrier: "postnl" — the module
 * is PostNL's, so that is known, not guessed.
 */
import { canonical, type Canonical, type ShipmentStatus } from '../../common/canonical.ts';
import { at, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';

const WORDS: readonly ShipmentStatus[] = [
  'label_created',
  'announced',
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'exception',
  'returned',
  'canceled',
];
const STATUS: Readonly<Record<string, ShipmentStatus>> = Object.fromEntries(WORDS.map((w) => [w, w]));

function map(b: unknown): Canonical | null {
  const barcode = text(at(b, 'barcode'));
  const id = text(at(b, 'id')) ?? barcode;
  if (id === null) return null;
  const raw = text(at(b, 'status')) ?? text(at(b, 'statusCode'));
  return canonical('shipment', {
    id,
    carrier: 'postnl',
    trackingNumber: barcode,
    status: statusFrom(STATUS, raw),
    providerStatus: raw,
    statusAt: time(at(b, 'timestamp') ?? at(b, 'time')),
    orderRef: text(at(b, 'reference')) ?? text(at(b, 'orderReference')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { shipment: ['carrier', 'trackingNumber', 'providerStatus', 'statusAt', 'orderRef'] },
  map: ({ payload }) => map(payload),
};
