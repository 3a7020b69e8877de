import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StageHandler } from './stage.ts';
import type { InMessage, OutRecord } from './types.ts';
import { skipReread, type WatermarkStore } from './watermark.ts';

const msg = (offset: number, partition = 0): InMessage => ({
  topic: 'in',
  partition,
  offset: String(offset),
  key: 'k',
  value: Buffer.from(`v${offset}`),
  headers: {},
  timestamp: 0,
});
const ctx = (partition = 0) => ({ topic: 'in', partition, attempt: 0 });

/** An in-memory store: what was "committed" is what the test puts in `committed`. */
function memoryStore(committed: Map<string, bigint>): WatermarkStore & { reads: number } {
  const store = {
    reads: 0,
    read(topic: string, partition: number) {
      store.reads++;
      return Promise.resolve(committed.get(`${topic}/${partition}`) ?? -1n);
    },
    record(topic: string, partition: number, offset: bigint): OutRecord {
      return { topic: 'wm', partition, key: `${topic}/${partition}`, value: Buffer.from(offset.toString()) };
    },
  };
  return store;
}

function echo(seen: string[]): StageHandler {
  return {
    handle(messages) {
      seen.push(...messages.map((m) => m.offset));
      return Promise.resolve(messages.map((m) => ({ topic: 'out', key: m.key, value: m.value })));
    },
  };
}

describe('skipReread', () => {
  test('first-time processing: every record reaches the handler, the watermark follows the chunk', async () => {
    const seen: string[] = [];
    const h = skipReread(echo(seen), { store: memoryStore(new Map()) });
    await h.prepare!('in', 0);
    const out = await h.handle([msg(0), msg(1), msg(2)], ctx());
    assert.deepEqual(seen, ['0', '1', '2']);
    assert.equal(out.length, 4);
    assert.deepEqual(out[3], { topic: 'wm', partition: 0, key: 'in/0', value: Buffer.from('2') });
  });

  test('records at or below the restored watermark are skipped and counted', async () => {
    const seen: string[] = [];
    let reread = 0;
    const h = skipReread(echo(seen), { store: memoryStore(new Map([['in/0', 5n]])), onReread: (n) => (reread += n) });
    await h.prepare!('in', 0);
    assert.deepEqual(
      await h.handle([msg(3), msg(4), msg(5)], ctx()),
      [],
      'a fully re-read chunk produces nothing, not even a watermark',
    );
    const out = await h.handle([msg(6), msg(7)], ctx());
    assert.deepEqual(seen, ['6', '7']);
    assert.equal(reread, 3);
    assert.equal(out.at(-1)!.value!.toString(), '7');
  });

  test('a chunk straddling the watermark runs only its new records', async () => {
    const seen: string[] = [];
    const h = skipReread(echo(seen), { store: memoryStore(new Map([['in/0', 1n]])) });
    await h.prepare!('in', 0);
    await h.handle([msg(0), msg(1), msg(2), msg(3)], ctx());
    assert.deepEqual(seen, ['2', '3']);
  });

  test('partitions are independent; release then prepare reads the committed watermark again', async () => {
    const committed = new Map([['in/1', 10n]]);
    const store = memoryStore(committed);
    const seen: string[] = [];
    const h = skipReread(echo(seen), { store });
    await h.prepare!('in', 0);
    await h.prepare!('in', 1);
    await h.handle([msg(4, 0)], ctx(0));
    await h.handle([msg(9, 1), msg(11, 1)], ctx(1));
    assert.deepEqual(seen, ['4', '11']);
    // The chunk's transaction aborted: the in-memory advance to 11 is dropped with the partition.
    h.release!('in', 1);
    await h.prepare!('in', 1);
    await h.handle([msg(11, 1)], ctx(1));
    assert.deepEqual(seen, ['4', '11', '11'], 'the aborted record runs again');
    assert.equal(store.reads, 3);
  });

  test('handle before prepare is a bug, not a silent pass-through', async () => {
    const h = skipReread(echo([]), { store: memoryStore(new Map()) });
    await assert.rejects(h.handle([msg(0)], ctx()), /before prepare/);
  });
});
