/** The validator's settings: defaults and bounds, validated at start (common/config.ts). */
import { int, type ConfigOf } from '../common/config.ts';
import { sourcesSpec } from '../common/source-store-redis.ts';

export const validatorSpec = {
  /** SOURCES_STORE (file | redis), SOURCES_FILE, REDIS_KEY_PREFIX: see services/common/source-store-redis.ts. */
  ...sourcesSpec,
  /**
   * Raw records per transaction: 1000, measured with `npm run bench:validator` (33k records, mixed
   * providers, 1 MiB fetch per partition, shared 2-core box), as % of the plain consume→produce
   * baseline: chunk 100 → 34% (20 ms per transaction: the fixed AddOffsetsToTxn / TxnOffsetCommit /
   * EndTxn + markers dominate), 250 → 45%, 500 → 43–53% (a ~600-record fetch is cut into 500 + ~100,
   * 320 records per transaction), 1000 → 50–54% (one transaction per fetched batch, ~615 records,
   * ~100 ms), 2000 with a 2 MiB fetch → 52%. Beyond one fetched batch it is flat, while the commit
   * latency and the work redone after an abort keep growing. A chunk is also bounded by one fetch
   * (VALIDATOR_FETCH_BYTES per partition).
   */
  VALIDATOR_CHUNK_SIZE: int(1000, 1, 10_000),
  /** Partitions of webhooks.raw processed concurrently by one instance. */
  VALIDATOR_PARTITIONS_CONCURRENTLY: int(3, 1, 64),
  /** Max bytes fetched per partition per request (bounds a chunk's size in bytes). */
  VALIDATOR_FETCH_BYTES: int(1_048_576, 65_536, 52_428_800),
  /** Largest normalized record (bytes); bigger → DLQ record_too_large. Below the broker's max.message.bytes (1 MB default). */
  VALIDATOR_MAX_RECORD_BYTES: int(1_000_000, 1024, 104_857_600),
  /** Consumer session timeout: how long a dead instance keeps its partitions. */
  VALIDATOR_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  /** Kafka transaction timeout: an open transaction of a dead instance is aborted after this at the latest. */
  VALIDATOR_TRANSACTION_TIMEOUT_MS: int(60_000, 1_000, 900_000),
};

export type ValidatorConfig = ConfigOf<typeof validatorSpec>;
