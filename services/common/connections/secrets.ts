/**
 * Secrets and PEM files for connection settings. A secret comes from `NAME` or from the file named
 * by `NAME_FILE` (how Kubernetes mounts a Secret), never both. The value is wrapped in `Secret`,
 * whose JSON and string forms are "[redacted]": a config object that reaches a log line or an
 * error message cannot leak it. PEM files are read once at start, so a wrong path fails the start
 * naming the variable, not the first connection.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}

function readNamedFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new ConfigError(`${variable} names a file that cannot be read (${path}: ${code})`);
  }
}

/** `NAME` or the contents of `NAME_FILE` (one trailing newline removed, as `echo` and editors add it). */
export const secret =
  () =>
  (name: string, env: Env): Secret | undefined => {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    const hasDirect = direct !== undefined && direct !== '';
    const hasFile = file !== undefined && file !== '';
    if (hasDirect && hasFile) throw new ConfigError(`set ${name} or ${name}_FILE, not both`);
    if (hasFile) {
      const v = readNamedFile(`${name}_FILE`, file).replace(/\r?\n$/, '');
      if (v === '') throw new ConfigError(`${name}_FILE names an empty file (${file})`);
      return new Secret(v);
    }
    return hasDirect ? new Secret(direct) : undefined;
  };

export interface PemFile {
  readonly path: string;
  readonly pem: string;
}

/** A path to a PEM file (CA bundle, certificate or key), read and checked at start. */
export const pemFile =
  () =>
  (name: string, env: Env): PemFile | undefined => {
    const path = env[name];
    if (path === undefined || path === '') return undefined;
    const pem = readNamedFile(name, path);
    if (!/-----BEGIN [A-Z0-9 ]+-----/.test(pem)) throw new ConfigError(`${name} (${path}) is not a PEM file`);
    return { path, pem };
  };

/** Like oneOf, but unset is allowed (undefined). */
export const optOneOf =
  <T extends string>(values: readonly T[]) =>
  (name: string, env: Env): T | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const hit = values.find((v) => v.toLowerCase() === raw.toLowerCase());
    if (hit === undefined) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return hit;
  };

/** Variable names a spec reads, with the `_FILE` twin of every secret (for docs and the chart check). */
export function variablesOf(spec: Record<string, unknown>, secrets: readonly string[]): string[] {
  return [...Object.keys(spec), ...secrets.map((s) => `${s}_FILE`)];
}
