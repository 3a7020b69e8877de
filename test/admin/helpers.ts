/** Admin test kit: the admin service started in-process on the real stack, and a fetch wrapper. */
import { startService, type RunningService } from '../../services/common/service.ts';
import { adminSpec } from '../../services/admin/config.ts';
import { ADMIN_REDIS_AUTO_PIPELINING, startAdmin } from '../../services/admin/service.ts';
import { serviceEnv } from '../helpers/env.ts';

export const KEYS = {
  all: 'test-key-all-0123456789',
  read: 'test-key-read-0123456789',
  deliveries: 'test-key-deliveries-0123',
};
export const API_KEYS = `${KEYS.all}:*;${KEYS.read}:endpoints:read,sources:read,deliveries:read;${KEYS.deliveries}:deliveries:read,deliveries:retry`;

export function startAdminInProcess(
  prefix: string,
  redisPrefix: string,
  extra: Record<string, string> = {},
): Promise<RunningService> {
  return startService({
    name: 'admin',
    spec: adminSpec,
    env: serviceEnv(prefix, {
      REDIS_KEY_PREFIX: redisPrefix,
      HTTP_PORT: '0',
      ADMIN_API_KEYS: API_KEYS,
      ADMIN_ALLOW_HTTP: 'true',
      ...extra,
    }),
    start: startAdmin,
    redisAutoPipelining: ADMIN_REDIS_AUTO_PIPELINING,
  });
}

/** Parsed JSON of a response, checked field by field by the tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Api {
  (
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: Json; headers: Headers }>;
}

/** curl-like: JSON in, JSON out, bearer key. */
export function api(base: string): Api {
  return async (method, path, body, key = KEYS.all) => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
}
