/**
 * OpenTelemetry set-up in one place: traces (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set),
 * metrics (Prometheus text on the service's /metrics), and W3C trace context carried in Kafka
 * headers so one trace spans ingress → validator → … → dispatcher.
 */
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Meter,
  type Tracer,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Prometheus exposition text of all metrics of this process. */
  metricsText(): Promise<string>;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly otlpEndpoint?: string | undefined;
  /** Extra span processors (tests record spans in memory with these). */
  readonly spanProcessors?: readonly SpanProcessor[];
}

let active: Telemetry | undefined;

/** Starts the SDK once per process (several services in one process share it). */
export function startTelemetry(o: TelemetryOptions): Telemetry {
  if (active) return active;
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const processors: SpanProcessor[] = [...(o.spanProcessors ?? [])];
  if (o.otlpEndpoint) {
    processors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${o.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }),
      }),
    );
  }
  if (processors.length === 0) processors.push(new NoopSpanProcessor());
  const sdk = new NodeSDK({
    serviceName: o.serviceName,
    metricReaders: [prometheus],
    spanProcessors: processors,
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
  // This process's memory (RSS, V8 heap used and total), e.g. for the soak in bench/pipeline.ts.
  metrics
    .getMeter('hookline')
    .createObservableGauge('hookline_process_memory_bytes', { description: 'Memory of this process by kind' })
    .addCallback((r) => {
      const m = process.memoryUsage();
      r.observe(m.rss, { kind: 'rss' });
      r.observe(m.heapUsed, { kind: 'heap_used' });
      r.observe(m.heapTotal, { kind: 'heap_total' });
    });
  const serializer = new PrometheusSerializer();
  active = {
    tracer: trace.getTracer('hookline'),
    meter: metrics.getMeter('hookline'),
    async metricsText() {
      const { resourceMetrics } = await prometheus.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      active = undefined;
      await sdk.shutdown();
    },
  };
  return active;
}

/** Kafka headers as we hand them around: string values only. */
export type HeaderMap = Record<string, string>;

const setter: TextMapSetter<HeaderMap> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
const getter: TextMapGetter<HeaderMap> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

/** Writes traceparent/tracestate of `ctx` (default: the active context) into headers. */
export function injectTrace(headers: HeaderMap, ctx: Context = context.active()): HeaderMap {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/** Restores the producer's trace context from Kafka headers. */
export function extractTrace(headers: HeaderMap): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/** Current trace id, for logs and DLQ records; undefined outside a span. */
export function currentTraceId(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

/**
 * Headers for a record a stage produces from a consumed one: a short span named `name`, child of
 * the consumed record's trace, injected as traceparent/tracestate. Stages that do not run their
 * output inside the input's context (batching, hold-back) use this to keep one trace per event.
 */
export function childTraceHeaders(
  name: string,
  parent: HeaderMap,
  attributes: Record<string, string | number> = {},
): HeaderMap {
  const ctx = extractTrace(parent);
  if (!trace.getSpanContext(ctx)) return {};
  const span = trace.getTracer('hookline').startSpan(name, { attributes }, ctx);
  span.end();
  return injectTrace({}, trace.setSpan(ctx, span));
}

/** Adds child trace headers to records that carry none (keeps any a handler set itself). */
export function withChildTrace<R extends { readonly headers?: HeaderMap }>(
  name: string,
  parent: HeaderMap,
  records: readonly R[],
): R[] {
  if (records.length === 0) return [];
  const tc = childTraceHeaders(name, parent);
  return records.map((r) => (r.headers?.traceparent ? r : { ...r, headers: { ...(r.headers ?? {}), ...tc } }));
}
