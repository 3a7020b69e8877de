/**
 * Operational webhooks (what Svix calls them): when an endpoint is disabled, or keeps failing (its
 * circuit breaker opened), the owner of the endpoint is told through a configured operational
 * endpoint, so they learn it from us rather than from missing data. Read from ops.events (the
 * dispatcher writes those records when it disables an endpoint or opens a circuit) by a group of
 * its own, so a slow or dead operational endpoint never holds deliveries up; signed like any
 * delivery (Standard Webhooks, the same HTTP client and SSRF guard), with a webhook-id derived from
 * the ops.events record, stable across retries. A failed POST is retried in place with backoff
 * (at-least-once, in order); nothing is sent for other ops.events records.
 *
 * Two kinds of operational endpoint, both optional: the deployment's, for operators
 * (DISPATCHER_OPERATIONAL_WEBHOOK_URL/_SECRET, retried in place until it answers 2xx), and the
 * endpoint's tenant's own (PUT /v1/tenants/{id}/operational-webhook, its own secret), tried
 * TENANT_TRIES times with backoff and then logged and counted as not delivered: one tenant's dead
 * operational endpoint must not hold up every other tenant's notices.
 *
 * Payloads: {id, type, timestamp, data} like every outbound message:
 *   endpoint.disabled  data: {endpointId, tenantId, reason, detail, consoleUrl}
 *   endpoint.failing   data: {endpointId, tenantId, error, consoleUrl}
 * consoleUrl is the endpoint's page in the console (${ADMIN_PUBLIC_URL}/console/endpoints/{id}).
 */
import { TransientError } from '../common/errors.ts';
import type { InMessage } from '../common/kafka/types.ts';
import type { Logger } from '../common/logger.ts';
import type { HttpClient } from './http-client.ts';
import { cachedKey, signedHeaders } from '../common/standard-webhooks.ts';

export interface OperationalTarget {
  readonly url: URL;
  readonly secret: string;
}

export interface OperationalEvent {
  readonly id: string;
  readonly type: 'endpoint.disabled' | 'endpoint.failing';
  readonly timestamp: string;
  readonly data: Record<string, string | null>;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The operational webhook for one ops.events record, or undefined for records that are not sent. */
export function operationalEventOf(m: Pick<InMessage, 'partition' | 'offset' | 'value'>): OperationalEvent | undefined {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(m.value?.toString('utf8') ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof rec !== 'object' || rec === null || typeof rec.endpointId !== 'string') return undefined;
  const at = typeof rec.at === 'number' ? rec.at : Date.now();
  const base = { id: `op_${m.partition}_${m.offset}`, timestamp: new Date(at).toISOString() };
  if (rec.type === 'endpoint.disabled')
    return {
      ...base,
      type: 'endpoint.disabled',
      data: { endpointId: rec.endpointId, reason: text(rec.reason), detail: text(rec.detail) },
    };
  if (rec.type === 'circuit.opened')
    return { ...base, type: 'endpoint.failing', data: { endpointId: rec.endpointId, error: text(rec.error) } };
  return undefined;
}

/** The tenant's operational endpoint for one of its endpoints' events, or undefined (none, or disabled). */
export type TenantTargetLookup = (
  endpointId: string,
) => Promise<{ readonly tenantId: string; readonly target: OperationalTarget | undefined } | undefined>;

export const TENANT_TRIES = [0, 1000, 5000];

export function createOperationalNotifier(o: {
  readonly target: OperationalTarget | undefined;
  readonly tenantTarget: TenantTargetLookup;
  /** ADMIN_PUBLIC_URL: the console's base URL. */
  readonly consoleBase: string;
  readonly http: HttpClient;
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly logger: Logger;
  readonly onTenantFailed?: () => void;
  readonly sleep?: (ms: number) => Promise<void>;
}) {
  const log = o.logger.child({ component: 'operational-webhooks' });
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const consoleBase = o.consoleBase.replace(/\/+$/, '');

  async function post(target: OperationalTarget, ev: OperationalEvent): Promise<void> {
    const body = JSON.stringify(ev);
    const headers = {
      'content-type': 'application/json',
      'user-agent': o.userAgent,
      ...signedHeaders([cachedKey(target.secret)], ev.id, Math.floor(Date.now() / 1000), body),
    };
    const res = await o.http.post(target.url, headers, body, o.timeoutMs).catch((err: unknown) => {
      throw new TransientError(`operational webhook ${ev.type} not delivered`, 'operational_webhook', err);
    });
    if (res.status < 200 || res.status >= 300)
      throw new TransientError(`operational webhook ${ev.type}: HTTP ${res.status}`, 'operational_webhook');
  }

  return async function notifyOperational(messages: readonly InMessage[]): Promise<void> {
    for (const m of messages) {
      const bare = operationalEventOf(m);
      if (!bare) continue;
      const endpointId = bare.data.endpointId!;
      const owner = await o.tenantTarget(endpointId);
      const ev: OperationalEvent = {
        ...bare,
        data: {
          ...bare.data,
          tenantId: owner?.tenantId ?? null,
          consoleUrl: `${consoleBase}/console/endpoints/${encodeURIComponent(endpointId)}`,
        },
      };
      if (o.target) {
        await post(o.target, ev); // throws: the chunk is retried in place
        log.info({ id: ev.id, type: ev.type, endpointId }, 'operational webhook delivered (operator)');
      }
      if (!owner?.target) continue;
      for (let i = 0; ; i++) {
        await sleep(TENANT_TRIES[i]!);
        try {
          await post(owner.target, ev);
          log.info({ id: ev.id, type: ev.type, endpointId, tenant: owner.tenantId }, 'operational webhook delivered');
          break;
        } catch (err) {
          if (i + 1 < TENANT_TRIES.length) continue;
          o.onTenantFailed?.();
          log.warn(
            { id: ev.id, type: ev.type, endpointId, tenant: owner.tenantId, err: (err as Error).message },
            'tenant operational webhook not delivered after retries',
          );
          break;
        }
      }
    }
  };
}
