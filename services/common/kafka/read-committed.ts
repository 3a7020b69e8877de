/**
 * Fix for a kafkajs 2.2.4 read_committed bug: records of ABORTED transactions reach consumers.
 *
 * kafkajs (src/consumer/filterAbortedMessages.js) activates at most ONE aborted transaction per
 * message ("if offset ≥ next.firstOffset → shift one"). When a fetch starts after the first offsets
 * of several aborted transactions — e.g. several transactional producers (one per input partition
 * of a stage) killed together while writing the same output partition — only the first is
 * activated at the first message, and the other producers' aborted records are handed to the
 * application as if committed. Found by the validator's kill test: a plain Java consumer with
 * isolation.level=read_committed saw each event once, kafkajs saw 5–7 aborted copies.
 *
 * The fix does what the Java consumer does (Fetcher/CompletedFetch: a priority queue of aborted
 * transactions by first offset, all of them activated up to the current offset, a producer
 * released by its ABORT marker). It runs on the decoded Fetch response, before kafkajs builds its
 * batches: aborted data records are flagged as control records, so kafkajs drops them from
 * `batch.messages` but still counts their offsets (the consumer moves past them exactly as past a
 * transaction marker), and the aborted-transaction list is emptied so the buggy filter is a no-op.
 *
 * Patched on Broker.prototype, so it applies to every kafkajs client in the process whatever the
 * import order. Remove when kafkajs (or its successor) filters correctly.
 */
import { createRequire } from 'node:module';

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext?: { producerId?: string; inTransaction?: boolean };
}
interface FetchedPartition {
  abortedTransactions?: { producerId: string; firstOffset: string }[];
  messages?: FetchedMessage[];
}
interface FetchResponse {
  responses?: { partitions?: FetchedPartition[] }[];
}

const ABORT_KEY = Buffer.from([0, 0, 0, 0]);

/** Flags the records of aborted transactions in one fetched partition (Java consumer semantics). Returns how many. */
export function flagAbortedRecords(p: FetchedPartition): number {
  const aborted = p.abortedTransactions;
  if (!aborted || aborted.length === 0 || !p.messages) return 0;
  const queue = [...aborted].sort((a, b) =>
    BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0,
  );
  const active = new Set<string>();
  let flagged = 0;
  for (const m of p.messages) {
    const offset = BigInt(m.offset);
    while (queue.length > 0 && offset >= BigInt(queue[0]!.firstOffset)) active.add(String(queue.shift()!.producerId));
    const pid = String(m.batchContext?.producerId);
    if (m.isControlRecord) {
      if (m.key && Buffer.from(m.key).equals(ABORT_KEY)) active.delete(pid);
      continue;
    }
    if (m.batchContext?.inTransaction && active.has(pid)) {
      m.isControlRecord = true;
      flagged++;
    }
  }
  p.abortedTransactions = [];
  return flagged;
}

export function fixFetchResponse(res: FetchResponse): FetchResponse {
  for (const t of res.responses ?? []) for (const p of t.partitions ?? []) flagAbortedRecords(p);
  return res;
}

const PATCHED = Symbol.for('hookline.kafkajs.readCommittedFix');

type FetchFn = (this: unknown, args: unknown) => Promise<FetchResponse>;

/** Idempotent: wraps kafkajs Broker.prototype.fetch once per process. */
export function installReadCommittedFix(): void {
  const require = createRequire(import.meta.url);
  const Broker = require('kafkajs/src/broker') as { prototype: { fetch: FetchFn; [PATCHED]?: true } };
  const proto = Broker.prototype;
  if (proto[PATCHED]) return;
  const original = proto.fetch;
  proto.fetch = async function fetchReadCommitted(this: unknown, args: unknown): Promise<FetchResponse> {
    return fixFetchResponse(await original.call(this, args));
  };
  proto[PATCHED] = true;
}

installReadCommittedFix();
