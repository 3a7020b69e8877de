/**
 * Test helpers for provider modules: build a RawRequest / SourceConfig / RawRecord the way the
 * ingress and validator would, load documented example payloads from test/fixtures/, sign with a
 * throw-away RSA key. Only imported by *.test.ts files.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe as nodeDescribe, test as nodeTest } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  NormalizeError,
  type NormalizeFailureReason,
  type RawRecord,
  type RawRequest,
  type SourceConfig,
  type SourceOptions,
  type VerifyResult,
} from './types.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

/** A fixed receive time, for tests whose payloads carry fixed timestamps. */
export const FIXED_NOW = new Date('2024-12-16T16:00:00.000Z');

export interface RequestInit {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly body?: string | Buffer;
  readonly remoteAddress?: string;
  readonly receivedAt?: Date;
}

/** A RawRequest as the ingress builds it: header names lower-cased, undefined headers dropped. */
export function makeRequest(init: RequestInit = {}): RawRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const body =
    init.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
  return {
    method: init.method ?? 'POST',
    url: new URL(init.url ?? 'https://hooks.example.com/webhooks/src-1'),
    headers,
    body,
    ...(init.remoteAddress === undefined ? {} : { remoteAddress: init.remoteAddress }),
    receivedAt: init.receivedAt ?? new Date(),
  };
}

export function makeSource(provider: string, secrets: readonly string[], options: SourceOptions = {}): SourceConfig {
  return { id: `${provider}-test`, provider, secrets, options };
}

export interface RecordInit {
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly deliveryId?: string;
  readonly receivedAt?: Date;
  readonly batchIndex?: number;
}

/** A RawRecord as the validator reads it from webhooks.raw. */
export function makeRecord(provider: string, body: string | Buffer, init: RecordInit = {}): RawRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  return {
    sourceId: `${provider}-test`,
    provider,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    contentType: init.contentType ?? 'application/json',
    headers,
    receivedAt: init.receivedAt ?? new Date('2024-01-01T00:00:00Z'),
    deliveryId: init.deliveryId ?? 'delivery-1',
    ...(init.batchIndex === undefined ? {} : { batchIndex: init.batchIndex }),
  };
}

/** Raw bytes of test/fixtures/<provider>/<file>. */
export function fixture(provider: string, file: string): Buffer {
  return readFileSync(`${FIXTURES}${provider}/${file}`);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Asserts a verify result: `true` for ok, or the expected failure reason. */
export function assertVerify(result: VerifyResult, expected: true | string, name = ''): void {
  if (expected === true) assert.deepEqual(result, { ok: true }, name);
  else assert.deepEqual(result, { ok: false, reason: expected }, name);
}

/** assert.throws matcher: a NormalizeError with this reason. */
export function normalizeError(reason: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof NormalizeError, `expected NormalizeError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  };
}

/** Asserts that fn throws a NormalizeError with the given reason. */
export function assertNormalizeError(fn: () => unknown, reason: NormalizeFailureReason): void {
  assert.throws(fn, normalizeError(reason));
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

/**
 * node:test's describe/test return promises the runner tracks itself; these wrappers mark them
 * as intentionally not awaited so no-floating-promises stays on for everything else.
 */
export function describe(name: string, fn: () => void): void {
  void nodeDescribe(name, fn);
}

export function test(name: string, fn: () => void | Promise<void>): void {
  void nodeTest(name, fn);
}
