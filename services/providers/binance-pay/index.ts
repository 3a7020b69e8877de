/**
 * Binance Pay (merchant order, refund and payout notifications).
 *
 * Verification (https://developers.binance.com/docs/binance-pay/webhook-common, "Verify the Signature"):
 * payload = `BinancePay-Timestamp` + "\n" + `BinancePay-Nonce` + "\n" + raw body + "\n"; the
 * `BinancePay-Signature` header is base64 of an RSA SHA256withRSA (PKCS#1 v1.5) signature of it, made
 * with Binance Pay's private key. The public key is Binance's `certPublic` from the "Query Certificate"
 * API (https://developers.binance.com/en/docs/products/binance-pay-merchant/webhook-query-certificate),
 * configured by hand — hookline never calls out:
 *   options.publicKeys = { "<certSerial>": "<PEM public key>", … }
 * `BinancePay-Certificate-SN` (the key's MD5 hash, per the docs) selects the key; an unknown serial fails
 * (`bad_signature`). The timestamp (ms) is also checked against the receive time (±toleranceSeconds,
 * default 300 s) so a captured request cannot be replayed later. `secrets` are unused (may be empty).
 *
 * Body: `{bizType, bizId, bizIdStr, bizStatus, data}` with `data` a JSON STRING (order notification:
 * https://developers.binance.com/docs/binance-pay/order-notification; refund: …/refund-order-notification).
 * Dedupe key (no event id): `bizType|bizIdStr|bizStatus` — Binance sends final statuses only, once each,
 * retrying "up to 6 times". Resource: bizType (PAY, PAY_REFUND, PAYOUT, …) / bizIdStr.
 * Ordering: NONE — each notification is a final status of its own resource.
 * occurredAt: data.transactTime (ms) when present, else the signed timestamp.
 * Reply: Binance expects `{"returnCode":"SUCCESS","returnMessage":null}` with 200.
 * Retry window: 6 retries (schedule not documented) → 1 day default.
 */
import type { KeyObject } from 'node:crypto';
import { bodyDigest, compositeKey, isRecord, parseJsonLossless, pick, tryParseJsonLossless } from '../core/parse.ts';
import { decodeBase64Strict, parsePublicKey, rsaSha256VerifyAny } from '../core/rsa.ts';
import { checkTimestamp, DAY, strictInt } from '../core/timestamp.ts';
import { fail, header } from '../core/verdict.ts';
import {
  NormalizeError,
  type Interpretation,
  type NormalizedFields,
  type ProviderModule,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
  type VerifyResult,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const REPLY = { status: 200, contentType: 'application/json', body: '{"returnCode":"SUCCESS","returnMessage":null}' };
const keyCache = new WeakMap<object, ReadonlyMap<string, KeyObject>>();

function publicKeysOf(options: SourceOptions): ReadonlyMap<string, KeyObject> {
  const raw = options['publicKeys'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return new Map();
  const cached = keyCache.get(raw);
  if (cached) return cached;
  const map = new Map<string, KeyObject>();
  for (const [sn, text] of Object.entries(raw as Record<string, unknown>)) {
    try {
      if (typeof text === 'string') map.set(sn, parsePublicKey(text));
    } catch {
      // reported by validateOptions at start-up
    }
  }
  keyCache.set(raw, map);
  return map;
}

export function validateOptions(options: SourceOptions): string[] {
  const raw = options['publicKeys'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    return ['binance-pay: options.publicKeys must be an object { certSerial: PEM public key } with at least one key'];
  }
  const problems: string[] = [];
  for (const [sn, text] of Object.entries(raw as Record<string, unknown>)) {
    try {
      if (typeof text !== 'string') throw new Error('not a string');
      parsePublicKey(text);
    } catch {
      problems.push(`binance-pay: options.publicKeys["${sn}"] is not a public key`);
    }
  }
  return problems;
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  const signature = header(req, 'binancepay-signature');
  const timestamp = header(req, 'binancepay-timestamp');
  const nonce = header(req, 'binancepay-nonce');
  const serial = header(req, 'binancepay-certificate-sn');
  if (!signature || !timestamp || !nonce || !serial) return fail('missing_signature');
  const t = checkTimestamp(strictInt(timestamp) / 1000, req, source);
  if (!t.ok) return t;
  const sig = decodeBase64Strict(signature);
  if (!sig) return fail('malformed_signature');
  const key = publicKeysOf(source.options).get(serial);
  if (!key) return fail('bad_signature');
  const payload = Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), req.body, Buffer.from('\n')]);
  return rsaSha256VerifyAny(payload, sig, [key]) ? { ok: true } : fail('bad_signature');
}

interface Facts {
  readonly bizType: string | undefined;
  readonly bizId: string | undefined;
  readonly bizStatus: string | undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function factsOf(body: unknown): Facts {
  return {
    bizType: str(pick(body, 'bizType')),
    bizId: str(pick(body, 'bizIdStr')) ?? str(pick(body, 'bizId')),
    bizStatus: str(pick(body, 'bizStatus')),
  };
}

function interpret(req: RawRequest): Interpretation {
  const body = tryParseJsonLossless(req.body);
  const f = factsOf(body);
  const complete = f.bizType !== undefined && f.bizId !== undefined && f.bizStatus !== undefined;
  return {
    items: [
      {
        body: req.body,
        extracted: complete
          ? {
              deliveryId: compositeKey(f.bizType, f.bizId, f.bizStatus),
              eventType: `${f.bizType}.${f.bizStatus}`,
              resourceType: f.bizType ?? '',
              resourceId: f.bizId ?? '',
            }
          : { deliveryId: bodyDigest(req.body) },
      },
    ],
    reply: REPLY,
  };
}

/** The `data` JSON string of a notification, parsed (exact numbers); undefined when absent. */
export function dataOf(body: Record<string, unknown>): unknown {
  const d = body['data'];
  if (typeof d !== 'string') return isRecord(d) ? d : undefined;
  return parseJsonLossless(Buffer.from(d));
}

function normalize(record: RawRecord): NormalizedFields {
  const body = parseJsonLossless(record.body);
  if (!isRecord(body)) throw new NormalizeError('body is not a JSON object', 'unexpected_payload');
  const f = factsOf(body);
  if (!f.bizType || !f.bizId || !f.bizStatus)
    throw new NormalizeError('missing required field bizType, bizIdStr or bizStatus', 'missing_field');
  const data = dataOf(body);
  const transact = pick(data, 'transactTime');
  const signed = strictInt(record.headers['binancepay-timestamp']);
  const occurredAt =
    typeof transact === 'number' && Number.isSafeInteger(transact)
      ? transact
      : Number.isFinite(signed)
        ? signed
        : record.receivedAt.getTime();
  return {
    dedupeKey: compositeKey(f.bizType, f.bizId, f.bizStatus),
    eventType: `${f.bizType}.${f.bizStatus}`,
    resourceType: f.bizType,
    resourceId: f.bizId,
    occurredAt,
    ordering: { kind: 'NONE', value: null, statusRank: null },
    payload: record.body.toString('utf8'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  name: 'binance-pay',
  signs: true,
  verification:
    'BinancePay-Signature base64 RSA-SHA256 over timestamp\\nnonce\\nbody\\n with the Binance Pay public key named by BinancePay-Certificate-SN (configured by hand, never fetched), timestamp within ±tolerance; dedupe bizType|bizIdStr|bizStatus.',
  defaultIdempotencyWindowSeconds: DAY,
  domain: 'payments',
  contentTypes: ['application/json'],
  verify,
  interpret,
  normalize,
  validateOptions,
};
