/**
 * TradingView alert webhooks.
 *
 * TradingView signs nothing. The body is the alert message the user typed: sent as application/json when
 * it is valid JSON, else text/plain. Verification offered (strongest the platform allows):
 *   1. IP allowlist: TradingView's published sender addresses 52.89.214.238, 34.212.75.30,
 *      54.218.53.128, 52.32.178.7 are the default when the source sets no allowedIps; a source may set
 *      its own list (an explicit empty list allows any address — not recommended).
 *   2. A shared token compared in constant time against the source secrets: the JSON body field
 *      `passphrase` (option `tokenField`) that users put in their alert message, and/or a query
 *      `?token=` / header `x-webhook-token`. At least one must be present, and every presented token must
 *      match. Text alerts can only carry the query/header token. Reading the JSON field means verify()
 *      parses the body — harmless here, since nothing is signed that re-serialization could break.
 * Residual risk: a static bearer secret inside the message; anyone who sees one alert (TradingView
 * staff, logs of an intermediary) can forge alerts. IP allowlisting limits forgeries to TradingView's
 * own network. The passphrase never reaches Kafka: interpret() stores the JSON without the token field.
 *
 * Dedupe key: TradingView sends no id. For JSON alerts: `(ticker, timenow, time, strategy/order id fields
 * present)` from `options.dedupeFields` (default: ticker, exchange, timenow, time, interval, action,
 * order_id, orderId, strategy_order_id, id) — put `{{timenow}}` in the message, it makes the key unique
 * per alert firing. With none of those fields (and text alerts): `(sha256(body), minute of receipt)`, so
 * TradingView's resends (3, 5 s apart, on 5xx) collapse — and so would two identical alerts in one minute.
 * Resource: ticker (`ticker|symbol`; `exchange:ticker` when exchange is given); text alerts use resource
 * `alert-text` / id `text`. JSON alerts without a ticker → NormalizeError missing_field.
 * eventType: `action|strategy.order.action|side`, else `alert`.
 * Ordering: NONE — alerts are signals, not state: a late alert is still an alert.
 * occurredAt: `timenow` (else `time`) when it parses, else receivedAt.
 * Retry window: 3 resends 5 s apart → 300 s default (with margin).
 */
import { createHash } from 'node:crypto';
import { checkIp } from '../core/ip.ts';
import { compositeKey, optionalString, toEpochMs } from '../core/parse.ts';
import { presentedTokens, tokenLocationsOf } from '../core/token.ts';
import { anyEqual, fail, OK } from '../core/verdict.ts';
import {
  NormalizeError,
  type ProviderModule,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';
import { decimalText } from '../money.ts';

export const TRADINGVIEW_IPS: readonly string[] = Object.freeze([
  '52.89.214.238',
  '34.212.75.30',
  '54.218.53.128',
  '52.32.178.7',
]);

const DEFAULT_DEDUPE_FIELDS = [
  'ticker',
  'exchange',
  'timenow',
  'time',
  'interval',
  'action',
  'order_id',
  'orderId',
  'strategy_order_id',
  'id',
];

function tokenFieldOf(options: SourceOptions): string {
  return typeof options['tokenField'] === 'string' ? options['tokenField'] : 'passphrase';
}

/** The source with TradingView's IPs as its allowlist when it sets none. */
function withDefaultIps(source: SourceConfig): SourceConfig {
  return source.options.allowedIps === undefined
    ? { ...source, options: { ...source.options, allowedIps: TRADINGVIEW_IPS } }
    : source;
}

/** A JSON number whose float loses digits of its source text ("0.10000000000000000001") is kept as that text. */
const keepExactNumbers = (_k: string, v: unknown, ctx?: { source?: string }): unknown => {
  if (typeof v !== 'number' || ctx?.source === undefined || !/^-?\d+(\.\d+)?$/.test(ctx.source)) return v;
  try {
    return decimalText(ctx.source) === decimalText(v) ? v : ctx.source;
  } catch {
    return v;
  }
};

function jsonObjectOf(body: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(body.toString('utf8'), keepExactNumbers) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function withoutToken(obj: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...obj };
  delete copy[field];
  return copy;
}

function dedupeKeyOf(
  json: Record<string, unknown> | undefined,
  body: Buffer,
  receivedAtMs: number,
  options: SourceOptions,
): string {
  const fields = Array.isArray(options['dedupeFields']) ? (options['dedupeFields'] as string[]) : DEFAULT_DEDUPE_FIELDS;
  if (json) {
    const present = fields.filter((f) => optionalString(json, f) !== undefined);
    if (present.length > 0) return compositeKey(...present.map((f) => `${f}=${optionalString(json, f) ?? ''}`));
  }
  const hashed = json ? Buffer.from(JSON.stringify(withoutToken(json, tokenFieldOf(options)))) : body;
  return compositeKey('body', createHash('sha256').update(hashed).digest('hex'), Math.floor(receivedAtMs / 60_000));
}

function resourceOf(json: Record<string, unknown>): string | undefined {
  const ticker = optionalString(json, 'ticker') ?? optionalString(json, 'symbol');
  if (ticker === undefined) return undefined;
  const exchange = optionalString(json, 'exchange');
  return exchange !== undefined && !ticker.includes(':') ? `${exchange}:${ticker}` : ticker;
}

function eventTypeOf(json: Record<string, unknown>): string {
  return (
    optionalString(json, 'action') ??
    optionalString(json, 'strategy.order.action') ??
    optionalString(json, 'side') ??
    'alert'
  );
}

/** Problems with a source's options (empty = fine). */
export function validateOptions(options: SourceOptions): string[] {
  const problems: string[] = [];
  if (options['tokenField'] !== undefined && typeof options['tokenField'] !== 'string')
    problems.push('tradingview: tokenField must be a string');
  const d = options['dedupeFields'];
  if (d !== undefined && !(Array.isArray(d) && d.every((x) => typeof x === 'string')))
    problems.push('tradingview: dedupeFields must be a list of field names');
  return problems;
}

function storedBody(req: RawRequest, source: SourceConfig): Buffer {
  const json = jsonObjectOf(req.body);
  const field = tokenFieldOf(source.options);
  return json && field in json ? Buffer.from(JSON.stringify(withoutToken(json, field)), 'utf8') : req.body;
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  validateOptions,
  name: 'tradingview',
  signs: false,
  verification:
    "Unsigned: passphrase in the alert JSON and/or URL token (constant time) + TradingView's IP allowlist by default; a static secret in the message — whoever sees an alert can forge one from an allowed IP.",
  defaultIdempotencyWindowSeconds: 300,
  domain: 'trading',
  contentTypes: ['application/json', 'text/plain'],
  sensitiveHeaders: ['x-webhook-token'],

  verify(req, source) {
    const ip = checkIp(req, withDefaultIps(source));
    if (ip) return ip;
    if (source.secrets.length === 0) return fail('bad_token');
    const tokens = presentedTokens(req, tokenLocationsOf(source));
    const json = jsonObjectOf(req.body);
    const field = tokenFieldOf(source.options);
    if (json && field in json) {
      const t = json[field];
      if (typeof t !== 'string') return fail('bad_token');
      tokens.push(t);
    }
    if (tokens.length === 0) return fail('missing_signature');
    let ok = true;
    for (const t of tokens) ok = anyEqual(t, source.secrets) && ok;
    return ok ? OK : fail('bad_token');
  },

  interpret(req, source) {
    const body = storedBody(req, source);
    const json = jsonObjectOf(body);
    const resourceId = json ? resourceOf(json) : 'text';
    return {
      items: [
        {
          body,
          extracted: {
            deliveryId: dedupeKeyOf(json, body, req.receivedAt.getTime(), source.options),
            eventType: json ? eventTypeOf(json) : 'alert',
            resourceType: json ? 'ticker' : 'alert-text',
            ...(resourceId === undefined ? {} : { resourceId }),
          },
        },
      ],
    };
  },

  normalize(record, source) {
    const receivedAt = record.receivedAt.getTime();
    const text = record.body.toString('utf8');
    const isJsonType = record.contentType.toLowerCase().includes('json');
    const json = jsonObjectOf(record.body);
    if (!json) {
      if (isJsonType) throw new NormalizeError('tradingview: body sent as JSON is not a JSON object', 'unparseable');
      if (text.trim() === '') throw new NormalizeError('tradingview: empty alert', 'missing_field');
      return {
        dedupeKey: dedupeKeyOf(undefined, record.body, receivedAt, source.options),
        eventType: 'alert',
        resourceType: 'alert-text',
        resourceId: 'text',
        occurredAt: receivedAt,
        ordering: { kind: 'NONE', value: null, statusRank: null },
        payload: JSON.stringify({ text }),
      };
    }
    const clean = withoutToken(json, tokenFieldOf(source.options));
    const resourceId = resourceOf(clean);
    if (resourceId === undefined) throw new NormalizeError('tradingview: alert JSON has no ticker', 'missing_field');
    const t = toEpochMs(optionalString(clean, 'timenow') ?? optionalString(clean, 'time'));
    return {
      dedupeKey: dedupeKeyOf(clean, record.body, receivedAt, source.options),
      eventType: eventTypeOf(clean),
      resourceType: 'ticker',
      resourceId,
      occurredAt: Number.isNaN(t) ? receivedAt : t,
      ordering: { kind: 'NONE', value: null, statusRank: null },
      payload: JSON.stringify(clean),
    };
  },
};
