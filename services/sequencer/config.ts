/** The sequencer's settings: defaults and bounds, validated at start (common/config.ts). */
import { int, type ConfigOf } from '../common/config.ts';

export const sequencerSpec = {
  /** How long an event ahead of a missing predecessor waits before it is released with a gap marker. */
  SEQUENCER_HOLD_BACK_MS: int(60_000, 100, 86_400_000),
  /** The sequence number a resource starts at (an event at or below it, with no state, applies at once). */
  SEQUENCER_FIRST_SEQUENCE: int(1, 0),
  /** Applied event ids remembered per resource (exact re-deliveries of these are dropped). */
  SEQUENCER_RECENT_IDS: int(32, 1, 10_000),
  /** Bounds on held events; on a hit the lowest held event (resource) / the longest-held resource (partition) is released with a gap marker. */
  SEQUENCER_MAX_HELD_PER_RESOURCE: int(1000, 1),
  /** Below the broker's max.message.bytes: all held events of a resource are one changelog record. */
  SEQUENCER_MAX_HELD_BYTES_PER_RESOURCE: int(262_144, 1024, 900_000),
  SEQUENCER_MAX_HELD_PER_PARTITION: int(100_000, 1),
  SEQUENCER_MAX_HELD_BYTES_PER_PARTITION: int(64 * 1024 * 1024, 1024),
  /** How often quiet partitions are checked for due hold-back deadlines. */
  SEQUENCER_TICK_INTERVAL_MS: int(1000, 50, 60_000),
  SEQUENCER_RESTORE_TIMEOUT_MS: int(120_000, 1000),
  /** A resource's ordering state is dropped this long after its last change (nothing held); default 30 days. */
  SEQUENCER_STATE_TTL_MS: int(30 * 86_400_000, 1000),
  SEQUENCER_CHUNK_SIZE: int(500, 1, 10_000),
  SEQUENCER_PARTITIONS_CONCURRENTLY: int(3, 1, 64),
  SEQUENCER_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  SEQUENCER_TRANSACTION_TIMEOUT_MS: int(60_000, 1_000, 900_000),
};

export type SequencerConfig = ConfigOf<typeof sequencerSpec>;
