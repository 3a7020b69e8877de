/**
 * Typed configuration: defaults for the local stack, environment overrides, validation at
 * start-up that names the bad variable, one frozen object passed down. main.ts is the only
 * place that reads process.env.
 */
import { hostname } from 'node:os';
import { ConfigError } from './errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const str =
  (def?: string) =>
  (name: string, env: Env): string => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    throw new ConfigError(`${name} is required`);
  };

export const optStr =
  () =>
  (name: string, env: Env): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };

export const int =
  (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  (name: string, env: Env): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };

export const bool =
  (def: boolean) =>
  (name: string, env: Env): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  };

export const oneOf =
  <T extends string>(values: readonly T[], def: T) =>
  (name: string, env: Env): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    if (!(values as readonly string[]).includes(raw))
      throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  };

export const list =
  (def: readonly string[]) =>
  (name: string, env: Env): readonly string[] => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  };

/** A list whose every item must be one of `values` (names the variable and the bad item). */
export const listOf =
  <T extends string>(values: readonly T[], def: readonly T[] = values) =>
  (name: string, env: Env): readonly T[] => {
    const items = list(def)(name, env);
    const bad = items.find((s) => !(values as readonly string[]).includes(s));
    if (bad !== undefined) throw new ConfigError(`${name} items must be among ${values.join(', ')}, got "${bad}"`);
    return items as readonly T[];
  };

export const url =
  (def: string) =>
  (name: string, env: Env): string => {
    const v = str(def)(name, env);
    try {
      new URL(v);
    } catch {
      throw new ConfigError(`${name} must be a URL, got "${v}"`);
    }
    return v.replace(/\/+$/, '');
  };

export type Spec = Record<string, (name: string, env: Env) => unknown>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: ReturnType<S[K]> };

/** Reads every variable of the spec; collects all problems and throws one ConfigError listing them. */
export function readConfig<S extends Spec>(spec: S, env: Env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, parse] of Object.entries(spec)) {
    try {
      out[name] = parse(name, env);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return Object.freeze(out) as ConfigOf<S>;
}

/** What every service needs. Defaults point at the local stack (deploy/local/stack.sh). */
export const baseSpec = {
  KAFKA_BROKERS: list(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: optStr(),
  SCHEMA_REGISTRY_URL: url('http://127.0.0.1:8081/apis/ccompat/v7'),
  REDIS_URL: url('redis://127.0.0.1:6379'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optStr(),
  LOG_LEVEL: str('info'),
  /** Port of the service's HTTP server (ops endpoints; for ingress/admin also the API). 0 = any free port. */
  HTTP_PORT: int(0, 0, 65535),
  HTTP_HOST: str('127.0.0.1'),
  /** Stable per instance: used in transactional ids and logs. */
  INSTANCE_ID: str(hostname()),
  /** Suffix for consumer group names, so several deployments can share one cluster. */
  GROUP_PREFIX: str('hookline'),
  /** Topic name prefix (empty in production; tests use it to isolate runs). */
  TOPIC_PREFIX: str(''),
} satisfies Spec;

export type BaseConfig = ConfigOf<typeof baseSpec>;
