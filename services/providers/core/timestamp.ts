/** Signed timestamps: one tolerance rule, checked in both directions. */
import type { RawRequest, SourceConfig, VerifyResult } from '../types.ts';
import { OK, fail } from './verdict.ts';

export const DEFAULT_TOLERANCE_SECONDS = 300;

export const DAY = 86_400;

export function toleranceOf(source: SourceConfig): number {
  return source.options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
}

/**
 * Checks a signed timestamp (seconds) against the receive time in both directions:
 * SDKs of Stripe, Slack and HubSpot only reject old ones; a future one is rejected here too.
 */
export function checkTimestamp(timestampSeconds: number, req: RawRequest, source: SourceConfig): VerifyResult {
  if (!Number.isFinite(timestampSeconds)) return fail('malformed_signature');
  const now = req.receivedAt.getTime() / 1000;
  const tolerance = toleranceOf(source);
  if (timestampSeconds < now - tolerance) return fail('stale_timestamp');
  if (timestampSeconds > now + tolerance) return fail('future_timestamp');
  return OK;
}

/** Parses an integer header/field strictly (no trailing garbage). */
export function strictInt(value: string | undefined): number {
  if (value === undefined || !/^-?\d{1,16}$/.test(value.trim())) return Number.NaN;
  return Number(value.trim());
}
