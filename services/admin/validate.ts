/**
 * Request validation with messages that name the field. Small and explicit: each reader returns
 * the typed value or records a problem; `finish` throws one 400 listing every problem.
 */
import type { Context } from 'hono';
import { ApiError, type ErrorDetail } from './errors.ts';

export class Check {
  readonly problems: ErrorDetail[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  finish(): void {
    if (this.problems.length > 0) {
      const first = this.problems[0]!;
      throw new ApiError(
        400,
        'invalid_request',
        `${first.path}: ${first.message}${this.problems.length > 1 ? ` (and ${this.problems.length - 1} more)` : ''}`,
        this.problems,
      );
    }
  }
}

export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'invalid_request', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

export function unknownFields(check: Check, body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(body))
    if (!allowed.includes(k)) check.add(k, `unknown field (allowed: ${allowed.join(', ')})`);
}

export function optString(check: Check, body: Record<string, unknown>, name: string, max: number): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return void check.add(name, 'must be a string');
  if (v.length > max) return void check.add(name, `must be at most ${max} characters`);
  return v;
}

export function optInt(
  check: Check,
  body: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  nullable = false,
): number | null | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (v === null && nullable) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    return void check.add(name, `must be an integer between ${min} and ${max}${nullable ? ' or null' : ''}`);
  return v;
}

export function optBool(check: Check, body: Record<string, unknown>, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') return void check.add(name, 'must be true or false');
  return v;
}

/** A time as ISO 8601 or epoch milliseconds. */
export function parseTime(check: Check, name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'number' && typeof v !== 'string')
    return void check.add(name, 'must be an ISO 8601 time or epoch milliseconds');
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) return void check.add(name, 'must be an ISO 8601 time or epoch milliseconds');
  return n;
}

export function queryLimit(check: Check, raw: string | undefined, def = 50, max = 250): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    check.add('limit', `must be an integer between 1 and ${max}`);
    return def;
  }
  return n;
}
