/**
 * How the console pages read and act: by calling the admin's own API in-process (the same Hono
 * app, app.fetch) with the session's credential as the bearer. A tenant session therefore goes
 * through exactly the checks a tenant's API key does (tenantGuard, scopes, 404 for another
 * tenant's ids): the console can never show more than the API allows.
 */
import type { Session } from './session.ts';

export type Fetch = (req: Request) => Response | Promise<Response>;

export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly data: T }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

export interface ConsoleApi {
  /** A path under the session's API base: /v1 for operators, /v1/tenants/{id} for a tenant. */
  scoped<T>(s: Session, method: string, path: string, body?: unknown): Promise<ApiResult<T>>;
  /** An absolute API path (operator-only routes such as /v1/sources). */
  call<T>(s: Session, method: string, path: string, body?: unknown): Promise<ApiResult<T>>;
}

export const apiBase = (s: Session) => (s.kind === 'tenant' ? `/v1/tenants/${s.tenantId ?? ''}` : '/v1');

export function consoleApi(fetch: Fetch): ConsoleApi {
  async function call<T>(s: Session, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${s.credential}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(
      new Request(`http://admin.internal${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) return { ok: true, status: res.status, data: parsed as T };
    const err = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    return {
      ok: false,
      status: res.status,
      code: err?.code ?? 'error',
      message: err?.message ?? `the API answered ${res.status}`,
    };
  }
  return {
    call,
    scoped: (s, method, path, body) => call(s, method, `${apiBase(s)}${path}`, body),
  };
}
