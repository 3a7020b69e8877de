/**
 * Binance Pay notifications → Payment (bizType PAY) and Refund (bizType PAY_REFUND).
 * Order notification (https://developers.binance.com/docs/binance-pay/order-notification): bizStatus
 * PAY_SUCCESS → succeeded; PAY_CLOSED (closed unpaid: expired or closed by the merchant — the message
 * does not say which) → unknown with the raw value kept. Refund notification
 * (https://developers.binance.com/docs/binance-pay/refund-order-notification): REFUND_SUCCESS →
 * succeeded, REFUND_REJECTED → failed.
 * `data` (a JSON string) holds merchantTradeNo (→ orderRef), totalFee + currency, productName,
 * transactTime, openUserId (→ customerRef), paymentInfo.payMethod. Amount: Binance Pay orders are in
 * crypto (USDT, BNB, …), which is not ISO 4217 money, so `amount` is filled only when the currency is
 * an ISO 4217 code; otherwise null (the exact figure stays in the payload). Payouts: no record.
 */
import { canonical, type Canonical, type Money, type RefundStatus } from '../../common/canonical.ts';
import { at, statusFrom, text, time, type CanonicalMapping } from '../canonical.ts';
import { isRecord } from '../core/parse.ts';
import { moneyFromDecimal } from '../money.ts';

const PAY = { PAY_SUCCESS: 'succeeded' } as const;
const REFUND: Readonly<Record<string, RefundStatus>> = { REFUND_SUCCESS: 'succeeded', REFUND_REJECTED: 'failed' };

function isoMoney(amount: unknown, currency: unknown): Money | null {
  if (amount === undefined || amount === null || typeof currency !== 'string') return null;
  if (!/^[A-Z]{3}$/.test(currency) || !Intl.supportedValuesOf('currency').includes(currency)) return null;
  return moneyFromDecimal(amount, currency);
}

function dataOf(b: unknown): unknown {
  const d = at(b, 'data');
  if (typeof d !== 'string') return isRecord(d) ? d : undefined;
  try {
    return JSON.parse(d, (_k, v: unknown, ctx?: { source?: string }) =>
      typeof v === 'number' && !Number.isSafeInteger(v) && ctx?.source !== undefined ? ctx.source : v,
    ) as unknown;
  } catch {
    return undefined;
  }
}

function map(b: unknown): Canonical | null {
  const id = text(at(b, 'bizIdStr')) ?? text(at(b, 'bizId'));
  const raw = text(at(b, 'bizStatus'));
  if (id === null) return null;
  const d = dataOf(b);
  const amount = isoMoney(at(d, 'totalFee'), at(d, 'currency'));
  switch (text(at(b, 'bizType'))) {
    case 'PAY':
      return canonical('payment', {
        id,
        status: statusFrom(PAY, raw),
        providerStatus: raw,
        amount,
        method: text(at(d, 'paymentInfo.payMethod')),
        customerRef: text(at(d, 'openUserId')),
        orderRef: text(at(d, 'merchantTradeNo')),
        description: text(at(d, 'productName')),
        createdAt: time(at(d, 'transactTime')),
      });
    case 'PAY_REFUND':
      return canonical('refund', {
        id: text(at(d, 'refundInfo.refundRequestId')) ?? id,
        status: statusFrom(REFUND, raw),
        providerStatus: raw,
        amount,
        paymentRef: id,
      });
    default:
      return null;
  }
}

export const canonicalMapping: CanonicalMapping = {
  fills: {
    payment: ['providerStatus', 'amount', 'method', 'customerRef', 'orderRef', 'description', 'createdAt'],
    refund: ['providerStatus', 'amount', 'paymentRef'],
  },
  map: ({ payload }) => map(payload),
};
