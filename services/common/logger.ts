/** pino, JSON lines, every line carrying the active trace and span ids; secrets redacted by path. */
import { context, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'secret',
  'secrets',
  '*.secret',
  '*.secrets',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'req.headers.authorization',
];

export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin() {
      const sc = trace.getSpanContext(context.active());
      return sc ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
    },
  });
}

/** Logs at most once per interval: an outage must not turn into one log line per request. */
export function throttled(ms: number): () => boolean {
  let last = 0;
  return () => {
    const t = Date.now();
    if (t - last < ms) return false;
    last = t;
    return true;
  };
}
