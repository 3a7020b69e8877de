/** One HMAC and one generic HMAC verifier; most provider modules are presets over it. */
import { createHmac } from 'node:crypto';
import { keyBytesOf } from '../../common/standard-webhooks.ts';
import type { RawRequest, SourceConfig, VerifyResult } from '../types.ts';
import { checkTimestamp, strictInt } from './timestamp.ts';
import { OK, anyEqual, fail, header } from './verdict.ts';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac(algorithm, key).update(data).digest();
}

export type Encoding = 'hex' | 'base64' | 'base64url';

/**
 * One generic HMAC verifier: the presets (GitHub, Shopify, SendCloud, Mollie, WooCommerce…) only
 * say where the signature is, how it is encoded, and what content is signed.
 */
export interface HmacPreset {
  /** Header carrying the signature(s). */
  readonly header: string;
  readonly algorithm: HmacAlgorithm;
  readonly encoding: Encoding;
  /** Prefix before the signature value, e.g. "sha256=" (compared case-insensitively). */
  readonly prefix?: string;
  /** How the secret becomes key bytes: raw string (default) or base64 / whsec_ base64. */
  readonly secretEncoding?: 'utf8' | 'base64' | 'whsec';
  /** Bytes that were signed; default the raw body. */
  readonly signedContent?: (req: RawRequest, timestamp: string | undefined) => Buffer | string;
  /** Header with a unix-seconds timestamp that is part of the signed content. */
  readonly timestampHeader?: string;
  /** Timestamp unit in that header; default seconds. */
  readonly timestampUnit?: 's' | 'ms';
}

/** Key of a secret in the preset's encoding; undefined for a whsec_ secret with no key bytes (refused). */
export function secretKey(secret: string, enc: HmacPreset['secretEncoding']): Buffer | string | undefined {
  if (enc === 'base64') return Buffer.from(secret, 'base64');
  if (enc === 'whsec') return keyBytesOf(secret);
  return secret;
}

export function verifyHmac(preset: HmacPreset, req: RawRequest, source: SourceConfig): VerifyResult {
  const raw = header(req, preset.header);
  if (raw === undefined) return fail('missing_signature');
  let ts: string | undefined;
  if (preset.timestampHeader) {
    ts = header(req, preset.timestampHeader);
    if (ts === undefined) return fail('missing_signature');
    const n = strictInt(ts);
    const r = checkTimestamp(preset.timestampUnit === 'ms' ? n / 1000 : n, req, source);
    if (!r.ok) return r;
  }
  let value = raw.trim();
  if (preset.prefix) {
    if (value.slice(0, preset.prefix.length).toLowerCase() !== preset.prefix.toLowerCase()) {
      return fail('malformed_signature');
    }
    value = value.slice(preset.prefix.length);
  }
  const given = decodeSignature(value, preset.encoding);
  if (!given) return fail('malformed_signature');
  const content = preset.signedContent ? preset.signedContent(req, ts) : req.body;
  const expected: Buffer[] = [];
  for (const s of source.secrets) {
    const key = secretKey(s, preset.secretEncoding);
    if (key !== undefined) expected.push(hmac(preset.algorithm, key, content));
  }
  return anyEqual(given, expected) ? OK : fail('bad_signature');
}

export function decodeSignature(value: string, encoding: Encoding): Buffer | undefined {
  if (encoding === 'hex') {
    if (!/^[0-9a-fA-F]+$/.test(value) || value.length % 2 !== 0) return undefined;
    return Buffer.from(value, 'hex');
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, encoding);
}
