/** Public-key signatures (Bol.com, Adobe I/O): key parsing and RSA-SHA256 verification. */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/**
 * A public key from configuration: PEM (SPKI or PKCS#1), or bare base64 SPKI DER as some platforms' key
 * APIs return it (Bol.com's signature-keys). Throws on anything else, so misconfiguration shows at start-up.
 */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return createPublicKey({ key: t, format: 'pem' });
  return createPublicKey({ key: Buffer.from(t.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

/** RSASSA-PKCS1-v1_5 / SHA-256 verification of `data` against any of `keys`; false on malformed input. */
export function rsaSha256VerifyAny(data: Buffer, signature: Buffer, keys: readonly KeyObject[]): boolean {
  let found = false;
  for (const key of keys) {
    try {
      found = cryptoVerify('sha256', data, key, signature) || found;
    } catch {
      // a malformed signature for this key type: not a match
    }
  }
  return found;
}

/** Strict base64 (standard alphabet, optional padding) → bytes; undefined when malformed or empty. */
export function decodeBase64Strict(value: string): Buffer | undefined {
  const v = value.trim();
  if (v === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  return Buffer.from(v, 'base64');
}
