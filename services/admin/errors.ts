/**
 * The one client-facing error of the admin API and its stable JSON shape:
 *   { "error": { "code": "invalid_request", "message": "…", "details": [{ "path": "url", "message": "…" }] } }
 * Anything else goes through onError: logged, answered with a bare 500 of the same shape.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: readonly ErrorDetail[] | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, details?: readonly ErrorDetail[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string, id: string) => new ApiError(404, 'not_found', `${what} ${id} does not exist`);

export function errorBody(code: string, message: string, details?: readonly ErrorDetail[]) {
  return { error: details && details.length > 0 ? { code, message, details } : { code, message } };
}

export function sendError(c: Context, err: ApiError) {
  return c.json(errorBody(err.code, err.message, err.details), err.status);
}
