/** webhooks.raw as the validator reads it (the wire layout is documented in common/raw.ts). */

/** What the validator gets back from webhooks.raw. */
export interface RawRecord {
  readonly sourceId: string;
  readonly provider: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Audit headers of the original request (lower-cased, secrets removed). */
  readonly headers: Readonly<Record<string, string>>;
  readonly receivedAt: Date;
  readonly deliveryId: string;
  readonly batchIndex?: number;
}
