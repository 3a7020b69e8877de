/**
 * Splits records into consecutive groups whose size stays under a byte budget, so that one
 * produce request never carries a record batch bigger than the broker accepts (max.message.bytes,
 * 1 MB by default): kafkajs puts all records of one partition in a request into ONE record batch
 * and does not split it, so an oversized batch fails with MESSAGE_TOO_LARGE on every retry.
 * Order is kept; a single record above the budget forms a group of its own.
 */
import type { OutRecord } from './types.ts';

/** Per-record framing (offset/timestamp deltas, lengths, attributes), generously rounded up. */
const RECORD_OVERHEAD = 64;

export function recordBytes(r: OutRecord): number {
  let n = RECORD_OVERHEAD + (r.key === null ? 0 : Buffer.byteLength(r.key)) + (r.value?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n;
}

export function splitBySize<R extends OutRecord>(records: readonly R[], maxBytes: number): R[][] {
  const groups: R[][] = [];
  let current: R[] = [];
  let size = 0;
  for (const r of records) {
    const n = recordBytes(r);
    if (current.length > 0 && size + n > maxBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += n;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
