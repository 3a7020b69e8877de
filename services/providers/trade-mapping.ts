/**
 * Canonical Trade for exchange feeds that arrive through the configurable modules (standard-webhooks,
 * generic-hmac): the source says where a fill's fields are, as it says where the ids are (mapping.ts).
 *
 *   options.canonicalTrade = { id, symbol, side, quantity, price, venue, orderId, fillId, status }
 *
 * each a dot path into the body (`fill.qty`, `data.0.price`) or `=text` for a constant (`venue: "=KRAKEN"`);
 * `id` is required. `eventType` (optional, `trade.*` or an exact type) limits the mapping to the feed's
 * trade events; an event of another type, or whose id path is absent, is not a trade: no record.
 * Quantity and price are read from the exact source text (canonical.ts parseExact: never a float) and
 * written as canonical decimal text; a value that is not a decimal is refused (NormalizeError → DLQ).
 * Side: buy | sell (any case); status: new, partially_filled (also partial_fill, partially-filled),
 * filled (also fill, trade), canceled (also cancelled), rejected, expired — any case, else `unknown`
 * with the raw value kept. Ordering of fills stays the module's: sequencePath → SEQUENCE per resource.
 */
import { canonical, type Canonical, type Side, type TradeStatus } from '../common/canonical.ts';
import { at, text, type CanonicalMapping } from './canonical.ts';
import { isRecord } from './core/parse.ts';
import { decimalText } from './money.ts';
import type { SourceOptions } from './types.ts';

const FIELDS = ['id', 'symbol', 'side', 'quantity', 'price', 'venue', 'orderId', 'fillId', 'status'] as const;
const KEYS = [...FIELDS, 'eventType'] as const;
type Key = (typeof FIELDS)[number];

/** `trade.*` matches trade.fill; without a `*` the event type must be equal. */
function typeMatches(pattern: unknown, eventType: string): boolean {
  if (typeof pattern !== 'string') return true;
  return pattern.endsWith('*') ? eventType.startsWith(pattern.slice(0, -1)) : eventType === pattern;
}

const SIDES: Readonly<Record<string, Side>> = { buy: 'buy', sell: 'sell' };
const STATUSES: Readonly<Record<string, TradeStatus>> = {
  new: 'new',
  partially_filled: 'partially_filled',
  partial_fill: 'partially_filled',
  'partially-filled': 'partially_filled',
  filled: 'filled',
  fill: 'filled',
  trade: 'filled',
  canceled: 'canceled',
  cancelled: 'canceled',
  rejected: 'rejected',
  expired: 'expired',
};

/** Problems with options.canonicalTrade (empty = fine). */
export function validateTradeOptions(options: SourceOptions): string[] {
  const spec = options['canonicalTrade'];
  if (spec === undefined) return [];
  if (!isRecord(spec)) return ['canonicalTrade must be an object of field → dot path'];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(spec)) {
    if (!(KEYS as readonly string[]).includes(k)) problems.push(`canonicalTrade.${k} is not a Trade field`);
    else if (typeof v !== 'string' || v.trim() === '') problems.push(`canonicalTrade.${k} must be a non-empty path`);
  }
  if (typeof spec['id'] !== 'string') problems.push('canonicalTrade.id is required');
  return problems;
}

function read(body: unknown, spec: Readonly<Record<string, unknown>>, key: Key): string | null {
  const path = spec[key];
  if (typeof path !== 'string') return null;
  return path.startsWith('=') ? path.slice(1) : text(at(body, path));
}

function map(body: unknown, options: SourceOptions, eventType: string): Canonical | null {
  const spec = options['canonicalTrade'];
  if (!isRecord(spec) || !typeMatches(spec['eventType'], eventType)) return null;
  const id = read(body, spec, 'id');
  if (id === null) return null;
  const side = read(body, spec, 'side')?.toLowerCase() ?? null;
  const status = read(body, spec, 'status');
  const quantity = read(body, spec, 'quantity');
  const price = read(body, spec, 'price');
  return canonical('trade', {
    id,
    symbol: read(body, spec, 'symbol'),
    side: side !== null && Object.hasOwn(SIDES, side) ? (SIDES[side] ?? 'unknown') : 'unknown',
    quantity: quantity === null ? null : decimalText(quantity),
    price: price === null ? null : decimalText(price),
    venue: read(body, spec, 'venue'),
    orderId: read(body, spec, 'orderId'),
    fillId: read(body, spec, 'fillId'),
    status:
      status !== null && Object.hasOwn(STATUSES, status.toLowerCase())
        ? (STATUSES[status.toLowerCase()] ?? 'unknown')
        : 'unknown',
    providerStatus: status,
  });
}

export const tradeMapping: CanonicalMapping = {
  fills: { trade: ['symbol', 'quantity', 'price', 'venue', 'orderId', 'fillId', 'providerStatus'] },
  map: ({ payload, source, fields }) => map(payload, source.options, fields.eventType),
};
