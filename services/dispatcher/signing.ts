/**
 * Standard Webhooks signing, in three layers as Svix does it: the key (whsec_ + base64), the
 * HMAC-SHA256, and the signed content `${id}.${timestamp}.${body}`. During a secret rotation the
 * header carries one `v1,<sig>` per active secret, space-separated; a verifier accepts any.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { SECRET_PREFIX } from '../common/endpoints.ts';

/** The key bytes of a whsec_ secret (a secret without the prefix is taken as base64 too). */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new Error('empty signing secret');
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

export function signatureOf(key: Buffer | KeyObject, id: string, timestampSec: number, body: string | Buffer): string {
  return createHmac('sha256', key).update(`${id}.${timestampSec}.`).update(body).digest('base64');
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
