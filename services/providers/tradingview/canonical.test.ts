import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NormalizeError } from '../types.ts';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const TEXT = { contentType: 'text/plain' };

describe('tradingview canonical records', () => {
  it('strategy-alert fixture → Signal, field by field (decimals as text, passphrase never in it)', () => {
    const c = canonicalFor(provider, fixtureText('tradingview', 'strategy-alert.json'));
    assert.deepEqual(entity(c, 'signal'), {
      id: 'Long Entry',
      symbol: 'BTCUSD',
      side: 'buy',
      quantity: '1',
      price: '98123.5',
      venue: 'BITSTAMP',
      strategy: null,
      text: null,
    });
    assert.ok(!JSON.stringify(c).includes('tv-secret-1'));
  });
  it('text-alert fixture → Signal with only the text', () => {
    assert.deepEqual(entity(canonicalFor(provider, fixtureText('tradingview', 'text-alert.txt'), TEXT), 'signal'), {
      id: null,
      symbol: null,
      side: 'unknown',
      quantity: null,
      price: null,
      venue: null,
      strategy: null,
      text: 'BTCUSD Greater Than 9000',
    });
  });
  it('exact decimals beyond float precision; an unknown side is unknown; a non-decimal price is refused', () => {
    const s = entity(
      canonicalFor(provider, '{"ticker":"ETHUSD","side":"long","quantity":0.10000000000000000001,"price":"3000.00"}'),
      'signal',
    );
    assert.deepEqual([s.quantity, s.price, s.side], ['0.10000000000000000001', '3000', 'unknown']);
    assert.throws(() => canonicalFor(provider, '{"ticker":"ETHUSD","price":"1e3"}'), NormalizeError);
  });
});
