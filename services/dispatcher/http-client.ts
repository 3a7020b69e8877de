/**
 * One HTTP POST to a customer endpoint over node:http/https, connecting to the address the SSRF
 * guard checked (no second DNS lookup: no rebinding window). The Host header and TLS SNI keep the
 * endpoint's name, so virtual hosting and certificate checks work as usual. Keep-alive agents pool
 * connections per (address, port, server name). The whole exchange is bounded by `timeoutMs`, and
 * at most `maxBodyBytes` of the response are read (the rest is discarded).
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { resolveChecked, type AddressPolicy, type Resolver } from './ssrf.ts';

export interface HttpResult {
  readonly status: number;
  readonly retryAfter: string | undefined;
  /** First bytes of the response body, utf8. */
  readonly excerpt: string;
}

export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  readonly kind: 'timeout' | 'network' | 'refused';
  constructor(kind: 'timeout' | 'network' | 'refused', message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface HttpClientOptions {
  readonly policy: AddressPolicy;
  readonly resolve?: Resolver;
  readonly excerptBytes?: number;
  readonly maxSockets?: number;
}

export interface HttpClient {
  post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpResult>;
  close(): void;
}

export function createHttpClient(o: HttpClientOptions): HttpClient {
  const maxSockets = o.maxSockets ?? 64;
  // As many idle sockets kept as may be open: with fewer, every burst above that count closes the
  // extra sockets when it ends and opens new ones at the next (TCP set-up on both sides, per burst).
  const agentOpts = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets,
    maxFreeSockets: maxSockets,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const excerptBytes = o.excerptBytes ?? 1024;

  async function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpResult> {
    const deadline = AbortSignal.timeout(timeoutMs);
    let target;
    try {
      target = await resolveChecked(url.hostname, o.policy, o.resolve);
    } catch (err) {
      if (err instanceof Error && err.name === 'RefusedAddressError') throw new DeliveryFailure('refused', err.message);
      throw new DeliveryFailure(
        'network',
        `cannot resolve ${url.hostname}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const secure = url.protocol === 'https:';
    const bareHost = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const payload = Buffer.from(body);
    return new Promise<HttpResult>((resolve, reject) => {
      const req = (secure ? https : http).request({
        protocol: url.protocol,
        host: target.address,
        family: target.family,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...headers, host: url.host, 'content-length': String(payload.length) },
        ...(secure && isIP(bareHost) === 0 ? { servername: bareHost } : {}),
        signal: deadline,
      });
      req.on('error', (err: Error) => {
        if (deadline.aborted) reject(new DeliveryFailure('timeout', `no response within ${timeoutMs} ms`));
        else reject(new DeliveryFailure('network', err.message));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < excerptBytes) chunks.push(c);
          size += c.length;
          if (size > 64 * 1024) res.destroy();
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
            excerpt: Buffer.concat(chunks).subarray(0, excerptBytes).toString('utf8'),
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      req.end(payload);
    });
  }

  return {
    post,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
