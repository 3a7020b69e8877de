/**
 * Turns a failed connection into one clear log line: a refused credential or an untrusted
 * certificate is a configuration problem that retrying will not fix, so it is logged as an error
 * naming the variables to check, at most once a minute per dependency while it lasts (readiness
 * probes run every few seconds). The service stays unready; it never retries in plaintext.
 */
import { throttled, type Logger } from '../logger.ts';

export type Dependency = 'kafka' | 'registry' | 'redis';

const HINTS: Record<Dependency, { authentication: string; tls: string }> = {
  kafka: {
    authentication: 'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD(_FILE)',
    tls: 'check KAFKA_SSL_CA_FILE and the broker certificate (KAFKA_SECURITY_PROTOCOL)',
  },
  registry: {
    authentication: 'check SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD(_FILE)',
    tls: 'check SCHEMA_REGISTRY_CA_FILE and the registry certificate',
  },
  redis: {
    authentication: 'check REDIS_USERNAME, REDIS_PASSWORD(_FILE) or the credentials in REDIS_URL',
    tls: 'check REDIS_TLS_CA_FILE and the Redis certificate (rediss://)',
  },
};

const TLS_RE =
  /certificate|self[- ]signed|unable to (get|verify)|altnames|Hostname\/IP does not match|CERT_|SSL routines|wrong version number|ERR_TLS/i;
const AUTH_RE = /SASL|authenticat|WRONGPASS|NOAUTH|NOPERM|invalid username|\b401\b|\b403\b|Unauthorized/i;

export type ConnectionProblem = 'authentication' | 'tls' | 'unreachable';

export function classifyConnectionError(err: unknown): { kind: ConnectionProblem; text: string } {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 5; i++) {
    const x = e as { message?: unknown; code?: unknown; cause?: unknown; type?: unknown };
    parts.push([x.type, x.code, x.message].filter((v) => typeof v === 'string').join(' '));
    e = x.cause;
  }
  const text = parts.filter(Boolean).join(': ') || String(err);
  if (TLS_RE.test(text)) return { kind: 'tls', text };
  if (AUTH_RE.test(text)) return { kind: 'authentication', text };
  return { kind: 'unreachable', text };
}

/** Wraps a readiness check so its failures are logged (throttled) with what to check. */
export function loggedCheck(dep: Dependency, check: () => Promise<void>, logger: Logger): () => Promise<void> {
  const may = throttled(60_000);
  return async () => {
    try {
      await check();
    } catch (err) {
      const { kind, text } = classifyConnectionError(err);
      if (kind !== 'unreachable' && may()) {
        const what = kind === 'tls' ? 'TLS certificate not accepted' : 'authentication refused';
        logger.error({ dependency: dep, problem: kind }, `${dep} ${what}: ${text}; ${HINTS[dep][kind]}`);
      } else if (may()) {
        logger.warn({ dependency: dep, problem: kind }, `${dep} unreachable: ${text}`);
      }
      throw err;
    }
  };
}
