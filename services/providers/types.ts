/**
 * The contract every platform module implements. One module per platform
 * (services/providers/<name>/index.ts); ingress uses verify/handshake/interpret,
 * the validator uses normalize. Nothing here touches Kafka, Redis or the network. The types
 * other services share (source config, raw record, ordering) are contracts in common/contracts.
 */
import type { Ordering, ProviderDomains, RawRecord, SourceConfig } from '../common/contracts/index.ts';

import type { CanonicalMapping } from './canonical.ts';
import type { Enrichment } from './enrichment.ts';

export type {
  Domain,
  Ordering,
  OrderingKind,
  RawRecord,
  SourceConfig,
  SourceOptions,
} from '../common/contracts/index.ts';

/** The request exactly as received. Header names are lower-cased. */
export interface RawRequest {
  readonly method: string;
  /** The URL used for URL-signing schemes: the source's publicUrl if set, else the request URL. */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes exactly as received; never re-serialized before verification. */
  readonly body: Buffer;
  readonly remoteAddress?: string;
  readonly receivedAt: Date;
}

export type VerifyFailureReason =
  | 'missing_signature'
  | 'malformed_signature'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'ip_not_allowed'
  | 'bad_token'
  | 'unsupported';

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: VerifyFailureReason };

/** A synchronous HTTP reply some platforms need (Slack challenge, TwiML, SOAP Ack, Teams message). */
export interface SyncReply {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string;
}

/** Cheap facts extracted at ingress, used for the Kafka key and headers. */
export interface Extracted {
  /** The provider's delivery/event id, or the composite dedupe key for platforms without one. */
  readonly deliveryId: string;
  readonly eventType?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
}

/** One event to enqueue on webhooks.raw. Batches (HubSpot, Salesforce) become several items. */
export interface IngressItem {
  /** The bytes to store: the raw body, or for a split batch, the item's own bytes. */
  readonly body: Buffer;
  readonly extracted: Extracted;
  /** Index within a split batch; undefined when the body is the request body itself. */
  readonly batchIndex?: number;
}

export interface Interpretation {
  /** Events to enqueue (may be empty for handshakes like url_verification). */
  readonly items: readonly IngressItem[];
  /** Reply after the items are durably enqueued; default 200 {"received":true}. */
  readonly reply?: SyncReply;
}

/** A provider event mapped to hookline's envelope (before the ids and timestamps the validator adds). */
export interface NormalizedFields {
  /** Provider's event id, or the documented composite key: the dedupe key. */
  readonly dedupeKey: string;
  readonly eventType: string;
  readonly resourceType: string;
  readonly resourceId: string;
  /** Epoch ms when the provider says the event happened; falls back to receivedAt if the platform has no time. */
  readonly occurredAt: number;
  readonly ordering: Ordering;
  /** The provider's full event, self-contained, as JSON text (form/SOAP bodies converted to JSON). */
  readonly payload: string;
}

export type NormalizeFailureReason = 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';

/** Thrown by normalize for anything that cannot become an event: goes to webhooks.dlq with this reason. */
export class NormalizeError extends Error {
  override readonly name = 'NormalizeError';
  readonly reason: NormalizeFailureReason;
  constructor(message: string, reason: NormalizeFailureReason) {
    super(message);
    this.reason = reason;
  }
}

export interface ProviderModule extends ProviderDomains {
  /** Module name, the `provider` of a source. */
  readonly name: string;
  /** False for platforms that sign nothing (token/IP schemes offered instead). */
  readonly signs: boolean;
  /** One line for the README: what is verified, and the residual risk. */
  readonly verification: string;
  /** Default duplicate window in seconds (the provider's retry window). */
  readonly defaultIdempotencyWindowSeconds: number;
  /** Content types accepted (415 otherwise); matched on the media type, lower-case. */
  readonly contentTypes: readonly string[];
  /** Methods accepted besides POST (Adobe I/O challenge is a GET). */
  readonly extraMethods?: readonly string[];
  /**
   * Unsigned handshakes the platform sends before/outside signing (WooCommerce creation ping,
   * Slack ssl_check, Adobe GET challenge). Returning a reply answers without verifying or enqueuing.
   * Must match narrowly: anything else falls through to verify().
   */
  handshake?(req: RawRequest, source: SourceConfig): SyncReply | undefined;
  /** Runs first, on the raw bytes, constant-time. */
  verify(req: RawRequest, source: SourceConfig): VerifyResult;
  /** Runs after verify succeeded: split into items, extract cheap facts, choose a synchronous reply. */
  interpret(req: RawRequest, source: SourceConfig): Interpretation;
  /** Validator: parse and map one raw record; throws NormalizeError for the DLQ. */
  normalize(record: RawRecord, source: SourceConfig): NormalizedFields;
  /** Problems with a source's options (required settings missing, bad values); empty = fine. */
  validateOptions?(options: Readonly<Record<string, unknown>>): string[];
  /** Request headers that carry secrets and must not be stored (lower-case). */
  readonly sensitiveHeaders?: readonly string[];
  /** Canonical records (Payment, Order, …) from this provider's events: its canonical.ts; absent = none. */
  readonly canonical?: CanonicalMapping;
  /** Thin webhooks: how the processors fetch the event's object before the canonical record (enrichment.ts). */
  readonly enrichment?: Enrichment;
}
