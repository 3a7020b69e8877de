/**
 * The webhooks.raw record: written by ingress, read by the validator (and by DLQ redrive).
 * value = the body bytes exactly as received (for a split batch item: that item's bytes);
 * key   = resource key when the provider module extracted it cheaply, else `{sourceId}:delivery:{deliveryId}`;
 * headers (all strings):
 *   hookline-event-id        ingress id of this raw record (deterministic from source, delivery id, batch index)
 *   hookline-source          source id
 *   hookline-provider        provider module
 *   hookline-received-at     ISO-8601 UTC receive time
 *   hookline-delivery-id     provider delivery/event id (or composite key) extracted at ingress
 *   hookline-content-type    request content type
 *   hookline-request-headers JSON object of the request headers, lower-cased, secrets removed
 *   hookline-batch-index     index within a split batch (HubSpot, Salesforce), absent otherwise
 *   traceparent/tracestate   W3C trace context of the ingress request span
 */
import type { RawRecord } from './contracts/index.ts';
import { PermanentError } from './errors.ts';
import { deterministicUuid, resourceKeyOf } from './ids.ts';
import type { InMessage, OutRecord } from './kafka/types.ts';
import { H } from './kafka/types.ts';

/** Never stored, whatever the provider: they carry credentials. Providers add their own (sensitiveHeaders). */
export const ALWAYS_SENSITIVE = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'];

export function auditHeaders(
  headers: Readonly<Record<string, string>>,
  sensitive: readonly string[] = [],
): Record<string, string> {
  const drop = new Set([...ALWAYS_SENSITIVE, ...sensitive.map((s) => s.toLowerCase())]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!drop.has(k)) out[k] = v;
  return out;
}

export interface RawInput {
  readonly topic: string;
  readonly sourceId: string;
  readonly provider: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly receivedAt: Date;
  readonly deliveryId: string;
  readonly resourceType?: string | undefined;
  readonly resourceId?: string | undefined;
  readonly batchIndex?: number | undefined;
}

export function rawEventId(sourceId: string, deliveryId: string, batchIndex?: number): string {
  return deterministicUuid('raw', sourceId, deliveryId, batchIndex === undefined ? '' : String(batchIndex));
}

export function toRawRecord(i: RawInput): OutRecord {
  const key =
    i.resourceType && i.resourceId
      ? resourceKeyOf(i.sourceId, i.resourceType, i.resourceId)
      : `${i.sourceId}:delivery:${i.deliveryId}`;
  const headers: Record<string, string> = {
    [H.eventId]: rawEventId(i.sourceId, i.deliveryId, i.batchIndex),
    [H.source]: i.sourceId,
    [H.provider]: i.provider,
    [H.receivedAt]: i.receivedAt.toISOString(),
    [H.deliveryId]: i.deliveryId,
    [H.contentType]: i.contentType,
    [H.requestHeaders]: JSON.stringify(i.requestHeaders),
  };
  if (i.batchIndex !== undefined) headers[H.batchIndex] = String(i.batchIndex);
  return { topic: i.topic, key, value: i.body, headers };
}

/** Reads a webhooks.raw message back; a record missing the required headers is a PermanentError (→ DLQ). */
export function fromRawMessage(m: InMessage): RawRecord & { readonly eventId: string } {
  const h = m.headers;
  const need = (name: string): string => {
    const v = h[name];
    if (v === undefined || v === '') throw new PermanentError(`raw record lacks header ${name}`, 'missing_header');
    return v;
  };
  const receivedAt = new Date(need(H.receivedAt));
  if (Number.isNaN(receivedAt.getTime()))
    throw new PermanentError(`raw record has a bad ${H.receivedAt}`, 'invalid_header');
  let headers: Record<string, string> = {};
  try {
    headers = JSON.parse(h[H.requestHeaders] ?? '{}') as Record<string, string>;
  } catch {
    throw new PermanentError(`raw record has a bad ${H.requestHeaders}`, 'invalid_header');
  }
  const batch = h[H.batchIndex];
  const base = {
    eventId: need(H.eventId),
    sourceId: need(H.source),
    provider: need(H.provider),
    body: m.value ?? Buffer.alloc(0),
    contentType: h[H.contentType] ?? '',
    headers,
    receivedAt,
    deliveryId: need(H.deliveryId),
  };
  return batch === undefined ? base : { ...base, batchIndex: Number(batch) };
}
