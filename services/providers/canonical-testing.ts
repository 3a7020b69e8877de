/**
 * Test helper for the canonical mappings (only imported by *.test.ts): runs a fixture through the
 * provider exactly as the validator does (normalize, then canonicalOf), checks the record against
 * schemas/canonical.avsc, and checks that every field it filled is declared in the mapping's `fills`
 * (the README tables are generated from `fills`, so they cannot claim less or more than the code does).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { ENTITIES, type Canonical, type Entities, type Entity } from '../common/canonical.ts';
import { canonicalOf } from './canonical.ts';
import type { ProviderModule, SourceConfig, SourceOptions } from './types.ts';

const ROOT = new URL('../../', import.meta.url);
const canonicalType = avro.Type.forSchema(
  JSON.parse(readFileSync(fileURLToPath(new URL('schemas/canonical.avsc', ROOT)), 'utf8')) as avro.Schema,
);

export function fixtureText(provider: string, file: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`test/fixtures/${provider}/${file}`, ROOT)));
}

export interface MapInit {
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly options?: SourceOptions;
  readonly receivedAt?: Date;
}

/** Fields every entity always carries (not listed in `fills`). */
const ALWAYS = new Set(['id', 'status', 'change', 'direction', 'side']);

function isFilled(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** normalize + canonical mapping of one body; asserts Avro validity and `fills`. */
export function canonicalFor(p: ProviderModule, body: string | Buffer, init: MapInit = {}): Canonical | null {
  const source: SourceConfig = { id: `${p.name}-test`, provider: p.name, secrets: ['s'], options: init.options ?? {} };
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const fields = p.normalize(
    {
      sourceId: source.id,
      provider: p.name,
      body: raw,
      contentType: init.contentType ?? 'application/json',
      headers: init.headers ?? {},
      receivedAt: init.receivedAt ?? new Date('2024-12-16T16:00:00.000Z'),
      deliveryId: 'd-1',
    },
    source,
  );
  const c = canonicalOf(p.canonical, fields, source);
  if (c === null) return null;
  const errors: string[] = [];
  canonicalType.isValid(c, { errorHook: (path) => errors.push(path.join('.')) });
  assert.deepEqual(errors, [], `canonical record of ${p.name} does not match schemas/canonical.avsc`);
  assert.notEqual(c.entity, 'unknown');
  for (const e of ENTITIES) if (e !== c.entity) assert.equal(c[e], null, `${e} must be null on a ${c.entity}`);
  const record = c[c.entity as Entity] as unknown as Record<string, unknown>;
  const declared = new Set(p.canonical?.fills[c.entity as Entity] ?? []);
  for (const [k, v] of Object.entries(record)) {
    if (isFilled(v) && !ALWAYS.has(k))
      assert.ok(declared.has(k), `${p.name} fills ${c.entity}.${k} but does not declare it`);
  }
  return c;
}

/** The entity record of a canonical value, asserting its entity. */
export function entity<K extends Entity>(c: Canonical | null, kind: K): Entities[K] {
  assert.ok(c, 'expected a canonical record');
  assert.equal(c.entity, kind);
  const r = c[kind];
  assert.ok(r);
  return r as Entities[K];
}
