/**
 * Standard Webhooks verification of a raw request (standard-webhooks and GitLab signing tokens):
 * headers, timestamp tolerance, then the shared protocol of common/standard-webhooks.ts.
 */
import { expectedSignatures, parseSignatureHeader } from '../../common/standard-webhooks.ts';
import type { RawRequest, SourceConfig, VerifyResult } from '../types.ts';
import { checkTimestamp, strictInt } from './timestamp.ts';
import { OK, anyEqual, fail, header } from './verdict.ts';

/** Verifies the Standard Webhooks headers against all of the source's (whsec_) secrets. */
export function verifyStandardWebhook(req: RawRequest, source: SourceConfig): VerifyResult {
  const id = header(req, 'webhook-id');
  const ts = header(req, 'webhook-timestamp');
  const sigs = header(req, 'webhook-signature');
  if (id === undefined || ts === undefined || sigs === undefined) return fail('missing_signature');
  const n = strictInt(ts);
  if (Number.isNaN(n)) return fail('malformed_signature');
  const time = checkTimestamp(n, req, source);
  if (!time.ok) return time;
  const given = parseSignatureHeader(sigs);
  if (given.v1.length === 0) return fail(given.others > 0 ? 'unsupported' : 'malformed_signature');
  const expected = expectedSignatures(source.secrets, id, ts, req.body);
  let ok = false;
  for (const g of given.v1) ok = anyEqual(g, expected) || ok;
  return ok ? OK : fail('bad_signature');
}
