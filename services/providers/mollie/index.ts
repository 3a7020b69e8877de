/**
 * Mollie classic webhooks (the `webhookUrl` of a payment, order, subscription, …).
 *
 * What Mollie sends: `POST` with form body `id=tr_…` and nothing else — no signature, no event id, no
 * status, no time. The body only says "resource <id> changed: fetch it". Mollie's own guidance is to
 * treat the call as untrusted and re-fetch the object from its API: with options.apiKey/apiKeyFile the
 * validator routes a `tr_…`/`ord_…` to webhooks.enrich, and the processors' enrichment stage fetches it
 * (enrich.ts) before the sequencer, so events.payments carries its canonical record and a STATUS
 * ordering. Without a key the event stays thin and the consumer downstream MUST re-fetch it.
 *
 * Verification (strongest the platform allows): a secret token the operator puts in the webhookUrl —
 * query `?token=` (default), header `x-webhook-token`, or last path segment (`tokenInPath: true`) —
 * compared in constant time against every source secret, plus the source's IP allowlist. Mollie
 * publishes no fixed sender IPs, so there is no default allowlist. Residual risk: anyone who learns the
 * URL with its token can make us enqueue "re-fetch tr_x" triggers for ids of their choosing; because
 * the payload carries no state, the worst case is a useless re-fetch (or a 404 for made-up ids).
 *
 * Dedupe key: `mollie|<id>|<bucket>` where bucket is the receive time in ms (default), or the start of
 * a `dedupeBucketSeconds` window when that option is set. We deliberately do NOT dedupe on the id
 * alone: two genuine changes of one payment (open → paid, later paid → refunded) produce identical
 * bodies, and collapsing them would lose the second. Collapsing a short window (option) also collapses
 * Mollie's retries, at the risk of dropping a second change inside the window that arrives after the
 * consumer's fetch — so it is off by default. Re-fetch triggers are idempotent; an extra one is cheap.
 *
 * Ordering: NONE here (the body has no version or time); once enriched, STATUS from the fetched object.
 * occurredAt: receivedAt (Mollie sends no time).
 * Retry window: not documented in a source we could confirm → 3 days (project default for unknowns).
 */
import { compositeKey, optionalString, parseForm } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { tokenLocationsOf, verifySharedToken } from '../core/token.ts';
import {
  NormalizeError,
  type ProviderModule,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
} from '../types.ts';
import { canonicalMapping } from './canonical.ts';
import { mollieEnrichment } from './enrich.ts';
import { validateEnrichmentOptions } from '../enrichment.ts';

/** Mollie id prefixes → resource type. Unknown prefixes pass as `mollie-object`. */
const PREFIXES: Readonly<Record<string, string>> = {
  tr: 'payment',
  ord: 'order',
  re: 'refund',
  chb: 'chargeback',
  sub: 'subscription',
  mdt: 'mandate',
  cst: 'customer',
  pl: 'payment-link',
  shp: 'shipment',
  stl: 'settlement',
  cap: 'capture',
};

export function resourceTypeOf(id: string): string {
  const prefix = /^([a-z]+)_/.exec(id)?.[1];
  return (prefix !== undefined ? PREFIXES[prefix] : undefined) ?? 'mollie-object';
}

function bucketOf(receivedAtMs: number, source: SourceConfig): number {
  const s = source.options['dedupeBucketSeconds'];
  if (typeof s !== 'number' || !(s > 0)) return receivedAtMs;
  const w = s * 1000;
  return Math.floor(receivedAtMs / w) * w;
}

export function dedupeKeyOf(id: string, receivedAtMs: number, source: SourceConfig): string {
  return compositeKey('mollie', id, bucketOf(receivedAtMs, source));
}

/** Problems with a source's options (empty = fine). No secret configured also fails closed in verify(). */
export function validateOptions(options: SourceOptions): string[] {
  const b = options['dedupeBucketSeconds'];
  const problems = validateEnrichmentOptions('mollie', options);
  if (b !== undefined && (typeof b !== 'number' || !(b >= 0)))
    problems.push('mollie: dedupeBucketSeconds must be a number >= 0');
  return problems;
}

function idOf(req: RawRequest): string | undefined {
  return optionalString(parseForm(req.body), 'id');
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  enrichment: mollieEnrichment,
  validateOptions,
  name: 'mollie',
  signs: false,
  verification:
    'Unsigned: secret URL token (query/header/path, constant time) + IP allowlist; payload is only an id, fetched from Mollie before sequencing when the source has an API key (enrichment), else downstream must re-fetch it — a leaked token lets anyone trigger re-fetches.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'payments',
  contentTypes: ['application/x-www-form-urlencoded'],
  sensitiveHeaders: ['x-webhook-token'],

  verify(req, source) {
    return verifySharedToken(req, source, tokenLocationsOf(source));
  },

  interpret(req, source) {
    const id = idOf(req) ?? '';
    return {
      items: [
        {
          body: req.body,
          extracted: {
            deliveryId: dedupeKeyOf(id, req.receivedAt.getTime(), source),
            eventType: `${resourceTypeOf(id)}.changed`,
            resourceType: resourceTypeOf(id),
            resourceId: id,
          },
        },
      ],
    };
  },

  normalize(record, source) {
    const form = parseForm(record.body);
    const id = optionalString(form, 'id');
    if (id === undefined) throw new NormalizeError('mollie: form field id is missing', 'missing_field');
    if (!/^[A-Za-z0-9_]+$/.test(id)) throw new NormalizeError('mollie: id is not a Mollie id', 'invalid_field');
    const resourceType = resourceTypeOf(id);
    const receivedAt = record.receivedAt.getTime();
    return {
      dedupeKey: dedupeKeyOf(id, receivedAt, source),
      eventType: `${resourceType}.changed`,
      resourceType,
      resourceId: id,
      occurredAt: receivedAt,
      ordering: { kind: 'NONE', value: null, statusRank: null },
      payload: JSON.stringify(form),
    };
  },
};
