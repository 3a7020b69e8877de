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
 * Until tenants exist there is one operational endpoint per deployment
 * (DISPATCHER_OPERATIONAL_WEBHOOK_URL/_SECRET); with tenants, the endpoint's tenant's own.
 *
 * Payloads: {id, type, timestamp, data} like every outbound message:
 *   endpoint.disabled  data: {endpointId, reason, detail}
 *   endpoint.failing   data: {endpointId, error}
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

export function createOperationalNotifier(o: {
  readonly target: OperationalTarget;
  readonly http: HttpClient;
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly logger: Logger;
}) {
  const key = cachedKey(o.target.secret);
  const log = o.logger.child({ component: 'operational-webhooks' });
  return async function notifyOperational(messages: readonly InMessage[]): Promise<void> {
    for (const m of messages) {
      const ev = operationalEventOf(m);
      if (!ev) continue;
      const body = JSON.stringify(ev);
      const headers = {
        'content-type': 'application/json',
        'user-agent': o.userAgent,
        ...signedHeaders([key], ev.id, Math.floor(Date.now() / 1000), body),
      };
      const res = await o.http.post(o.target.url, headers, body, o.timeoutMs).catch((err: unknown) => {
        throw new TransientError(`operational webhook ${ev.type} not delivered`, 'operational_webhook', err);
      });
      if (res.status < 200 || res.status >= 300)
        throw new TransientError(`operational webhook ${ev.type}: HTTP ${res.status}`, 'operational_webhook');
      log.info({ id: ev.id, type: ev.type, endpointId: ev.data.endpointId }, 'operational webhook delivered');
    }
  };
}
