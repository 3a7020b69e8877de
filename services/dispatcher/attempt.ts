/**
 * One attempt of one job: look the endpoint up, pass its gate, sign, POST, classify, record.
 * Returns what the lane does next: move on (done), wait for a retry, or wait for a deferral.
 * Every attempt is written to outbound.attempts before this returns.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { activeSecrets, type Endpoint, type EndpointStore } from '../common/endpoints.ts';
import { messageOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { extractTrace } from '../common/telemetry.ts';
import type { BreakerBoard } from './breaker-board.ts';
import type { EndpointGate, Verdict } from './gate.ts';
import { DeliveryFailure, type HttpClient } from './http-client.ts';
import type { DispatcherMetrics } from './metrics.ts';
import { disableEndpoint, type Health, type Records } from './records.ts';
import { nextDelay, parseRetryAfter, type RetryPolicy } from './schedule.ts';
import { cachedKey, signedHeaders } from '../common/standard-webhooks.ts';
import type { DeliveryAttempt } from '../common/contracts/index.ts';
import type { Job } from './types.ts';

export type Next =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly at: number }
  | { readonly kind: 'defer'; readonly at: number };

export interface AttemptDeps {
  readonly endpoint: (id: string) => Promise<Endpoint | undefined>;
  /** Local view update after this instance changed an endpoint. */
  readonly onDisabled: (ep: Endpoint, reason: string) => void;
  readonly gate: (endpointId: string) => EndpointGate;
  readonly http: HttpClient;
  readonly store: EndpointStore;
  readonly records: Records;
  readonly health: Health;
  /** Where breaker transitions are published for the admin (breaker-board.ts). */
  readonly breakers: BreakerBoard;
  readonly policy: RetryPolicy;
  readonly timeoutMs: number;
  /** Disable an endpoint that has failed continuously for this long. */
  readonly disableAfterMs: number;
  readonly userAgent: string;
  readonly tracer: Tracer;
  readonly metrics: DispatcherMetrics;
  readonly logger: Logger;
}

/** Headers an endpoint's custom headers may not set. */
const RESERVED =
  /^(webhook-|content-length$|content-type$|host$|connection$|transfer-encoding$|traceparent$|tracestate$|user-agent$)/i;

/** The delivery SLO counts a message as good when it is delivered within its first hour. */
const HOUR_MS = 3_600_000;

export function createAttempter(d: AttemptDeps) {
  const log = d.logger.child({ component: 'attempt' });

  function baseRecord(
    job: Job,
    ep: Endpoint | undefined,
    now: number,
  ): Omit<
    DeliveryAttempt,
    'outcome' | 'statusCode' | 'durationMs' | 'responseExcerpt' | 'error' | 'nextAttemptAt' | 'attempt'
  > {
    return {
      messageId: job.msg.messageId,
      endpointId: job.endpointId,
      eventType: job.msg.eventType,
      resourceKey: job.msg.resourceKey,
      attemptedAt: now,
      url: ep?.url ?? null,
      sourceEventId: job.msg.sourceEventId,
      occurredAt: job.msg.occurredAt,
      payload: job.msg.payload,
      trigger: job.trigger,
    };
  }

  async function dead(
    job: Job,
    ep: Endpoint | undefined,
    rec: Omit<DeliveryAttempt, 'outcome'>,
    reason: string,
  ): Promise<Next> {
    await Promise.all([
      d.records.attempt({ ...rec, outcome: 'DEAD' }, job.trace),
      d.records.deadLetter(job, reason, rec.error ?? reason),
    ]);
    d.metrics.attempts.add(1, { outcome: 'dead', endpoint: job.endpointId });
    d.metrics.messages.add(1, { result: 'dead' });
    log.info({ messageId: job.msg.messageId, endpointId: job.endpointId, url: ep?.url, reason }, 'delivery given up');
    return { kind: 'done' };
  }

  async function disable(ep: Endpoint, reason: string, detail: string): Promise<void> {
    d.onDisabled(ep, reason);
    d.metrics.disabled.add(1, { reason });
    await disableEndpoint(d.store, d.records, ep.id, reason, detail);
  }

  return async function attempt(job: Job): Promise<Next> {
    const ep = await d.endpoint(job.endpointId);
    if (!ep) {
      log.debug({ messageId: job.msg.messageId, endpointId: job.endpointId }, 'endpoint deleted: delivery dropped');
      return { kind: 'done' };
    }
    if (!ep.state.enabled) {
      const rec = {
        ...baseRecord(job, ep, Date.now()),
        attempt: job.attempt,
        statusCode: null,
        durationMs: 0,
        responseExcerpt: null,
        error: `endpoint disabled (${ep.state.reason ?? 'disabled'})`,
        nextAttemptAt: null,
      };
      return dead(job, ep, rec, 'endpoint_disabled');
    }
    const gate = d.gate(ep.id);
    const entry = await gate.enter(Date.now(), ep.rateLimitPerSecond);
    if (!entry.go) {
      d.metrics.deferred.add(1, { reason: entry.why });
      return { kind: 'defer', at: entry.until };
    }
    if (entry.wait > 0) await sleep(entry.wait);

    const attemptNo = job.attempt + 1;
    const started = Date.now();
    if (job.attempt === 0) d.metrics.lag.record(Math.max(0, started - job.msg.createdAt));
    let verdict: Verdict = 'failure';
    let status: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    let retryAfterMs: number | undefined;
    const span = d.tracer.startSpan(
      'dispatcher.deliver',
      {
        attributes: {
          'hookline.message_id': job.msg.messageId,
          'hookline.endpoint_id': ep.id,
          'hookline.attempt': attemptNo,
        },
      },
      extractTrace(job.trace),
    );
    try {
      const url = new URL(ep.url);
      const keys = activeSecrets(ep, started).map(cachedKey);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(ep.headers)) if (!RESERVED.test(k)) headers[k.toLowerCase()] = v;
      Object.assign(
        headers,
        { 'content-type': 'application/json', 'user-agent': d.userAgent },
        signedHeaders(keys, job.msg.messageId, Math.floor(started / 1000), job.msg.payload),
      );
      propagation.inject(trace.setSpan(context.active(), span), headers);
      const res = await d.http.post(url, headers, job.msg.payload, d.timeoutMs);
      status = res.status;
      excerpt = res.excerpt === '' ? null : res.excerpt;
      if (status >= 200 && status < 300) verdict = 'success';
      else {
        error = `HTTP ${status}`;
        if (status === 429 || status === 503) retryAfterMs = parseRetryAfter(res.retryAfter, started);
      }
    } catch (err) {
      error = err instanceof DeliveryFailure ? `${err.kind}: ${err.message}` : messageOf(err);
    }
    const durationMs = Date.now() - started;
    span.setAttribute('http.response.status_code', status ?? 0);
    if (verdict !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? 'failed' });
    span.end();
    d.metrics.duration.record(durationMs);

    const gone = status === 410;
    const { opened, closed } = entry.release(gone ? 'neutral' : verdict, Date.now());
    if (opened) {
      d.breakers.opened(ep.id, gate.breaker.openedAt, gate.breaker.openUntil);
      void d.records.ops({ type: 'circuit.opened', endpointId: ep.id, error }).catch(() => undefined);
    }
    if (closed) {
      d.breakers.closed(ep.id);
      void d.records.ops({ type: 'circuit.closed', endpointId: ep.id }).catch(() => undefined);
    }
    const rec = {
      ...baseRecord(job, ep, started),
      attempt: attemptNo,
      statusCode: status,
      durationMs,
      responseExcerpt: excerpt,
      error,
    };

    if (verdict === 'success') {
      d.health.success(ep.id, started);
      d.metrics.attempts.add(1, { outcome: 'succeeded', endpoint: ep.id });
      const inHour = started - job.msg.createdAt <= HOUR_MS;
      d.metrics.messages.add(1, { result: inHour ? 'delivered_in_hour' : 'delivered_late' });
      await d.records.attempt({ ...rec, outcome: 'SUCCEEDED', nextAttemptAt: null }, job.trace);
      return { kind: 'done' };
    }
    job.attempt = attemptNo;
    if (gone) {
      await disable(ep, 'gone', 'endpoint answered 410 Gone');
      return dead(job, ep, { ...rec, nextAttemptAt: null }, 'endpoint_gone');
    }
    const since = await d.health.failure(ep.id, started).catch(() => started);
    if (started - since >= d.disableAfterMs) {
      await disable(ep, 'failing', `failing continuously since ${new Date(since).toISOString()}`);
      return dead(job, ep, { ...rec, nextAttemptAt: null }, 'endpoint_failing');
    }
    const delay = nextDelay(d.policy, attemptNo, retryAfterMs);
    if (delay === undefined) return dead(job, ep, { ...rec, nextAttemptAt: null }, 'max_attempts');
    const at = Date.now() + delay;
    d.metrics.attempts.add(1, { outcome: 'failed', endpoint: ep.id });
    await d.records.attempt({ ...rec, outcome: 'FAILED', nextAttemptAt: at }, job.trace);
    return { kind: 'retry', at };
  };
}

export type Attempter = ReturnType<typeof createAttempter>;
