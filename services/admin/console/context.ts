/** What every console page handler receives: its deps, the session, and one way to answer. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiResult, ConsoleApi } from './api.ts';
import { errorBox, page, type Html, type PageOpts } from './layout.ts';
import type { Session } from './session.ts';

export type ConsoleEnv = {
  Variables: {
    session: Session;
    /** The submitted form of a POST (already CSRF-checked). */
    form: Record<string, string>;
  };
};
export type Ctx = Context<ConsoleEnv>;

export interface PageDeps {
  readonly api: ConsoleApi;
  /** Base URL people and providers reach the platform at (ADMIN_PUBLIC_URL). */
  readonly publicUrl: string;
  /** Ingress base URL, for the URL to give a provider (ADMIN_INGRESS_PUBLIC_URL). */
  readonly ingressUrl: string;
  /** Trace UI link with {traceId}, if one is configured (ADMIN_TRACE_URL). */
  readonly traceUrl: string | undefined;
}

export function render(c: Ctx, o: Omit<PageOpts, 'session'>, body: Html, status: ContentfulStatusCode = 200) {
  return c.html(page({ ...o, session: c.get('session') }, body), status);
}

/** An API failure as a page: the API's own status (404 stays 404) and message. */
export function failure(c: Ctx, title: string, r: Extract<ApiResult<unknown>, { ok: false }>, nav?: string) {
  const what =
    r.status === 404
      ? 'Not found'
      : r.status === 503
        ? 'A dependency is unavailable (Kafka or Redis); try again in a moment'
        : r.status === 403
          ? 'Not allowed'
          : `The request failed (${r.status})`;
  const status = (r.status >= 400 && r.status < 600 ? r.status : 500) as ContentfulStatusCode;
  return render(c, { title, ...(nav ? { nav } : {}) }, errorBox(what, r.message), status);
}

/** Only operators: a tenant session gets the same 404 as a page that does not exist. */
export function operatorOnly(c: Ctx): boolean {
  return c.get('session').kind === 'operator';
}

export function notFoundPage(c: Ctx) {
  return render(c, { title: 'Not found' }, errorBox('Not found', `There is no page at ${c.req.path}.`), 404);
}

/** A form field as a string ('' when absent). */
export const field = (c: Ctx, name: string): string => c.get('form')[name] ?? '';
