import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordBytes, splitBySize } from './split.ts';

const rec = (bytes: number, key = 'k') => ({ topic: 't', key, value: Buffer.alloc(bytes), headers: { h: 'v' } });

describe('splitBySize', () => {
  test('keeps order and stays under the budget', () => {
    const records = Array.from({ length: 50 }, (_, i) => rec(1000 + i));
    const groups = splitBySize(records, 10_000);
    assert.deepEqual(groups.flat(), records);
    for (const g of groups) assert.ok(g.reduce((s, r) => s + recordBytes(r), 0) <= 10_000);
    assert.ok(groups.length > 1);
  });
  test('one group when everything fits; none for no records', () => {
    assert.equal(splitBySize([rec(10), rec(10)], 1_000_000).length, 1);
    assert.deepEqual(splitBySize([], 100), []);
  });
  test('a record above the budget travels alone', () => {
    const groups = splitBySize([rec(10), rec(5000), rec(10)], 1000);
    assert.deepEqual(
      groups.map((g) => g.length),
      [1, 1, 1],
    );
  });
});
