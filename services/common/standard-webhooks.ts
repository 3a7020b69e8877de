/**
 * Standard Webhooks (https://www.standardwebhooks.com), one module for both directions: the
 * dispatcher signs outbound deliveries with it, the standard-webhooks and GitLab provider modules
 * verify inbound ones. Three layers, as Svix does it: the key (`whsec_` + base64), HMAC-SHA256, and
 * the signed content `${id}.${timestamp}.${body}`. During a secret rotation the header carries one
 * `v1,<sig>` per active secret, space-separated; a verifier accepts any.
 *
 * A secret with no key bytes (empty, or `whsec_` alone) is refused in both directions: signing
 * throws, verifying never matches it. An HMAC with an empty key is a signature anyone can forge.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

export const WHSEC_PREFIX = 'whsec_';

/** Key bytes of a whsec_ secret (without the prefix it is taken as base64 too); undefined when empty. */
export function keyBytesOf(secret: string): Buffer | undefined {
  const key = Buffer.from(secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret, 'base64');
  return key.length === 0 ? undefined : key;
}

/** Key bytes of a secret used for signing; throws on a secret with no key bytes. */
export function secretKey(secret: string): Buffer {
  const key = keyBytesOf(secret);
  if (key === undefined) throw new Error('empty signing secret');
  return key;
}

/**
 * KeyObjects of the secrets seen lately: building one per request is a measurable part of the
 * per-delivery CPU, and an endpoint signs thousands of requests with the same secret.
 */
const keyCache = new Map<string, KeyObject>();
export function cachedKey(secret: string): KeyObject {
  let k = keyCache.get(secret);
  if (!k) {
    if (keyCache.size >= 10_000) keyCache.clear();
    keyCache.set(secret, (k = createSecretKey(secretKey(secret))));
  }
  return k;
}

/** The raw HMAC-SHA256 of `${id}.${timestamp}.${body}`. */
export function signatureBytes(
  key: Buffer | KeyObject,
  id: string,
  timestamp: number | string,
  body: string | Buffer,
): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

export function signatureOf(key: Buffer | KeyObject, id: string, timestampSec: number, body: string | Buffer): string {
  return signatureBytes(key, id, timestampSec, body).toString('base64');
}

/** The webhook-signature header value for every secret: "v1,<b64> v1,<b64>". */
export function signatureHeader(
  keys: readonly (Buffer | KeyObject)[],
  id: string,
  timestampSec: number,
  body: string | Buffer,
): string {
  return keys.map((k) => `v1,${signatureOf(k, id, timestampSec, body)}`).join(' ');
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

export function signedHeaders(
  keys: readonly (Buffer | KeyObject)[],
  id: string,
  timestampSec: number,
  body: string | Buffer,
): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signatureHeader(keys, id, timestampSec, body),
  };
}

export interface ParsedSignatures {
  /** Decoded `v1,<base64>` signatures. */
  readonly v1: readonly Buffer[];
  /** Well-formed entries of other versions (`v1a,` ed25519 …), which this module does not verify. */
  readonly others: number;
}

/** Splits a webhook-signature header into its v1 signatures; malformed entries are skipped. */
export function parseSignatureHeader(value: string): ParsedSignatures {
  const v1: Buffer[] = [];
  let others = 0;
  for (const entry of value.split(' ')) {
    if (entry === '') continue;
    const comma = entry.indexOf(',');
    const version = comma < 0 ? entry : entry.slice(0, comma);
    const sig = comma < 0 ? '' : entry.slice(comma + 1);
    if (version !== 'v1') {
      if (/^v\d+[a-z]*$/.test(version) && sig !== '') others++;
      continue;
    }
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) v1.push(Buffer.from(sig, 'base64'));
  }
  return { v1, others };
}

/** The expected v1 signatures for each of `secrets` that has key bytes (secrets without are refused). */
export function expectedSignatures(
  secrets: readonly string[],
  id: string,
  timestamp: string,
  body: string | Buffer,
): Buffer[] {
  const out: Buffer[] = [];
  for (const s of secrets) {
    const key = keyBytesOf(s);
    if (key !== undefined) out.push(signatureBytes(key, id, timestamp, body));
  }
  return out;
}
