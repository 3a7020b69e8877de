/**
 * MyParcel (myparcel.nl / sendmyparcel.be) webhooks: shipment_status_change, shipment_label_created,
 * order_status_change.
 *
 * Verification: MyParcel signs nothing (no X-MyParcel-Signature was found in its docs). What its API
 * reference (11.B.2) documents is a header `X-MyParcel-Authorization: <base64 of your API key>` plus
 * `X-MyParcel-Hook` and `X-MyParcel-HookId`. verify() accepts a request when, after the source's IP
 * allowlist:
 *   - X-MyParcel-Authorization equals base64(secret) for one of the source secrets (the API key), or
 *   - a shared URL token (query `?token=`, header `x-webhook-token`, or path with `tokenInPath`) equals
 *     one of the secrets — for operators who do not want the API key in the verifier's configuration;
 * always in constant time. Residual risk: both are static bearer values, not signatures — whoever sees
 * one request (or the URL) can forge any event, and the Authorization header carries the API key itself
 * (never stored: it is a sensitive header). No timestamp: replays are stopped only by dedupe.
 *
 * Body: `{"data":{"hooks":[{…}, …]}}` — a batch: interpret() enqueues one item per hook (the item body is
 * that hook's JSON; the hook name comes from the X-MyParcel-Hook header, kept with the record).
 * Dedupe key (MyParcel sends no event id): shipment_status_change → `(hook, shipment_id, status)`;
 * shipment_label_created → `(hook, shipment_ids, status, pdf)`; order_status_change → `(hook, order id,
 * status)`.
 * Ordering: STATUS for shipments — rank of the MyParcel shipment_status code (below), value = receive
 * time (MyParcel sends no time); NONE for the other hooks. occurredAt = receivedAt (no time sent).
 * Status ranks (MyParcel API data type shipment_status; the inactive 3x codes mirror their active code):
 *   10 1 concept, 30 inactive concept · 20 2 registered, 31 · 30 3 handed to carrier, 32 · 40 4 sorting,
 *   33 · 45 6 customs, 35 · 50 5 distribution, 34 · 80 8 ready for pickup, 37 · 85 10 return ready for
 *   pickup · 90 7 delivered at recipient, 9 picked up, 36, 38, 12 printed letter, 14 printed digital
 *   stamp · 95 11 return picked up · 100 13 credited · 0 99 unknown and anything else.
 * Override per source with options.statusRanks = { "<code>": rank }.
 * Retry window: not documented → 3 days (project default for unknowns).
 */
import { checkIp } from '../core/ip.ts';
import { compositeKey, optionalString, parseJsonObject, pick } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { tokenLocationsOf, verifySharedToken } from '../core/token.ts';
import { anyEqual, fail, header, OK } from '../core/verdict.ts';
import { NormalizeError, type IngressItem, type ProviderModule, type SourceOptions } from '../types.ts';
import { rankOf, statusRanksProblems, type StatusRanks } from '../core/status.ts';
import { canonicalMapping } from './canonical.ts';

export const STATUS_RANKS: StatusRanks = {
  '1': 10,
  '30': 10,
  '2': 20,
  '31': 20,
  '3': 30,
  '32': 30,
  '4': 40,
  '33': 40,
  '6': 45,
  '35': 45,
  '5': 50,
  '34': 50,
  '8': 80,
  '37': 80,
  '10': 85,
  '7': 90,
  '9': 90,
  '36': 90,
  '38': 90,
  '12': 90,
  '14': 90,
  '11': 95,
  '13': 100,
  '99': 0,
};

export function statusRank(code: string, options: SourceOptions): number {
  return rankOf(STATUS_RANKS, code, options);
}

/** Problems with a source's options (empty = fine). */
export function validateOptions(options: SourceOptions): string[] {
  return statusRanksProblems('myparcel', 'status codes', options);
}

function hooksOf(body: Record<string, unknown>): unknown[] {
  const hooks = pick(body, 'data.hooks');
  if (!Array.isArray(hooks)) throw new NormalizeError('myparcel: body has no data.hooks array', 'unexpected_payload');
  return hooks;
}

interface Facts {
  readonly hook: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly status: string | undefined;
  readonly dedupeKey: string;
}

function facts(hookName: string, item: unknown): Facts {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new NormalizeError('myparcel: hook item is not an object', 'unexpected_payload');
  }
  const status = optionalString(item, 'status');
  if (hookName === 'shipment_label_created') {
    const ids = pick(item, 'shipment_ids');
    if (!Array.isArray(ids) || ids.length === 0)
      throw new NormalizeError('myparcel: missing shipment_ids', 'missing_field');
    const joined = ids.map(String).join(',');
    return {
      hook: hookName,
      resourceType: 'shipment',
      resourceId: joined,
      status,
      dedupeKey: compositeKey(hookName, joined, status, optionalString(item, 'pdf')),
    };
  }
  if (hookName === 'order_status_change') {
    const id = optionalString(item, 'order_id') ?? optionalString(item, 'uuid') ?? optionalString(item, 'id');
    if (id === undefined) throw new NormalizeError('myparcel: missing order id', 'missing_field');
    return {
      hook: hookName,
      resourceType: 'order',
      resourceId: id,
      status,
      dedupeKey: compositeKey(hookName, id, status),
    };
  }
  // shipment_status_change, and unknown hooks that carry a shipment_id
  const id = optionalString(item, 'shipment_id');
  if (id === undefined) throw new NormalizeError('myparcel: missing shipment_id', 'missing_field');
  if (hookName === 'shipment_status_change' && status === undefined) {
    throw new NormalizeError('myparcel: missing status', 'missing_field');
  }
  return {
    hook: hookName,
    resourceType: 'shipment',
    resourceId: id,
    status,
    dedupeKey: compositeKey(hookName, id, status),
  };
}

function hookNameOf(headers: Readonly<Record<string, string>>): string {
  return headers['x-myparcel-hook'] || 'shipment_status_change';
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  validateOptions,
  name: 'myparcel',
  signs: false,
  verification:
    'Unsigned: X-MyParcel-Authorization (base64 API key) or a secret URL token, constant time, plus IP allowlist; both are static bearer values, so one leaked request or URL allows forgery.',
  defaultIdempotencyWindowSeconds: 3 * DAY,
  domain: 'logistics',
  contentTypes: ['application/json'],
  sensitiveHeaders: ['x-myparcel-authorization', 'x-webhook-token'],

  verify(req, source) {
    const ip = checkIp(req, source);
    if (ip) return ip;
    const auth = header(req, 'x-myparcel-authorization');
    if (auth !== undefined && source.secrets.length > 0) {
      const expected = source.secrets.map((s) => Buffer.from(s, 'utf8').toString('base64'));
      if (anyEqual(auth.trim(), expected)) return OK;
    }
    const token = verifySharedToken(req, source, tokenLocationsOf(source));
    // An Authorization header that did not match is a wrong credential, not a missing one.
    return !token.ok && token.reason === 'missing_signature' && auth !== undefined ? fail('bad_token') : token;
  },

  interpret(req) {
    const hookName = hookNameOf(req.headers);
    let hooks: unknown[];
    try {
      hooks = hooksOf(parseJsonObject(req.body));
    } catch {
      return { items: [{ body: req.body, extracted: { deliveryId: `unparsed:${req.receivedAt.getTime()}` } }] };
    }
    const items: IngressItem[] = hooks.map((hook, i) => {
      const body = Buffer.from(JSON.stringify(hook), 'utf8');
      try {
        const f = facts(hookName, hook);
        return {
          body,
          batchIndex: i,
          extracted: {
            deliveryId: f.dedupeKey,
            eventType: f.hook,
            resourceType: f.resourceType,
            resourceId: f.resourceId,
          },
        };
      } catch {
        return { body, batchIndex: i, extracted: { deliveryId: `unparsed:${req.receivedAt.getTime()}:${i}` } };
      }
    });
    return { items };
  },

  normalize(record, source) {
    const hookName = hookNameOf(record.headers);
    const parsed = parseJsonObject(record.body);
    // A record is one hook item (split at ingress); a whole unsplit body is accepted when it holds one hook.
    let item: unknown = parsed;
    if (pick(parsed, 'data.hooks') !== undefined) {
      const hooks = hooksOf(parsed);
      if (hooks.length !== 1)
        throw new NormalizeError('myparcel: unsplit batch with several hooks', 'unexpected_payload');
      item = hooks[0];
    }
    const f = facts(hookName, item);
    const at = record.receivedAt.getTime();
    return {
      dedupeKey: f.dedupeKey,
      eventType: f.hook,
      resourceType: f.resourceType,
      resourceId: f.resourceId,
      occurredAt: at,
      ordering:
        f.hook === 'shipment_status_change' && f.status !== undefined
          ? { kind: 'STATUS', value: at, statusRank: statusRank(f.status, source.options) }
          : { kind: 'NONE', value: null, statusRank: null },
      payload: JSON.stringify({ hook: f.hook, ...(item as Record<string, unknown>) }),
    };
  },
};
