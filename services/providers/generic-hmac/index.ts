/**
 * generic-hmac: any platform that signs with an HMAC, fully described by source options.
 *
 * Signature options:
 * - signatureHeader (required): header carrying the signature.
 * - algorithm: sha1 | sha256 (default) | sha512.   encoding: hex (default) | base64 | base64url.
 * - prefix: text before the signature value, e.g. "sha256=" (case-insensitive).
 * - signedTemplate: what is signed, default "{body}". Placeholders: {body} (raw bytes),
 *   {timestamp} (the timestamp header's value as sent), {method}, {url} (req.url, i.e. the
 *   public URL when configured). Any other text is literal, e.g. "{timestamp}.{body}".
 * - timestampHeader + timestampUnit (s default | ms): the timestamp is checked within ±tolerance
 *   in BOTH directions; required when the template uses {timestamp}.
 * - secretEncoding: utf8 (default) | base64 | whsec.
 * Without a timestamp the scheme cannot stop replays: only dedupe (eventIdPath) does.
 *
 * Normalization: the shared field mapping (mapping.ts: eventIdPath / eventIdHeader,
 * eventTypePath / eventType, resourceType / resourceTypePath, resourceIdPath, occurredAtPath,
 * and at most one of sequencePath (SEQUENCE: contiguous integers, e.g. exchange/trading feeds),
 * versionPath (VERSION), statusPath + statusRanks (STATUS); else NONE). Without eventIdPath /
 * eventIdHeader the dedupe key is the body's sha256. Without occurredAtPath, occurredAt =
 * receivedAt. Window: unknown per platform: 3 days, or the source's idempotencyWindowSeconds.
 *
 * Canonical: a Trade when the source sets options.canonicalTrade (trade-mapping.ts), else none.
 *
 * validateOptions() is run by the ingress at start-up; verify() fails closed ('unsupported')
 * for a source whose options are invalid.
 */
import { type Encoding, type HmacAlgorithm, type HmacPreset, verifyHmac } from '../core/hmac.ts';
import { DAY } from '../core/timestamp.ts';
import { fail } from '../core/verdict.ts';
import { tradeMapping, validateTradeOptions } from '../trade-mapping.ts';
import { interpretMapped, normalizeMappedRecord, validateMapping } from '../mapping.ts';
import type { ProviderModule, RawRequest, SourceConfig, SourceOptions, VerifyResult } from '../types.ts';

const ALGORITHMS: readonly HmacAlgorithm[] = ['sha1', 'sha256', 'sha512'];
const ENCODINGS: readonly Encoding[] = ['hex', 'base64', 'base64url'];
const SECRET_ENCODINGS = ['utf8', 'base64', 'whsec'] as const;
const PLACEHOLDER = /\{(body|timestamp|method|url)\}/g;

function isOneOf<T extends string>(v: unknown, list: readonly T[]): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}

export function validateOptions(options: SourceOptions): string[] {
  const problems: string[] = [];
  const o = options;
  if (typeof o.signatureHeader !== 'string' || o.signatureHeader.trim() === '')
    problems.push('signatureHeader is required');
  if (o.algorithm !== undefined && !isOneOf(o.algorithm, ALGORITHMS))
    problems.push(`algorithm must be one of ${ALGORITHMS.join(', ')}`);
  if (o.encoding !== undefined && !isOneOf(o.encoding, ENCODINGS))
    problems.push(`encoding must be one of ${ENCODINGS.join(', ')}`);
  if (o.prefix !== undefined && typeof o.prefix !== 'string') problems.push('prefix must be a string');
  if (o.secretEncoding !== undefined && !isOneOf(o.secretEncoding, SECRET_ENCODINGS)) {
    problems.push(`secretEncoding must be one of ${SECRET_ENCODINGS.join(', ')}`);
  }
  if (o.timestampUnit !== undefined && !isOneOf(o.timestampUnit, ['s', 'ms'] as const))
    problems.push('timestampUnit must be s or ms');
  if (o.timestampHeader !== undefined && (typeof o.timestampHeader !== 'string' || o.timestampHeader === '')) {
    problems.push('timestampHeader must be a non-empty string');
  }
  if (o.signedTemplate !== undefined) {
    if (typeof o.signedTemplate !== 'string' || !o.signedTemplate.includes('{body}')) {
      problems.push('signedTemplate must be a string containing {body}');
    } else {
      const unknown = o.signedTemplate.replace(PLACEHOLDER, '').match(/\{[a-z_]+\}/gi);
      if (unknown) problems.push(`signedTemplate has unknown placeholders: ${unknown.join(', ')}`);
      if (o.signedTemplate.includes('{timestamp}') && o.timestampHeader === undefined) {
        problems.push('signedTemplate uses {timestamp} but timestampHeader is not set');
      }
    }
  }
  return [...problems, ...validateMapping(options), ...validateTradeOptions(options)];
}

/** The bytes the template describes: literal text as UTF-8, {body} as the raw bytes. */
export function renderTemplate(template: string, req: RawRequest, timestamp: string | undefined): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    parts.push(Buffer.from(template.slice(last, m.index)));
    const name = m[1];
    if (name === 'body') parts.push(req.body);
    else if (name === 'timestamp') parts.push(Buffer.from(timestamp ?? ''));
    else if (name === 'method') parts.push(Buffer.from(req.method.toUpperCase()));
    else parts.push(Buffer.from(req.url.href));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(template.slice(last)));
  return Buffer.concat(parts);
}

const presets = new WeakMap<SourceOptions, HmacPreset | null>();

function presetOf(options: SourceOptions): HmacPreset | null {
  let p = presets.get(options);
  if (p !== undefined) return p;
  if (validateOptions(options).length > 0) p = null;
  else {
    const template = typeof options.signedTemplate === 'string' ? options.signedTemplate : '{body}';
    p = {
      header: (options.signatureHeader as string).toLowerCase(),
      algorithm: isOneOf(options.algorithm, ALGORITHMS) ? options.algorithm : 'sha256',
      encoding: isOneOf(options.encoding, ENCODINGS) ? options.encoding : 'hex',
      ...(typeof options.prefix === 'string' && options.prefix !== '' ? { prefix: options.prefix } : {}),
      secretEncoding: isOneOf(options.secretEncoding, SECRET_ENCODINGS) ? options.secretEncoding : 'utf8',
      ...(typeof options.timestampHeader === 'string'
        ? { timestampHeader: options.timestampHeader.toLowerCase() }
        : {}),
      timestampUnit: options.timestampUnit === 'ms' ? 'ms' : 's',
      signedContent: (req, ts) => renderTemplate(template, req, ts),
    };
  }
  presets.set(options, p);
  return p;
}

function verify(req: RawRequest, source: SourceConfig): VerifyResult {
  const preset = presetOf(source.options);
  return preset ? verifyHmac(preset, req, source) : fail('unsupported');
}

export const provider: ProviderModule = {
  canonical: tradeMapping,
  name: 'generic-hmac',
  signs: true,
  verification:
    'Configured HMAC (header, algorithm, encoding, prefix, signed template, secret encoding) over the raw bytes, any configured secret; timestamp ±tolerance only if configured, otherwise replays are stopped only by dedupe.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'other',
  contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
  verify,
  interpret: interpretMapped,
  normalize: normalizeMappedRecord,
  validateOptions,
};
