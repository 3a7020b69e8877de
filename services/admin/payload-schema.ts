/**
 * JSON Schema per event type (the catalogue's optional `schema`), checked with Ajv (draft-07),
 * the most used and best kept JSON Schema validator for JavaScript. Compiled validators are cached
 * per (type, schema text), so a publish costs one lookup and one validation. A payload that does
 * not match is refused naming the first failing path (JSON Pointer, "" = the payload itself).
 */
import { Ajv, type ValidateFunction } from 'ajv';

export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

export interface PayloadSchemas {
  /** Problems of the schema itself (empty = it compiles). */
  check(schema: unknown): string[];
  /** Problems of the payload against the schema (empty = valid). */
  validate(typeName: string, schema: object, payload: unknown): SchemaProblem[];
}

export function payloadSchemas(): PayloadSchemas {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  const cache = new Map<string, { text: string; fn: ValidateFunction }>();
  return {
    check(schema) {
      if (schema === null || typeof schema !== 'object' || Array.isArray(schema))
        return ['must be a JSON Schema object'];
      try {
        ajv.compile(schema);
        return [];
      } catch (err) {
        return [err instanceof Error ? err.message : String(err)];
      }
    },
    validate(typeName, schema, payload) {
      const text = JSON.stringify(schema);
      let hit = cache.get(typeName);
      if (!hit || hit.text !== text) {
        hit = { text, fn: ajv.compile(schema) };
        if (cache.size > 1000) cache.clear();
        cache.set(typeName, hit);
      }
      if (hit.fn(payload)) return [];
      return (hit.fn.errors ?? []).map((e) => ({
        path: `payload${e.instancePath.replaceAll('/', '.')}`,
        message: e.message ?? 'does not match the schema',
      }));
    },
  };
}
