/**
 * Small test builders for the group-B provider modules (Mollie, WooCommerce, Bol.com, …).
 * Test-only: nothing in production imports this file.
 */
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { RawRecord, RawRequest, SourceConfig, SourceOptions } from './types.ts';

export const FIXED_NOW = new Date('2024-12-16T16:00:00.000Z');

export interface RequestInit {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly remoteAddress?: string;
  readonly receivedAt?: Date;
}

/** A RawRequest as the ingress would hand it over: lower-cased header names, bytes as given. */
export function rawRequest(init: RequestInit = {}): RawRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  return {
    method: init.method ?? 'POST',
    url: new URL(init.url ?? 'https://hooks.example.com/webhooks/src-1'),
    headers,
    body: Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body ?? '', 'utf8'),
    remoteAddress: init.remoteAddress ?? '203.0.113.10',
    receivedAt: init.receivedAt ?? FIXED_NOW,
  };
}

export function source(provider: string, secrets: readonly string[], options: SourceOptions = {}): SourceConfig {
  return { id: 'src-1', provider, secrets, options };
}

export function rawRecord(provider: string, body: string | Buffer, init: Partial<RawRecord> = {}): RawRecord {
  return {
    sourceId: 'src-1',
    provider,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    contentType: init.contentType ?? 'application/json',
    headers: init.headers ?? {},
    receivedAt: init.receivedAt ?? FIXED_NOW,
    deliveryId: init.deliveryId ?? 'd-1',
    ...(init.batchIndex === undefined ? {} : { batchIndex: init.batchIndex }),
  };
}

/** Reads test/fixtures/<provider>/<file> as bytes (exactly as stored). */
export function fixture(provider: string, file: string): Buffer {
  return readFileSync(new URL(`../../test/fixtures/${provider}/${file}`, import.meta.url));
}

export interface RsaPair {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  /** Bare base64 SPKI DER, the form Bol.com's signature-keys API returns. */
  readonly publicDerB64: string;
}

export function rsaPair(): RsaPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicDerB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

export function rsaSign(privateKey: KeyObject, data: string | Buffer): string {
  return cryptoSign('sha256', Buffer.isBuffer(data) ? data : Buffer.from(data), privateKey).toString('base64');
}

/** assert.throws matcher: a NormalizeError with this reason. */
export function normalizeError(reason: string): (err: unknown) => boolean {
  return (err: unknown) =>
    err instanceof Error && err.name === 'NormalizeError' && (err as { reason?: unknown }).reason === reason;
}
