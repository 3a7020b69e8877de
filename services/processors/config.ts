/** The processors' settings (defaults and bounds, validated at start) and their retry topics. */
import { int, list, listOf, type ConfigOf } from '../common/config.ts';
import { DOMAINS, RETRY_TOPICS } from '../common/contracts/index.ts';
import { ConfigError } from '../common/errors.ts';
import { sourcesSpec } from '../common/source-store-redis.ts';

export const processorsSpec = {
  /** Delays of processors.retry.5s / .1m / .10m, ms (the topic names are fixed; the delays are not). */
  PROCESSORS_RETRY_DELAYS_MS: list(['5000', '60000', '600000']),
  /** Domains consumed (events.<domain>). */
  PROCESSORS_DOMAINS: listOf(DOMAINS),
  PROCESSORS_CHUNK_SIZE: int(200, 1, 10_000),
  PROCESSORS_PARTITIONS_CONCURRENTLY: int(6, 1, 64),
  PROCESSORS_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  /** Max time to read an input partition's replay watermark back when it is assigned. */
  PROCESSORS_RESTORE_TIMEOUT_MS: int(120_000, 1000),
  /** Timeout of one enrichment GET (thin webhooks: enrich/fetch.ts). */
  PROCESSORS_ENRICH_TIMEOUT_MS: int(10_000, 100, 120_000),
  /** Delays of webhooks.enrich.retry.5s / .1m / .10m, ms (transient API failures; then webhooks.dlq). */
  PROCESSORS_ENRICH_RETRY_DELAYS_MS: list(['5000', '60000', '600000']),
  /** Resources fetched at the same time within one chunk of one partition (one resource: one at a time). */
  PROCESSORS_ENRICH_CONCURRENCY: int(8, 1, 256),
  /** Records of webhooks.enrich per transaction. */
  PROCESSORS_ENRICH_CHUNK_SIZE: int(100, 1, 10_000),
  /**
   * SOURCES_STORE, SOURCES_FILE, REDIS_KEY_PREFIX (source-store-redis.ts): the sources' API credentials for
   * the enrichment stage. With SOURCES_STORE=file and no SOURCES_FILE, the stage does not run: the validator
   * then must not see credentials either (same sources everywhere), or webhooks.enrich is not consumed.
   */
  ...sourcesSpec,
};

export type ProcessorsConfig = ConfigOf<typeof processorsSpec>;

export function parseDelays(
  raw: readonly string[],
  name = 'PROCESSORS_RETRY_DELAYS_MS',
  count: number = RETRY_TOPICS.length,
): number[] {
  const delays = raw.map(Number);
  if (delays.length !== count || delays.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ConfigError(`${name} must be ${count} non-negative integers (ms), got "${raw.join(',')}"`);
  }
  return delays;
}
