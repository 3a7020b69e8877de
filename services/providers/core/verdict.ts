/** Verification basics every scheme shares: the result values, header access, constant-time equality. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RawRequest, VerifyFailureReason, VerifyResult } from '../types.ts';

export const OK: VerifyResult = Object.freeze({ ok: true });

export const fail = (reason: VerifyFailureReason): VerifyResult => ({ ok: false, reason });

/** Header value, lower-cased name; undefined when absent or empty. */
export function header(req: RawRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Constant-time equality for strings or bytes of any length: both sides are hashed to
 * 32 bytes first, so neither the content nor the length leaks through timing.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True if `candidate` equals any of `expected` (each compared in constant time, all compared). */
export function anyEqual(candidate: string | Buffer, expected: readonly (string | Buffer)[]): boolean {
  let found = false;
  for (const e of expected) found = safeEqual(candidate, e) || found;
  return found;
}
