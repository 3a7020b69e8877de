import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { SourceConfig } from '../types.ts';
import { mollieEnrichment, mollieOrdering } from './enrich.ts';

const PAID = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/mollie/get-payment-paid.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const embedded = (entity: unknown) => mollieEnrichment.embed({ id: 'tr_WDqYK6vllg' }, entity);
const source: SourceConfig = {
  id: 'm',
  provider: 'mollie',
  secrets: ['t'],
  options: { apiBaseUrl: 'http://127.0.0.1:1' },
};

describe('Mollie classic enrichment (pure part)', () => {
  it('GET /v2/payments/{id} or /v2/orders/{id} with the key as Bearer; nothing for other ids or an embedded object', () => {
    assert.deepEqual(mollieEnrichment.request({ id: 'tr_WDqYK6vllg' }, source, 'k'), {
      url: 'http://127.0.0.1:1/v2/payments/tr_WDqYK6vllg',
      headers: { authorization: 'Bearer k', accept: 'application/json' },
    });
    assert.equal(mollieEnrichment.request({ id: 'ord_1' }, source, 'k')?.url, 'http://127.0.0.1:1/v2/orders/ord_1');
    assert.equal(mollieEnrichment.request({ id: 'sub_1' }, source, 'k'), null);
    assert.equal(mollieEnrichment.request({ id: 'tr_../x' }, source, 'k'), null);
    assert.equal(mollieEnrichment.request(embedded(PAID), source, 'k'), null);
  });

  it('STATUS ordering from the fetched object: rank of its status, value = the time that status was reached', () => {
    assert.deepEqual(mollieOrdering(embedded(PAID)), {
      kind: 'STATUS',
      value: Date.parse('2018-03-20T13:14:02+00:00'),
      statusRank: 3,
    });
    const open = { ...PAID, status: 'open', paidAt: undefined };
    assert.deepEqual(mollieOrdering(embedded(open)), {
      kind: 'STATUS',
      value: Date.parse('2018-03-20T13:13:37+00:00'),
      statusRank: 0,
    });
    const a = mollieOrdering(embedded(open))!;
    const b = mollieOrdering(embedded(PAID))!;
    assert.ok(b.statusRank! > a.statusRank!, 'paid orders after open');
    assert.equal(mollieOrdering(embedded({ resource: 'customer', id: 'cst_1' })), null);
    assert.equal(
      mollieOrdering(embedded({ resource: 'payment', id: 'tr_1', status: 'paid' })),
      null,
      'no time: keep NONE',
    );
  });
});
