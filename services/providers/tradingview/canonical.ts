/**
 * TradingView alerts → Signal. The body is the message the user wrote with TradingView's placeholders
 * (https://www.tradingview.com/support/solutions/43000531021/ "How to use a variable value in alert";
 * strategy placeholders {{strategy.order.action}}, {{strategy.order.contracts}}, {{strategy.order.price}},
 * {{strategy.order.id}}), so the mapping reads the field names the module's docs recommend and
 * nothing else: symbol `ticker|symbol`, side `action|side` (buy / sell only), quantity
 * `contracts|quantity`, price `price|close`, venue `exchange`, id `order_id|orderId|id`, strategy
 * `strategy`, text `text|message` (a plain-text alert is all text). Quantities and prices are decimal text
 * (never a float); a value that is not a decimal is refused (NormalizeError → DLQ), not dropped.
 */
import { canonical, type Canonical, type Side } from '../../common/canonical.ts';
import { at, statusFrom, text, type CanonicalMapping } from '../canonical.ts';
import { decimalText } from '../money.ts';

const SIDE: Readonly<Record<string, Side>> = { buy: 'buy', sell: 'sell', BUY: 'buy', SELL: 'sell' };

const first = (o: unknown, ...paths: string[]): string | null => {
  for (const p of paths) {
    const v = text(at(o, p));
    if (v !== null) return v;
  }
  return null;
};
const decimal = (v: string | null): string | null => (v === null ? null : decimalText(v));

function map(a: unknown): Canonical | null {
  return canonical('signal', {
    id: first(a, 'order_id', 'orderId', 'id'),
    symbol: first(a, 'ticker', 'symbol'),
    side: statusFrom(SIDE, first(a, 'action', 'side')),
    quantity: decimal(first(a, 'contracts', 'quantity')),
    price: decimal(first(a, 'price', 'close')),
    venue: first(a, 'exchange'),
    strategy: first(a, 'strategy'),
    text: first(a, 'text', 'message'),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { signal: ['id', 'symbol', 'quantity', 'price', 'venue', 'strategy', 'text'] },
  map: ({ payload }) => map(payload),
};
