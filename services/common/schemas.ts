/**
 * Avro schemas in schemas/*.avsc, registered under `<topic>-value` (TopicNameStrategy) with
 * BACKWARD compatibility, values in the Confluent wire format (magic byte, schema id, body), so
 * any Confluent-compatible consumer can read them. The registry is reached only through
 * SCHEMA_REGISTRY_URL (Apicurio's ccompat API locally; Confluent, Karapace or Redpanda elsewhere).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { asRegistryConnection, registryRequest, type RegistryConnection } from './connections/index.ts';
import { ConfigError, PermanentError, TransientError } from './errors.ts';
import { topicName, TOPICS, type TopicSpec } from './topics.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** Named types kept in their own file and inlined where a schema first refers to them by name. */
const SHARED_TYPES: Readonly<Record<string, string>> = { 'io.hookline.canonical.Canonical': 'canonical.avsc' };

/**
 * The schema text of one file as registered: self-contained JSON, with each shared named type
 * (the canonical records) inlined at its first reference. One definition, several subjects.
 */
export function schemaText(file: string, schemaDir: string = SCHEMA_DIR): string {
  const parsed = JSON.parse(readFileSync(`${schemaDir}${file}`, 'utf8')) as unknown;
  const inlined = new Set<string>();
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string' && key === 'type' && SHARED_TYPES[v] !== undefined && !inlined.has(v)) {
      inlined.add(v);
      return walk(JSON.parse(readFileSync(`${schemaDir}${SHARED_TYPES[v]}`, 'utf8')) as unknown);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, k === 'doc' || k === 'default' ? x : walk(x, k)]),
      );
    }
    return v;
  };
  return JSON.stringify(walk(parsed));
}

export const subjectOf = (topic: string): string => `${topic}-value`;

/** A URL, or a connection with basic auth and TLS (connections/registry.ts). */
export function createRegistry(registry: string | RegistryConnection): SchemaRegistry {
  const conn = asRegistryConnection(registry);
  return new SchemaRegistry({
    host: conn.url,
    ...(conn.auth ? { auth: conn.auth } : {}),
    ...(conn.agent ? { agent: conn.agent } : {}),
    retry: { retries: 2, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
  });
}

export interface RegisteredSubject {
  readonly subject: string;
  readonly id: number;
  readonly file: string;
}

/**
 * Sets BACKWARD on each subject, checks the new schema against the latest version, and registers it.
 * An incompatible change fails loudly with the registry's own reason.
 */
export async function registerSchemas(
  registryUrlOrConnection: string | RegistryConnection,
  prefix: string,
  topics: readonly TopicSpec[] = TOPICS,
  schemaDir: string = SCHEMA_DIR,
): Promise<RegisteredSubject[]> {
  const conn = asRegistryConnection(registryUrlOrConnection);
  const registry = createRegistry(conn);
  const registryFetch = (path: string, init: { method: string; body: string }) => registryRequest(conn, path, init);
  const out: RegisteredSubject[] = [];
  for (const t of topics) {
    if (!t.schema) continue;
    const subject = subjectOf(topicName(prefix, t.name));
    let schema: string;
    try {
      schema = schemaText(t.schema, schemaDir);
    } catch (err) {
      throw new ConfigError(`schema ${t.schema} is unreadable: ${err instanceof Error ? err.message : String(err)}`);
    }
    const enc = encodeURIComponent(subject);
    const cfg = await registryFetch(`/config/${enc}`, {
      method: 'PUT',
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (cfg.status >= 300)
      throw new ConfigError(
        `registry refused compatibility config for ${subject}: ${cfg.status} ${JSON.stringify(cfg.body)}`,
      );
    const check = await registryFetch(`/compatibility/subjects/${enc}/versions/latest?verbose=true`, {
      method: 'POST',
      body: JSON.stringify({ schema, schemaType: 'AVRO' }),
    });
    if (check.status < 300) {
      const b = check.body as { is_compatible?: boolean; messages?: unknown };
      if (b.is_compatible === false) {
        throw new ConfigError(
          `schema ${t.schema} is not BACKWARD compatible with the latest version of ${subject}: ${JSON.stringify(b.messages ?? b)}`,
        );
      }
    } else if (check.status !== 404) {
      throw new ConfigError(
        `registry compatibility check for ${subject} failed: ${check.status} ${JSON.stringify(check.body)}`,
      );
    }
    try {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
      out.push({ subject, id, file: t.schema });
    } catch (err) {
      throw new ConfigError(
        `registering ${t.schema} as ${subject} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return out;
}

/**
 * Encodes/decodes Confluent-framed Avro. The latest schema id of a subject is looked up once
 * and cached. Registry unreachable → TransientError (retry); undecodable bytes → PermanentError.
 */
export class AvroCodec {
  readonly registry: SchemaRegistry;
  readonly #ids = new Map<string, Promise<number>>();

  constructor(registry: SchemaRegistry) {
    this.registry = registry;
  }

  schemaIdFor(topic: string): Promise<number> {
    const subject = subjectOf(topic);
    let p = this.#ids.get(subject);
    if (!p) {
      p = this.registry.getLatestSchemaId(subject);
      this.#ids.set(subject, p);
      p.catch(() => this.#ids.delete(subject));
    }
    return p;
  }

  async encode(topic: string, value: unknown): Promise<Buffer> {
    let id: number;
    try {
      id = await this.schemaIdFor(topic);
    } catch (err) {
      throw new TransientError(`schema registry lookup for ${topic} failed`, 'registry_unavailable', err);
    }
    try {
      return await this.registry.encode(id, value);
    } catch (err) {
      if (isNetworkError(err)) throw new TransientError('schema registry unavailable', 'registry_unavailable', err);
      throw new PermanentError(
        `value does not match the schema of ${topic}: ${err instanceof Error ? err.message : String(err)}`,
        'schema_mismatch',
        err,
      );
    }
  }

  async decode<T = unknown>(buf: Buffer): Promise<T> {
    try {
      return (await this.registry.decode(buf)) as T;
    } catch (err) {
      if (isNetworkError(err)) throw new TransientError('schema registry unavailable', 'registry_unavailable', err);
      throw new PermanentError(
        `not a decodable Avro record: ${err instanceof Error ? err.message : String(err)}`,
        'undecodable',
        err,
      );
    }
  }
}

function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; cause?: { message?: string; code?: string } } | null;
  const text = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.cause?.message ?? ''} ${e?.cause?.code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|fetch failed|socket|network|timeout|5\d\d/i.test(text);
}
