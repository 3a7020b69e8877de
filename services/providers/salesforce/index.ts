/**
 * Salesforce Outbound Messages (workflow / flow "Outbound Message" actions, SOAP `notifications()`).
 *
 * Salesforce signs nothing. The checks offered, all before anything is enqueued:
 *   1. the source's IP allowlist (set it to Salesforce's published ranges for your instance);
 *   2. `OrganizationId` in the message must equal options.organizationId (required; 15- or 18-character
 *      id, compared on the case-sensitive 15-character prefix, constant time) — refuses messages from
 *      other orgs, which anyone can configure to post to our URL;
 *   3. when the source has secrets: a shared token in the URL (query `?token=`, header
 *      `x-webhook-token`, or last path segment with `tokenInPath: true`), constant time.
 * Residual risk: org ids are not secret; without the token, anyone who learns the org id and our URL
 * can forge notifications from an allowed address. Salesforce can also present a client certificate
 * (mutual TLS) — terminate and check that at the TLS proxy in front of the ingress.
 *
 * One request carries up to 100 `Notification`s. interpret() enqueues one item per Notification, its
 * deliveryId the Notification `Id`, its body a JSON rendering (not XML — the validator and downstream
 * read JSON, and JSON needs no second parse of a SOAP envelope):
 *   {organizationId, actionId, enterpriseUrl, partnerUrl, notificationId, sObjectType, sObject:{Field:value}}
 * `SessionId` is a live Salesforce session: it is never stored. The reply is the SOAP
 * `notificationsResponse` with `<Ack>true</Ack>` (text/xml), sent after the items are durably enqueued —
 * anything else makes Salesforce retry the whole message.
 * XML: parsed by ./xml.ts, a small reader for this fixed envelope (limits written there).
 *
 * Dedupe key: the Notification `Id` (Salesforce: "check the notification IDs … before processing").
 * resourceType = the sObject's xsi:type without prefix (e.g. `Account`); resourceId = the sObject `Id`.
 * eventType = `<sObjectType>.outbound_message` (the message says which rule fired — actionId — not
 * whether the record was created or updated).
 * Ordering: VERSION by sObject `SystemModstamp`, else `LastModifiedDate`, when the outbound message
 * includes that field (add it to the message's fields!); else NONE. Salesforce retries out of order and
 * sends the record's latest data, so a stale notification must never overwrite a newer one.
 * occurredAt: that same timestamp, else receivedAt.
 * Retry window: Salesforce retries for up to 24 hours (backoff up to 2 h) → 24 h.
 */
import { checkIp } from '../core/ip.ts';
import { toEpochMs } from '../core/parse.ts';
import { DAY } from '../core/timestamp.ts';
import { tokenLocationsOf, verifySharedToken } from '../core/token.ts';
import { fail, OK, safeEqual } from '../core/verdict.ts';
import { NormalizeError, type IngressItem, type ProviderModule, type SourceOptions } from '../types.ts';
import { child, childrenNamed, parseXml, toJson, type XmlElement } from './xml.ts';
import { canonicalMapping } from './canonical.ts';

export const ACK_XML =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>' +
  '</soapenv:Body></soapenv:Envelope>';

/** Problems with a source's options (empty = fine): organizationId is required. */
export function validateOptions(options: SourceOptions): string[] {
  const org = options['organizationId'];
  return typeof org === 'string' && /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(org)
    ? []
    : ['salesforce: options.organizationId (the 15- or 18-character org id) is required'];
}

interface Envelope {
  readonly organizationId: string;
  readonly actionId: string;
  readonly enterpriseUrl: string | undefined;
  readonly partnerUrl: string | undefined;
  readonly notifications: readonly XmlElement[];
}

function textOf(el: XmlElement | undefined): string | undefined {
  const t = el?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** SOAP bytes → the notifications element's facts; throws on anything that is not that shape. */
export function parseEnvelope(body: Buffer): Envelope {
  const root = parseXml(body.toString('utf8'));
  if (root.name !== 'Envelope') throw new Error('not a SOAP envelope');
  const n = child(child(root, 'Body'), 'notifications');
  if (!n) throw new Error('no notifications element');
  const organizationId = textOf(child(n, 'OrganizationId'));
  if (organizationId === undefined) throw new Error('no OrganizationId');
  return {
    organizationId,
    actionId: textOf(child(n, 'ActionId')) ?? '',
    enterpriseUrl: textOf(child(n, 'EnterpriseUrl')),
    partnerUrl: textOf(child(n, 'PartnerUrl')),
    notifications: childrenNamed(n, 'Notification'),
  };
}

export interface NotificationJson {
  readonly organizationId: string;
  readonly actionId: string;
  readonly enterpriseUrl?: string;
  readonly partnerUrl?: string;
  readonly notificationId: string;
  readonly sObjectType: string;
  readonly sObject: Record<string, unknown>;
}

function renderNotification(env: Envelope, n: XmlElement): NotificationJson {
  const notificationId = textOf(child(n, 'Id'));
  const so = child(n, 'sObject');
  if (notificationId === undefined || !so) throw new Error('Notification without Id or sObject');
  const typeAttr = Object.entries(so.attrs).find(([k]) => k === 'type' || k.endsWith(':type'))?.[1] ?? 'sObject';
  const fields = toJson(so);
  return {
    organizationId: env.organizationId,
    actionId: env.actionId,
    ...(env.enterpriseUrl === undefined ? {} : { enterpriseUrl: env.enterpriseUrl }),
    ...(env.partnerUrl === undefined ? {} : { partnerUrl: env.partnerUrl }),
    notificationId,
    sObjectType: typeAttr.includes(':') ? typeAttr.slice(typeAttr.indexOf(':') + 1) : typeAttr,
    sObject: fields !== null && typeof fields === 'object' ? (fields as Record<string, unknown>) : {},
  };
}

function orgMatches(given: string, configured: string): boolean {
  return safeEqual(given.slice(0, 15), configured.slice(0, 15));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export const provider: ProviderModule = {
  canonical: canonicalMapping,
  validateOptions,
  name: 'salesforce',
  signs: false,
  verification:
    'Unsigned: OrganizationId must equal options.organizationId (constant time), IP allowlist, optional URL token; org ids are not secret, so without the token a sender from an allowed IP can forge notifications.',
  defaultIdempotencyWindowSeconds: 1 * DAY,
  domain: 'crm',
  contentTypes: ['text/xml'],
  sensitiveHeaders: ['x-webhook-token'],

  verify(req, source) {
    const ip = checkIp(req, source);
    if (ip) return ip;
    const configured = source.options['organizationId'];
    if (typeof configured !== 'string' || configured === '') return fail('unsupported');
    if (source.secrets.length > 0) {
      const t = verifySharedToken(req, source, tokenLocationsOf(source));
      if (!t.ok) return t;
    }
    let env: Envelope;
    try {
      env = parseEnvelope(req.body);
    } catch {
      return fail('malformed_signature');
    }
    return orgMatches(env.organizationId, configured) ? OK : fail('bad_token');
  },

  interpret(req) {
    const env = parseEnvelope(req.body);
    const items: IngressItem[] = env.notifications.map((n, i) => {
      const j = renderNotification(env, n);
      return {
        body: Buffer.from(JSON.stringify(j), 'utf8'),
        batchIndex: i,
        extracted: {
          deliveryId: j.notificationId,
          eventType: `${j.sObjectType}.outbound_message`,
          resourceType: j.sObjectType,
          ...(str(j.sObject['Id']) === undefined ? {} : { resourceId: str(j.sObject['Id']) }),
        },
      };
    });
    return { items, reply: { status: 200, contentType: 'text/xml; charset=utf-8', body: ACK_XML } };
  },

  normalize(record) {
    let j: NotificationJson;
    const text = record.body.toString('utf8').trim();
    if (text.startsWith('{')) {
      try {
        j = JSON.parse(text) as NotificationJson;
      } catch {
        throw new NormalizeError('salesforce: item body is not valid JSON', 'unparseable');
      }
    } else {
      let env: Envelope;
      try {
        env = parseEnvelope(record.body);
      } catch (err) {
        throw new NormalizeError(`salesforce: not an outbound message: ${(err as Error).message}`, 'unparseable');
      }
      const [only, ...rest] = env.notifications;
      if (!only || rest.length > 0)
        throw new NormalizeError(
          'salesforce: unsplit message must hold exactly one Notification',
          'unexpected_payload',
        );
      try {
        j = renderNotification(env, only);
      } catch (err) {
        throw new NormalizeError(`salesforce: ${(err as Error).message}`, 'missing_field');
      }
    }
    const so = j.sObject !== null && typeof j.sObject === 'object' ? j.sObject : undefined;
    const notificationId = str(j.notificationId);
    const resourceId = str(so?.['Id']);
    if (!notificationId || !so)
      throw new NormalizeError('salesforce: missing notificationId or sObject', 'missing_field');
    if (!resourceId) throw new NormalizeError('salesforce: sObject has no Id field', 'missing_field');
    const stamp = str(so['SystemModstamp']) ?? str(so['LastModifiedDate']);
    const version = stamp === undefined ? Number.NaN : toEpochMs(stamp);
    if (stamp !== undefined && Number.isNaN(version))
      throw new NormalizeError('salesforce: modification stamp is not a date', 'invalid_field');
    const sObjectType = str(j.sObjectType) ?? 'sObject';
    return {
      dedupeKey: notificationId,
      eventType: `${sObjectType}.outbound_message`,
      resourceType: sObjectType,
      resourceId,
      occurredAt: Number.isNaN(version) ? record.receivedAt.getTime() : version,
      ordering: Number.isNaN(version)
        ? { kind: 'NONE', value: null, statusRank: null }
        : { kind: 'VERSION', value: version, statusRank: null },
      payload: JSON.stringify(j),
    };
  },
};
