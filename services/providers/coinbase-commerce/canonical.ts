/**
 * Coinbase Commerce charge events → Payment. The event's `data` is the full charge (snapshot), so no
 * fetch is needed (charge resource and event types: https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-overview).
 * Status from the event type: charge:created | charge:pending (payment detected, not yet confirmed)
 * → pending, charge:confirmed → succeeded, charge:failed (expired or underpaid) → failed;
 * charge:delayed (paid after expiry) and charge:resolved (a merchant's manual resolution) have no
 * single canonical meaning → unknown, with the event type kept as providerStatus.
 * Amount: `pricing.local` — the fiat price the merchant set ({amount:"100.00", currency:"USD"}), parsed
 * without floating point. Crypto amounts are not ISO 4217 money: they stay in the payload.
 * A no_price charge (donations) has no pricing.local: amount null.
 */
import { canonical, type Canonical, type PaymentStatus } from '../../common/canonical.ts';
import { at, metadataOf, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';
import { moneyFromDecimal } from '../money.ts';

const STATUS: Readonly<Record<string, PaymentStatus>> = {
  'charge:created': 'pending',
  'charge:pending': 'pending',
  'charge:confirmed': 'succeeded',
  'charge:failed': 'failed',
};

function map(b: unknown): Canonical | null {
  const type = text(at(b, 'event.type'));
  if (type === null || !type.startsWith('charge:')) return null;
  const charge = at(b, 'event.data');
  const id = text(at(charge, 'id')) ?? text(at(charge, 'code'));
  if (id === null) return null;
  const amount = at(charge, 'pricing.local.amount');
  const currency = at(charge, 'pricing.local.currency');
  return canonical('payment', {
    id,
    status: statusFrom(STATUS, type),
    providerStatus: type,
    amount: amount === undefined || amount === null ? null : moneyFromDecimal(amount, currency),
    method: text(at(charge, 'payments.0.network')),
    customerRef: text(at(charge, 'metadata.customer_id')),
    orderRef: text(at(charge, 'metadata.order_id')),
    description: text(at(charge, 'description')) ?? text(at(charge, 'name')),
    createdAt: time(at(charge, 'created_at')),
    metadata: metadataOf(at(charge, 'metadata')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    payment: ['providerStatus', 'amount', 'method', 'customerRef', 'orderRef', 'description', 'createdAt', 'metadata'],
  },
  map: ({ payload }) => map(payload),
};
