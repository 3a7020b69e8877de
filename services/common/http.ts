/**
 * The ops surface every service exposes: GET /healthz (process alive), GET /readyz (Kafka,
 * registry, Redis reachable: 503 with the failing check otherwise), GET /metrics (Prometheus).
 * Services with an API (ingress, admin) mount theirs on the same app.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from './logger.ts';
import type { Telemetry } from './telemetry.ts';

export type ReadinessCheck = () => Promise<void>;

export interface OpsOptions {
  readonly service: string;
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** How long a check may take before it counts as failed. */
  readonly checkTimeoutMs?: number;
}

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function createOpsApp(o: OpsOptions): Hono {
  const app = new Hono();
  const timeout = o.checkTimeoutMs ?? 2000;
  app.get('/healthz', (c) => c.json({ status: 'ok', service: o.service }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      Object.entries(o.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeout);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    const failing = results.filter(([, r]) => r !== 'ok');
    const body = {
      status: failing.length === 0 ? 'ready' : 'not_ready',
      service: o.service,
      checks: Object.fromEntries(results),
    };
    return c.json(body, failing.length === 0 ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const text = await o.telemetry.metricsText();
    return c.text(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  app.onError((err, c) => {
    o.logger.error({ err }, 'unhandled error');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}

export interface RunningServer {
  readonly port: number;
  close(graceMs?: number): Promise<void>;
}

/**
 * Slow clients: a request whose headers have not all arrived after `headersTimeoutMs`, or whose
 * body has not fully arrived after `requestTimeoutMs`, is answered 408 and its socket closed (Node's
 * own defaults are 60 s and 5 min, checked every 30 s: far too generous for trickled requests).
 */
export interface ListenOptions {
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export function listen(app: Hono, host: string, port: number, o: ListenOptions = {}): Promise<RunningServer> {
  const headersTimeout = o.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(o.requestTimeoutMs ?? 30_000, headersTimeout);
  const serverOptions = {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    server = serve({ fetch: app.fetch, hostname: host, port, serverOptions }, (info) => {
      const s = server!;
      resolve({
        port: info.port,
        // Stop accepting, let in-flight requests finish (bounded), then drop what is left.
        close: (graceMs = 10_000) =>
          new Promise<void>((res) => {
            const conns = s as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
            const force = setTimeout(() => conns.closeAllConnections?.(), graceMs);
            s.close(() => {
              clearTimeout(force);
              res();
            });
            conns.closeIdleConnections?.();
          }),
      });
    });
    server.on('error', reject);
  });
}
