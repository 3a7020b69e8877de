/**
 * Bol.com push messages → Shipment / Order, as far as the events allow. Bol's push messages are thin:
 * `{retailerId, timestamp, event:{resource, type, resourceId}}` (Retailer API "Subscriptions" and
 * "Supported event types": https://api.bol.com/retailer/public/Retailer-API/v11/functional/subscriptions-api/supported-event-types.html).
 * - SHIPMENT / UPDATE_TRANSPORT_EVENT: "a shipment has changed its shipment status" — the status itself is
 *   not in the message (GET shipment by id has it) → Shipment{id: shipmentId, status unknown,
 *   providerStatus = the event type, statusAt = timestamp}; carrier and tracking number stay null.
 * - ORDER: → Order{id: orderId, status unknown, providerStatus = the event type}.
 * - PROCESS_STATUS (and anything else) is not a canonical entity.
 * Nothing is guessed from the event name: the status stays `unknown` until a mapping has the state.
 */
import { canonical, type Canonical } from '../../common/canonical.ts';
import { at, text, time, type CanonicalMapping } from '../canonical.ts';

function map(b: unknown): Canonical | null {
  const id = text(at(b, 'event.resourceId'));
  const type = text(at(b, 'event.type'));
  if (id === null) return null;
  switch (text(at(b, 'event.resource'))) {
    case 'SHIPMENT':
      return canonical('shipment', { id, status: 'unknown', providerStatus: type, statusAt: time(at(b, 'timestamp')) });
    case 'ORDER':
      return canonical('order', { id, status: 'unknown', providerStatus: type, updatedAt: time(at(b, 'timestamp')) });
    default:
      return null;
  }
}

export const canonicalMapping: CanonicalMapping = {
  fills: { shipment: ['providerStatus', 'statusAt'], order: ['providerStatus', 'updatedAt'] },
  map: ({ payload }) => map(payload),
};
