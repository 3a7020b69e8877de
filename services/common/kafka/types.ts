/** hookline's own message types: services see these, never kafkajs types (the client can be swapped). */
import type { HeaderMap } from '../telemetry.ts';

export interface OutRecord {
  readonly topic: string;
  readonly key: string | null;
  /** null = tombstone (compacted topics). */
  readonly value: Buffer | null;
  readonly headers?: HeaderMap;
  readonly partition?: number;
}

export interface InMessage {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (64-bit). */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: HeaderMap;
  /** Broker/producer timestamp, epoch ms. */
  readonly timestamp: number;
}

/** The well-known headers of ARCHITECTURE.md. */
export const H = {
  eventId: 'hookline-event-id',
  source: 'hookline-source',
  receivedAt: 'hookline-received-at',
  provider: 'hookline-provider',
  deliveryId: 'hookline-delivery-id',
  contentType: 'hookline-content-type',
  requestHeaders: 'hookline-request-headers',
  batchIndex: 'hookline-batch-index',
  attempt: 'hookline-attempt',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
