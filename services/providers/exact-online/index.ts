/**
 * Exact Online webhooks (WebhookSubscriptions: Accounts, Items, SalesOrders, FinancialTransactions, …).
 *
 * Body: `{"Content":{"Topic","ClientId","Division","Action","Key","ExactOnlineEndpoint","EventCreatedOn"},
 * "HashCode":"<HEX>"}`. The signature is inside the body (secondary sources): HashCode = uppercase hex
 * HMAC-SHA256 of the `Content` value's JSON text exactly as it appears in the body, keyed with the app's
 * webhook secret as a raw string. verify() finds that exact substring in the raw bytes (a small scanner,
 * no re-serialization), refuses bodies with a duplicated `Content` or `HashCode` key (a parser would
 * keep one copy and the scanner could verify the other), and compares in constant time against every
 * source secret. No signed timestamp: replays are stopped by dedupe within the window.
 *
 * The payload is thin ("Key changed"): with options.apiKey/apiKeyFile (the division's access token) a
 * SalesOrders Create/Update goes through webhooks.enrich, where the processors' enrichment stage fetches
 * the order (enrich.ts) before the sequencer; without one, downstream MUST re-fetch the record from
 * `Content.ExactOnlineEndpoint` with the division's token.
 * Dedupe key (no event id): `(Topic, Division, Key, Action, EventCreatedOn)`.
 * resourceType = Topic, resourceId = Key (a GUID), eventType = `<Topic>.<Action>` (Action: Create, Update,
 * Delete — Exact's casing varies, kept as sent).
 * Ordering: VERSION by EventCreatedOn (epoch ms) — an older notice never overrides a newer; the re-fetched
 * record is the truth either way. EventCreatedOn comes as ISO without a zone (read as UTC, an assumption:
 * Exact's API times are UTC) or `/Date(ms)/`.
 * occurredAt: EventCreatedOn.
 * Retry window: Exact's schedule is not confirmed in its docs (a secondary source says ~10 retries over
 * ~34 h) → 3 days (project default for unknowns), which covers it.
 */
import { decodeSignature, hmac } from '../core/hmac.ts';
import { compositeKey, parseJsonObject, requireString } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { anyEqual, fail, OK } from '../core/verdict.ts';
import { NormalizeError, type ProviderModule } from '../types.ts';
import { canonicalMapping } from './canonical.ts';
import { exactEnrichment } from './enrich.ts';
import { validateEnrichmentOptions } from '../enrichment.ts';

interface Span {
  readonly start: number;
  readonly end: number;
}

/** Top-level key → [start, end) of its raw value text in a JSON object; throws on malformed input. */
export function topLevelValueSpans(text: string): Map<string, Span[]> {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] ?? '')) i++;
  };
  const str = (): string => {
    if (text[i] !== '"') throw new Error('expected string');
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) throw new Error('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    const c = text[i];
    if (c === '"') {
      str();
      return;
    }
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < text.length) {
        const ch = text[i];
        if (ch === '"') {
          str();
          continue;
        }
        if (ch === '{' || ch === '[') depth++;
        else if (ch === '}' || ch === ']') depth--;
        i++;
        if (depth === 0) return;
      }
      throw new Error('unterminated value');
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!m) throw new Error('bad value');
    i += m[0].length;
  };
  const spans = new Map<string, Span[]>();
  ws();
  if (text[i] !== '{') throw new Error('not an object');
  i++;
  ws();
  if (text[i] === '}') return spans;
  for (;;) {
    ws();
    const key = str();
    ws();
    if (text[i] !== ':') throw new Error('expected colon');
    i++;
    ws();
    const start = i;
    value();
    spans.set(key, [...(spans.get(key) ?? []), { start, end: i }]);
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') break;
    throw new Error('expected , or }');
  }
  i++;
  ws();
  if (i !== text.length) throw new Error('trailing data');
  return spans;
}

/** EventCreatedOn: `/Date(ms)/`, ISO with zone, or ISO without zone (read as UTC) → epoch ms. */
export function exactTimeToMs(v: string): number {
  const d = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(v);
  if (d?.[1]) return Number(d[1]);
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(v) ? v : `${v}Z`);
}

function keyOf(content: unknown): { topic: string; division: string; key: string; action: string; created: string } {
  return {
    topic: requireString(content, 'Topic'),
    division: requireString(content, 'Division'),
    key: requireString(content, 'Key'),
    action: requireString(content, 'Action'),
    created: requireString(content, 'EventCreatedOn'),
  };
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  enrichment: exactEnrichment,
  validateOptions: (o) => validateEnrichmentOptions('exact-online', o),
  name: 'exact-online',
  signs: true,
  verification:
    'HashCode in the body = HMAC-SHA256 (hex) of the exact raw Content text, raw-string secret, constant time, duplicate keys refused; thin payload — fetched before sequencing when the source has an API key (enrichment), else downstream must re-fetch; no timestamp, replays stopped by dedupe.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'other',
  domainRoutes: [
    { eventType: 'SalesOrders*', domain: 'commerce' },
    { eventType: 'SalesInvoices*', domain: 'commerce' },
    { eventType: 'Accounts*', domain: 'crm' },
  ],
  contentTypes: ['application/json'],

  verify(req, source) {
    const text = req.body.toString('utf8');
    let spans: Map<string, Span[]>;
    try {
      spans = topLevelValueSpans(text);
    } catch {
      return fail('malformed_signature');
    }
    const hash = spans.get('HashCode');
    const content = spans.get('Content');
    if (!hash) return fail('missing_signature');
    if (hash.length !== 1 || !content || content.length !== 1) return fail('malformed_signature');
    const [h] = hash;
    const [c] = content;
    if (!h || !c || text[c.start] !== '{') return fail('malformed_signature');
    const hashText = text.slice(h.start, h.end);
    const given = hashText.startsWith('"')
      ? decodeSignature((JSON.parse(hashText) as string).trim(), 'hex')
      : undefined;
    if (!given) return fail('malformed_signature');
    const signed = Buffer.from(text.slice(c.start, c.end), 'utf8');
    const expected = source.secrets.map((s) => hmac('sha256', s, signed));
    return anyEqual(given, expected) ? OK : fail('bad_signature');
  },

  interpret(req) {
    try {
      const k = keyOf(parseJsonObject(req.body)['Content']);
      return {
        items: [
          {
            body: req.body,
            extracted: {
              deliveryId: compositeKey(k.topic, k.division, k.key, k.action, k.created),
              eventType: `${k.topic}.${k.action}`,
              resourceType: k.topic,
              resourceId: k.key,
            },
          },
        ],
      };
    } catch {
      return { items: [{ body: req.body, extracted: { deliveryId: `unparsed:${req.receivedAt.getTime()}` } }] };
    }
  },

  normalize(record) {
    const body = parseJsonObject(record.body);
    const content = body['Content'];
    if (content === null || typeof content !== 'object' || Array.isArray(content)) {
      throw new NormalizeError('exact-online: body has no Content object', 'missing_field');
    }
    const k = keyOf(content);
    const at = exactTimeToMs(k.created);
    if (Number.isNaN(at)) throw new NormalizeError('exact-online: EventCreatedOn is not a date', 'invalid_field');
    return {
      dedupeKey: compositeKey(k.topic, k.division, k.key, k.action, k.created),
      eventType: `${k.topic}.${k.action}`,
      resourceType: k.topic,
      resourceId: k.key,
      occurredAt: at,
      ordering: { kind: 'VERSION', value: at, statusRank: null },
      payload: record.body.toString('utf8'),
    };
  },
};
