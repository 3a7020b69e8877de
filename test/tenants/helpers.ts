/** Tenants test kit: admin (with tenant keys) + dispatcher in-process on the real stack, receivers per tenant. */
import type { RunningService } from '../../services/common/service.ts';
import { api, API_KEYS, startAdminInProcess, type Api, type Json } from '../admin/helpers.ts';
import { kit, receiver, startInProcess, type Kit, type Receiver } from '../dispatcher/helpers.ts';

export const TENANT_KEYS = {
  acme: 'tenant-key-acme-0123456789',
  globex: 'tenant-key-globex-0123456789',
};
export const PORTAL_SECRET = 'portal-secret-for-tests-0123456789abcdef';
const ALL_TENANT_SCOPES = 'endpoints:read,endpoints:write,deliveries:read,deliveries:retry,tenants:read,messages:write';

export interface TenantKit {
  readonly k: Kit;
  readonly call: Api;
  /** The current admin's base URL (changes on restart). */
  readonly base: () => string;
  admin: RunningService;
  readonly dispatcher: RunningService;
  readonly receivers: Receiver[];
  /** Stops the admin and starts a new one on the same Redis and topics (a restart). */
  restartAdmin(): Promise<void>;
  close(): Promise<void>;
}

export async function tenantKit(
  prefix: string,
  adminEnv: Record<string, string> = {},
  dispatcherEnv: Record<string, string> = {},
): Promise<TenantKit> {
  const k = await kit(prefix);
  const env = {
    ADMIN_API_KEYS: `${API_KEYS};${TENANT_KEYS.acme}@acme:${ALL_TENANT_SCOPES};${TENANT_KEYS.globex}@globex:${ALL_TENANT_SCOPES}`,
    ADMIN_PORTAL_SECRET: PORTAL_SECRET,
    ADMIN_PUBLISH_DEADLINE_MS: '3000',
    ...adminEnv,
  };
  let admin = await startAdminInProcess(k.prefix, k.redisPrefix, env);
  const dispatcher = await startInProcess(k, {
    DISPATCHER_RETRY_SCHEDULE: '0,200ms,200ms,200ms,200ms,200ms',
    ...dispatcherEnv,
  });
  let base = `http://127.0.0.1:${admin.port}`;
  const call: Api = (method, path, body, key) => api(base)(method, path, body, key);
  const receivers: Receiver[] = [];
  const t: TenantKit = {
    k,
    call,
    base: () => base,
    admin,
    dispatcher,
    receivers,
    async restartAdmin() {
      await admin.stop();
      admin = await startAdminInProcess(k.prefix, k.redisPrefix, env);
      t.admin = admin;
      base = `http://127.0.0.1:${admin.port}`;
    },
    async close() {
      await dispatcher.stop();
      await admin.stop();
      await Promise.all(receivers.map((r) => r.close()));
      await k.close();
    },
  };
  return t;
}

/** Creates a tenant's endpoint with a verifying receiver; returns its id. */
export async function endpointFor(
  t: TenantKit,
  tenantId: string,
  eventTypes: string[],
  answer?: Parameters<typeof receiver>[0],
): Promise<{ id: string; r: Receiver }> {
  const r = await receiver(answer);
  t.receivers.push(r);
  const res = await t.call('POST', `/v1/tenants/${tenantId}/endpoints`, { url: r.url, eventTypes });
  if (res.status !== 201) throw new Error(`endpoint for ${tenantId}: ${res.status} ${JSON.stringify(res.body)}`);
  r.secrets = [res.body.secret as string];
  return { id: res.body.id as string, r };
}

/** POST …/messages with an Idempotency-Key. */
export async function publish(
  t: Pick<TenantKit, 'base'>,
  tenantId: string,
  body: Json,
  o: { key?: string; idempotencyKey?: string } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${o.key ?? 'test-key-all-0123456789'}`,
    'content-type': 'application/json',
  };
  if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
  const res = await fetch(`${t.base()}/v1/tenants/${tenantId}/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
