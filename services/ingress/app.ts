/**
 * POST /webhooks/{sourceId}: the receiving edge. In order, cheapest refusal first:
 *   unknown source 404 → method 405 (Allow) → declared Content-Length over the limit 413 →
 *   content type 415 → body read with the limit (413 mid-stream for chunked bodies) →
 *   provider handshake (reply, nothing verified or stored) → verify on the raw bytes 401 →
 *   per-source rate limit 429 → interpret into items → durable write to webhooks.raw (503 +
 *   Retry-After if Kafka cannot take it in time) → the provider's reply or 200 {received, ids}.
 *
 * The rate limit runs after verification on purpose: only authenticated traffic spends a source's
 * budget, so a stranger posting garbage cannot starve the real sender (a failed HMAC costs
 * microseconds; a 429 to the real platform costs a retry cycle).
 *
 * One span per request (`ingress.request`), started as a new trace: the traceparent written to
 * Kafka begins at the platform's POST. An incoming traceparent is untrusted (anyone can post
 * here), so it is recorded as a span link rather than continued as the parent.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context as OtelContext,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { TOPIC, type TopicName } from '../common/contracts/index.ts';
import { isRetriable, messageOf, reasonOf } from '../common/errors.ts';
import type { OutRecord } from '../common/kafka/types.ts';
import { throttled, type Logger } from '../common/logger.ts';
import { auditHeaders, toRawRecord } from '../common/raw.ts';
import { resolveSource, type SourceStore } from '../common/sources.ts';
import { injectTrace, type HeaderMap } from '../common/telemetry.ts';
import { bodyDigest, mediaType } from '../providers/core/parse.ts';
import type { Interpretation, ProviderModule, RawRequest, SourceConfig, SyncReply } from '../providers/types.ts';
import { declaredLength, exceedsDeclared, readBody } from './body.ts';
import type { IngressMetrics } from './metrics.ts';
import { ruleOf, type RateLimiter } from '../common/rate-limit.ts';
import { clientAddress } from './remote.ts';
import type { DurableWriter } from './writer.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const SPAN_REQUEST = 'ingress.request';

export interface IngressDeps {
  readonly sources: SourceStore;
  readonly provider: (name: string) => ProviderModule | undefined;
  readonly writer: DurableWriter;
  readonly rateLimiter: RateLimiter;
  /** Physical topic name for a logical one (TOPIC_PREFIX applied). */
  readonly topic: (logical: TopicName) => string;
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: IngressMetrics;
  /** Retry-After (seconds) on 503. */
  readonly retryAfterSeconds: number;
  /** Proxies whose X-Forwarded-For entries are trusted (0 = socket address only). */
  readonly trustProxyHops?: number;
  readonly now?: () => Date;
}

type Refusal = {
  readonly status: 401 | 404 | 405 | 413 | 415 | 429 | 400;
  readonly reason: string;
  readonly headers?: Record<string, string>;
};

function problem(status: number, code: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const REFUSAL_CODE: Record<Refusal['status'], string> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

function syncReply(r: SyncReply): Response {
  const noBody = r.status === 204 || r.status === 304 || r.body === undefined;
  return new Response(noBody ? null : r.body, {
    status: r.status,
    headers: r.contentType ? { 'content-type': r.contentType } : {},
  });
}

/** The URL a URL-signing scheme (Twilio) checks: the public URL the platform was given, with the query it actually sent. */
export function signedUrl(requestUrl: string, publicUrl: unknown): URL {
  const actual = new URL(requestUrl);
  if (typeof publicUrl !== 'string' || publicUrl === '') return actual;
  const u = new URL(publicUrl);
  if (u.search === '') u.search = actual.search;
  return u;
}

export function bodyLimitOf(source: SourceConfig): number {
  const v = source.options.bodyLimitBytes;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_BODY_LIMIT;
}

/**
 * The request headers, lower-cased, repeated ones joined with ", ". On @hono/node-server they are
 * read from Node's IncomingMessage directly: materializing the fetch Headers object costs more
 * than the HMAC.
 */
export function requestHeaders(c: Context): Record<string, string> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const out: Record<string, string> = {};
  if (incoming?.headers) {
    for (const [k, v] of Object.entries(incoming.headers))
      if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  } else {
    c.req.raw.headers.forEach((v, k) => (out[k] = v)); // fetch Headers are lower-cased and joined already
  }
  return out;
}

export function createIngressApp(deps: IngressDeps): Hono {
  const now = deps.now ?? (() => new Date());
  const rawTopic = deps.topic(TOPIC.raw);
  const hops = deps.trustProxyHops ?? 0;
  const warnKafka = throttled(1000);
  const warnStore = throttled(1000);
  const warnInterpret = throttled(1000);
  const app = new Hono();

  function interpretSafely(provider: ProviderModule, req: RawRequest, source: SourceConfig): Interpretation {
    try {
      return provider.interpret(req, source);
    } catch (err) {
      // Authentic but not understood: keep it whole (byte-exact) so the validator dead-letters it
      // with the reason; dropping a verified request would be a silent loss.
      deps.metrics.uninterpretable(source.id);
      if (warnInterpret())
        deps.logger.warn(
          { source: source.id, err: messageOf(err) },
          'provider could not interpret a verified request; stored whole',
        );
      return { items: [{ body: req.body, extracted: { deliveryId: bodyDigest(req.body) } }] };
    }
  }

  async function handle(
    c: Context,
    headers: Record<string, string>,
    source: SourceConfig | undefined,
    traceHeaders: () => HeaderMap,
  ): Promise<Response | Refusal> {
    if (!source) return { status: 404, reason: 'unknown_source' };
    const provider = deps.provider(source.provider);
    if (!provider) return { status: 404, reason: 'unknown_provider' }; // fail closed (start-up validation prevents it)

    const method = c.req.method;
    const allowed = ['POST', ...(provider.extraMethods ?? [])];
    if (!allowed.includes(method))
      return { status: 405, reason: 'method_not_allowed', headers: { allow: allowed.join(', ') } };

    const limit = bodyLimitOf(source);
    const declared = exceedsDeclared(headers, limit);
    if (declared)
      return declared.reason === 'too_large'
        ? { status: 413, reason: 'body_too_large' }
        : { status: 400, reason: 'bad_content_length' };

    const hasBody =
      method === 'POST' || headers['transfer-encoding'] !== undefined || (declaredLength(headers) ?? 0) > 0;
    const contentType = headers['content-type'] ?? '';
    if (hasBody && !provider.contentTypes.includes(mediaType(contentType)))
      return { status: 415, reason: 'unsupported_media_type' };

    const read = await readBody(c.req.raw, headers, limit);
    if (!read.ok) return { status: 413, reason: 'body_too_large' };

    const remoteAddress = clientAddress(c, hops);
    const req: RawRequest = {
      method,
      url: signedUrl(c.req.url, source.options.publicUrl),
      headers,
      body: read.body,
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
      receivedAt: now(),
    };

    const hs = provider.handshake?.(req, source);
    if (hs) return syncReply(hs);

    const verdict = provider.verify(req, source);
    if (!verdict.ok) return { status: 401, reason: verdict.reason };

    const rule = ruleOf(source.options);
    if (rule) {
      const d = await deps.rateLimiter.take(source.id, rule);
      if (d.fallback) deps.metrics.rateLimitFallback(source.id);
      if (!d.allowed)
        return { status: 429, reason: 'rate_limited', headers: { 'retry-after': String(d.retryAfterSeconds) } };
    }

    const interpretation = interpretSafely(provider, req, source);
    const stored = auditHeaders(headers, provider.sensitiveHeaders);
    const trace = traceHeaders();
    const records: OutRecord[] = interpretation.items.map((item) => {
      const r = toRawRecord({
        topic: rawTopic,
        sourceId: source.id,
        provider: provider.name,
        body: item.body,
        contentType,
        requestHeaders: stored,
        receivedAt: req.receivedAt,
        deliveryId: item.extracted.deliveryId,
        resourceType: item.extracted.resourceType,
        resourceId: item.extracted.resourceId,
        batchIndex: item.batchIndex,
      });
      return { ...r, headers: { ...r.headers, ...trace } };
    });

    try {
      await deps.writer.write(records);
    } catch (err) {
      if (!isRetriable(err)) throw err;
      const reason = reasonOf(err);
      deps.metrics.unavailable(source.id, reason);
      if (warnKafka())
        deps.logger.warn(
          { source: source.id, reason, err: messageOf(err) },
          'webhook not acknowledged: kafka cannot take it, answered 503',
        );
      return problem(503, 'unavailable', { 'retry-after': String(deps.retryAfterSeconds) });
    }
    deps.metrics.enqueued(source.id, records.length);

    if (interpretation.reply) return syncReply(interpretation.reply);
    const ids = records.map((r) => r.headers?.['hookline-event-id']);
    return new Response(JSON.stringify({ received: true, ids }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }

  app.all('/webhooks/:sourceId', async (c) => {
    const started = performance.now();
    const sourceId = c.req.param('sourceId');
    // The hot path stays synchronous; only a miss awaits the store's re-read.
    let source = deps.sources.get(sourceId);
    if (!source) {
      try {
        source = await resolveSource(deps.sources, sourceId);
      } catch (err) {
        // The store cannot be read: the provider must retry rather than be told the source does not exist.
        deps.metrics.request('unknown', 503, performance.now() - started);
        if (warnStore())
          deps.logger.warn({ err: messageOf(err) }, 'unknown source and the source store cannot be read: answered 503');
        return problem(503, 'unavailable', { 'retry-after': String(deps.retryAfterSeconds) });
      }
    }
    const label = source?.id ?? 'unknown'; // never the raw path segment: unbounded label values
    const headers = requestHeaders(c);
    const incomingSpan =
      headers.traceparent === undefined ? undefined : trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
    const span: Span = deps.tracer.startSpan(
      SPAN_REQUEST,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': c.req.method, 'hookline.source': label },
        ...(incomingSpan && trace.isSpanContextValid(incomingSpan) ? { links: [{ context: incomingSpan }] } : {}),
      },
      ROOT_CONTEXT,
    );
    const ctx: OtelContext = trace.setSpan(ROOT_CONTEXT, span);
    let res: Response;
    try {
      const out = await context.with(ctx, () => handle(c, headers, source, () => injectTrace({}, ctx)));
      if (out instanceof Response) res = out;
      else {
        deps.metrics.rejected(label, out.reason);
        span.setAttribute('hookline.rejected', out.reason);
        res = problem(out.status, REFUSAL_CODE[out.status], out.headers);
      }
    } catch (err) {
      span.recordException(err instanceof Error ? err : new Error(String(err)));
      span.setStatus({ code: SpanStatusCode.ERROR });
      context.with(ctx, () => deps.logger.error({ source: label, err }, 'webhook request failed'));
      res = problem(500, 'internal');
    }
    span.setAttribute('http.response.status_code', res.status);
    span.end();
    deps.metrics.request(label, res.status, performance.now() - started);
    return res;
  });

  return app;
}
