/**
 * Schema registry connection: HTTP basic auth (Confluent Cloud API keys, Aiven, Karapace) and TLS
 * with a custom CA and, for mTLS, a client certificate. One https.Agent carries the TLS settings
 * for both the registry client library and our own requests (registration, readiness), so the two
 * cannot disagree. Credentials are sent only over the URL's scheme; `http://` with a password is
 * refused at start, since it would send the password in clear text.
 */
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { optStr, type ConfigOf } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { pemFile, secret } from './secrets.ts';

export const registrySecuritySpec = {
  SCHEMA_REGISTRY_USERNAME: optStr(),
  SCHEMA_REGISTRY_PASSWORD: secret(),
  SCHEMA_REGISTRY_CA_FILE: pemFile(),
  SCHEMA_REGISTRY_CERT_FILE: pemFile(),
  SCHEMA_REGISTRY_KEY_FILE: pemFile(),
};
export const REGISTRY_SECRETS = ['SCHEMA_REGISTRY_PASSWORD'] as const;

export type RegistrySecurityConfig = ConfigOf<typeof registrySecuritySpec> & { readonly SCHEMA_REGISTRY_URL: string };

export interface RegistryConnection {
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string } | undefined;
  readonly agent?: Agent | undefined;
}

export function registryConnection(c: RegistrySecurityConfig): RegistryConnection {
  const https = c.SCHEMA_REGISTRY_URL.startsWith('https:');
  const problems: string[] = [];
  if (Boolean(c.SCHEMA_REGISTRY_USERNAME) !== Boolean(c.SCHEMA_REGISTRY_PASSWORD))
    problems.push('SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (or _FILE) go together');
  if (c.SCHEMA_REGISTRY_PASSWORD && !https)
    problems.push('SCHEMA_REGISTRY_PASSWORD needs an https:// SCHEMA_REGISTRY_URL (it would travel in clear text)');
  if (!https && (c.SCHEMA_REGISTRY_CA_FILE || c.SCHEMA_REGISTRY_CERT_FILE))
    problems.push('SCHEMA_REGISTRY_CA_FILE / _CERT_FILE need an https:// SCHEMA_REGISTRY_URL');
  if (Boolean(c.SCHEMA_REGISTRY_CERT_FILE) !== Boolean(c.SCHEMA_REGISTRY_KEY_FILE))
    problems.push('SCHEMA_REGISTRY_CERT_FILE and SCHEMA_REGISTRY_KEY_FILE go together');
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  const agent = https
    ? new Agent({
        keepAlive: true,
        rejectUnauthorized: true,
        ...(c.SCHEMA_REGISTRY_CA_FILE ? { ca: c.SCHEMA_REGISTRY_CA_FILE.pem } : {}),
        ...(c.SCHEMA_REGISTRY_CERT_FILE ? { cert: c.SCHEMA_REGISTRY_CERT_FILE.pem } : {}),
        ...(c.SCHEMA_REGISTRY_KEY_FILE ? { key: c.SCHEMA_REGISTRY_KEY_FILE.pem } : {}),
      })
    : undefined;
  const auth =
    c.SCHEMA_REGISTRY_USERNAME && c.SCHEMA_REGISTRY_PASSWORD
      ? { username: c.SCHEMA_REGISTRY_USERNAME, password: c.SCHEMA_REGISTRY_PASSWORD.reveal() }
      : undefined;
  return { url: c.SCHEMA_REGISTRY_URL, auth, agent };
}

export const asRegistryConnection = (r: string | RegistryConnection): RegistryConnection =>
  typeof r === 'string' ? { url: r } : r;

/** One request to the registry with the connection's TLS and credentials; the body is parsed as JSON when it is. */
export function registryRequest(
  conn: RegistryConnection,
  path: string,
  init: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const target = new URL(`${conn.url}${path}`);
  const headers: Record<string, string> = {
    'content-type': 'application/vnd.schemaregistry.v1+json',
    accept: 'application/json',
  };
  if (conn.auth)
    headers.authorization = `Basic ${Buffer.from(`${conn.auth.username}:${conn.auth.password}`).toString('base64')}`;
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: init.method ?? 'GET',
        headers,
        ...(conn.agent ? { agent: conn.agent } : {}),
        timeout: init.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(chunks) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`registry request timed out after ${init.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

function parseBody(chunks: Buffer[]): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
