/**
 * Kafka connection security, in the vocabulary of Kafka's own clients (security.protocol,
 * sasl.mechanism) so settings copied from Confluent Cloud, MSK or Strimzi docs map one to one.
 * TLS verifies the broker against the system CAs or KAFKA_SSL_CA_FILE, and its hostname unless
 * KAFKA_SSL_VERIFY_HOSTNAME=false; certificate verification itself cannot be turned off. A
 * protocol with SSL never falls back to plaintext: kafkajs opens TLS sockets or nothing.
 * OAUTHBEARER: kafkajs calls a token provider before each authentication; ours re-reads
 * KAFKA_SASL_OAUTHBEARER_TOKEN_FILE each time (a sidecar or projected volume keeps it fresh), and
 * code that builds the client itself may pass any provider (`oauthBearerProvider`).
 */
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { bool, oneOf, optStr, type ConfigOf } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { optOneOf, pemFile, secret } from './secrets.ts';

export const KAFKA_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export const KAFKA_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

export const kafkaSecuritySpec = {
  KAFKA_SECURITY_PROTOCOL: oneOf(KAFKA_PROTOCOLS, 'PLAINTEXT'),
  KAFKA_SSL_CA_FILE: pemFile(),
  KAFKA_SSL_CERT_FILE: pemFile(),
  KAFKA_SSL_KEY_FILE: pemFile(),
  KAFKA_SSL_KEY_PASSWORD: secret(),
  KAFKA_SSL_VERIFY_HOSTNAME: bool(true),
  KAFKA_SASL_MECHANISM: optOneOf(KAFKA_SASL_MECHANISMS),
  KAFKA_SASL_USERNAME: optStr(),
  KAFKA_SASL_PASSWORD: secret(),
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: optStr(),
};
export const KAFKA_SECRETS = ['KAFKA_SSL_KEY_PASSWORD', 'KAFKA_SASL_PASSWORD'] as const;

export type KafkaSecurityConfig = ConfigOf<typeof kafkaSecuritySpec>;

export type OauthBearerProvider = () => Promise<{ value: string }>;

export type KafkaSasl =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: OauthBearerProvider };

/** What kafkajs's client takes (`ssl`, `sasl`), plus a description without secrets for logs. */
export interface KafkaSecurity {
  readonly ssl?: ConnectionOptions | undefined;
  readonly sasl?: KafkaSasl | undefined;
  readonly describe: string;
}

const tokenFromFile =
  (path: string): OauthBearerProvider =>
  async () => {
    const value = (await readFile(path, 'utf8')).trim();
    if (value === '') throw new ConfigError(`KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (${path}) is empty`);
    return { value };
  };

/** Checks the combination (naming the variables) and builds the client options. */
export function kafkaSecurity(c: KafkaSecurityConfig, oauthBearerProvider?: OauthBearerProvider): KafkaSecurity {
  const protocol = c.KAFKA_SECURITY_PROTOCOL;
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const problems: string[] = [];
  if (!tls) {
    for (const v of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const)
      if (c[v]) problems.push(`${v} is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS`);
  }
  if (Boolean(c.KAFKA_SSL_CERT_FILE) !== Boolean(c.KAFKA_SSL_KEY_FILE))
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (client certificate and its key)');
  if (!sasl && (c.KAFKA_SASL_MECHANISM || c.KAFKA_SASL_USERNAME || c.KAFKA_SASL_PASSWORD))
    problems.push(`KAFKA_SASL_* is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use SASL`);
  const mechanism = c.KAFKA_SASL_MECHANISM;
  if (sasl && !mechanism) problems.push(`KAFKA_SASL_MECHANISM is required with KAFKA_SECURITY_PROTOCOL=${protocol}`);
  if (sasl && mechanism && mechanism !== 'OAUTHBEARER') {
    if (!c.KAFKA_SASL_USERNAME) problems.push(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!c.KAFKA_SASL_PASSWORD)
      problems.push(
        `KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM=${mechanism}`,
      );
  }
  if (sasl && mechanism === 'OAUTHBEARER' && !oauthBearerProvider && !c.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE)
    problems.push('KAFKA_SASL_OAUTHBEARER_TOKEN_FILE is required with KAFKA_SASL_MECHANISM=OAUTHBEARER');
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);

  const ssl: ConnectionOptions | undefined = tls
    ? {
        rejectUnauthorized: true,
        ...(c.KAFKA_SSL_CA_FILE ? { ca: c.KAFKA_SSL_CA_FILE.pem } : {}),
        ...(c.KAFKA_SSL_CERT_FILE ? { cert: c.KAFKA_SSL_CERT_FILE.pem } : {}),
        ...(c.KAFKA_SSL_KEY_FILE ? { key: c.KAFKA_SSL_KEY_FILE.pem } : {}),
        ...(c.KAFKA_SSL_KEY_PASSWORD ? { passphrase: c.KAFKA_SSL_KEY_PASSWORD.reveal() } : {}),
        ...(c.KAFKA_SSL_VERIFY_HOSTNAME ? {} : { checkServerIdentity: () => undefined }),
      }
    : undefined;
  let saslOpts: KafkaSasl | undefined;
  if (sasl && mechanism === 'OAUTHBEARER') {
    saslOpts = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: oauthBearerProvider ?? tokenFromFile(c.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE ?? ''),
    };
  } else if (sasl && mechanism) {
    const creds = { username: c.KAFKA_SASL_USERNAME ?? '', password: c.KAFKA_SASL_PASSWORD?.reveal() ?? '' };
    saslOpts =
      mechanism === 'PLAIN'
        ? { mechanism: 'plain', ...creds }
        : mechanism === 'SCRAM-SHA-256'
          ? { mechanism: 'scram-sha-256', ...creds }
          : { mechanism: 'scram-sha-512', ...creds };
  }
  const who = sasl ? ` ${mechanism ?? ''}${c.KAFKA_SASL_USERNAME ? ` as ${c.KAFKA_SASL_USERNAME}` : ''}` : '';
  const ca = tls ? (c.KAFKA_SSL_CA_FILE ? ` CA ${c.KAFKA_SSL_CA_FILE.path}` : ' system CAs') : '';
  return { ssl, sasl: saslOpts, describe: `${protocol}${who}${ca}` };
}
