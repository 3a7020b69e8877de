import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from './canonical-testing.ts';
import { provider as genericHmac } from './generic-hmac/index.ts';
import { provider as standardWebhooks, validateOptions } from './standard-webhooks/index.ts';
import { NormalizeError } from './types.ts';
import { makeRecord, makeSource } from './testing.ts';

const canonicalTrade = {
  id: 'data.id',
  symbol: 'data.symbol',
  side: 'data.side',
  quantity: 'data.qty',
  price: 'data.price',
  venue: '=EXAMPLE-EX',
  orderId: 'data.orderId',
  fillId: 'data.id',
  status: 'data.status',
};
const options = { resourceIdPath: 'data.orderId', sequencePath: 'data.seq', canonicalTrade };
const fill = fixtureText('standard-webhooks', 'trade.fill.json');
const headers = { 'webhook-id': 'msg_1' };

describe('canonical Trade from a configured exchange feed (standard-webhooks, generic-hmac)', () => {
  it('trade.fill fixture → Trade, field by field: decimals exact (more digits than a float), SEQUENCE ordering', () => {
    const c = canonicalFor(standardWebhooks, fill, { headers, options });
    assert.deepEqual(entity(c, 'trade'), {
      id: 'fill-000017',
      symbol: 'BTC-EUR',
      side: 'buy',
      quantity: '0.1234567890123456789',
      price: '91234.56',
      venue: 'EXAMPLE-EX',
      orderId: 'ord-8812',
      fillId: 'fill-000017',
      status: 'partially_filled',
      providerStatus: 'PARTIALLY_FILLED',
    });
    const n = standardWebhooks.normalize(
      makeRecord('standard-webhooks', fill, { headers }),
      makeSource('standard-webhooks', ['s'], options),
    );
    assert.deepEqual([n.resourceId, n.ordering], ['ord-8812', { kind: 'SEQUENCE', value: 17, statusRank: null }]);
  });
  it('the same mapping through generic-hmac', () => {
    const t = entity(
      canonicalFor(genericHmac, fill, { options: { ...options, signatureHeader: 'x-sig', eventIdPath: 'data.id' } }),
      'trade',
    );
    assert.deepEqual([t.quantity, t.side, t.status], ['0.1234567890123456789', 'buy', 'partially_filled']);
  });
  it('without canonicalTrade, or for an event of another type: no record; the other fixtures stay record-less', () => {
    assert.equal(canonicalFor(standardWebhooks, fill, { headers }), null);
    const quote = '{"type":"quote.tick","data":{"id":"q1","bid":"1"}}';
    const onlyTrades = { canonicalTrade: { ...canonicalTrade, eventType: 'trade.*' } };
    assert.equal(canonicalFor(standardWebhooks, quote, { headers, options: onlyTrades }), null);
    assert.equal(
      entity(canonicalFor(standardWebhooks, fill, { headers, options: onlyTrades }), 'trade').id,
      'fill-000017',
    );
    assert.equal(
      canonicalFor(standardWebhooks, fixtureText('standard-webhooks', 'contact.created.json'), { headers }),
      null,
    );
    assert.equal(
      canonicalFor(genericHmac, fixtureText('generic-hmac', 'typeform-form_response.json'), {
        options: { signatureHeader: 'typeform-signature' },
      }),
      null,
    );
  });
  it('unknown side/status are unknown with the raw status kept; a float-formatted price is refused', () => {
    const body = (data: Record<string, unknown>) => JSON.stringify({ type: 'trade.fill', data: { id: 'f1', ...data } });
    const t = entity(
      canonicalFor(standardWebhooks, body({ side: 'short', status: 'HALTED' }), {
        headers,
        options: { canonicalTrade },
      }),
      'trade',
    );
    assert.deepEqual([t.side, t.status, t.providerStatus], ['unknown', 'unknown', 'HALTED']);
    assert.throws(
      () => canonicalFor(standardWebhooks, body({ price: '9.1e4' }), { headers, options: { canonicalTrade } }),
      NormalizeError,
    );
  });
  it('validateOptions names a bad canonicalTrade', () => {
    assert.deepEqual(validateOptions({ canonicalTrade: { id: 'data.id' } }), []);
    assert.deepEqual(validateOptions({ canonicalTrade: { symbol: 'x', colour: 'y' } }), [
      'canonicalTrade.colour is not a Trade field',
      'canonicalTrade.id is required',
    ]);
  });
});
