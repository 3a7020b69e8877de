import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  currencyOf,
  decimalText,
  exponentOf,
  formatDecimal,
  moneyFromDecimal,
  moneyFromMinor,
  moneyToDecimal,
  parseDecimal,
} from './money.ts';
import { NormalizeError } from './types.ts';

const CURRENCIES = ['EUR', 'USD', 'JPY', 'KWD', 'BHD', 'CLF', 'ISK', 'KRW', 'GBP', 'TND'];
const isInvalid = (err: unknown) => err instanceof NormalizeError && err.reason === 'invalid_field';

describe('ISO 4217 exponents', () => {
  it('knows the exponents the issue names and the edge ones', () => {
    assert.equal(exponentOf('JPY'), 0);
    assert.equal(exponentOf('eur'), 2);
    assert.equal(exponentOf('KWD'), 3);
    assert.equal(exponentOf('CLF'), 4);
    assert.equal(exponentOf('ISK'), 0);
  });
  it('refuses unknown codes and codes without a minor unit', () => {
    for (const c of ['EURO', 'ZZZ', 'XAU', 'XDR', '', 12]) assert.throws(() => currencyOf(c), isInvalid, String(c));
  });
});

describe('decimal parsing (property tests)', () => {
  it('minor units → decimal text → minor units is the identity, for every exponent', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom(...CURRENCIES), (minor, currency) => {
        const text = moneyToDecimal({ amountMinor: minor, currency });
        assert.deepEqual(moneyFromDecimal(text, currency), { amountMinor: minor, currency });
      }),
    );
  });
  it('the decimal text has exactly the exponent of fraction digits', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...CURRENCIES), (minor, currency) => {
        const text = moneyToDecimal({ amountMinor: minor, currency });
        assert.equal(text.split('.')[1]?.length ?? 0, exponentOf(currency));
      }),
    );
  });
  it('parse then format gives the canonical text, whatever trailing zeros or leading zeros were sent', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.nat({ max: 12 }),
        fc.nat({ max: 4 }),
        fc.nat({ max: 3 }),
        (units, scale, extraZeros, leadingZeros) => {
          const canonical = formatDecimal({ units, scale });
          const [int = '', frac = ''] = canonical.replace('-', '').split('.');
          const sign = canonical.startsWith('-') ? '-' : '';
          const padded = `${sign}${'0'.repeat(leadingZeros)}${int}.${frac}${'0'.repeat(extraZeros + 1)}`;
          assert.equal(decimalText(padded), canonical);
          const back = parseDecimal(canonical);
          assert.equal(back.units * 10n ** BigInt(scale), units * 10n ** BigInt(back.scale));
        },
      ),
    );
  });
  it('more decimals than the currency has are refused unless they are zeros', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.constantFrom(...CURRENCIES), (digit, currency) => {
        const exp = exponentOf(currency);
        const text = `1.${'0'.repeat(exp)}${digit}`;
        assert.throws(() => moneyFromDecimal(text, currency), isInvalid);
        assert.deepEqual(moneyFromDecimal(`1.${'0'.repeat(exp + 2)}`, currency).amountMinor, 10 ** exp);
      }),
    );
  });
  it('malformed strings are refused, never half-parsed', () => {
    const bad = fc.oneof(
      fc.constantFrom('', '.', '1.', '.5', '1e3', '1,00', ' 1', '1 ', '0x10', 'NaN', 'Infinity', '--1', '1.2.3', '+'),
      fc.string().filter((s) => !/^[+-]?\d+(\.\d+)?$/.test(s)),
    );
    fc.assert(
      fc.property(bad, (s) => {
        assert.throws(() => parseDecimal(s), isInvalid);
      }),
    );
  });
  it('never goes through a float: 0.1 + 0.2 style values stay exact, and huge values are refused', () => {
    assert.deepEqual(moneyFromDecimal('0.30', 'EUR'), { amountMinor: 30, currency: 'EUR' });
    assert.equal(
      decimalText('123456789012345678901234567890.000000000000000001'),
      '123456789012345678901234567890.000000000000000001',
    );
    assert.throws(() => moneyFromDecimal('90071992547409.93', 'EUR'), isInvalid);
    assert.deepEqual(moneyFromDecimal('10.00', 'EUR'), { amountMinor: 1000, currency: 'EUR' });
    assert.deepEqual(moneyFromDecimal('1000', 'JPY'), { amountMinor: 1000, currency: 'JPY' });
    assert.deepEqual(moneyFromDecimal('1.234', 'KWD'), { amountMinor: 1234, currency: 'KWD' });
    assert.deepEqual(moneyFromDecimal(24.95, 'EUR'), { amountMinor: 2495, currency: 'EUR' });
  });
  it('provider minor units at another exponent are rescaled exactly (Stripe MGA 0 → ISO 2, ISK 2 → ISO 0)', () => {
    assert.deepEqual(moneyFromMinor(500, 'mga', 0), { amountMinor: 50000, currency: 'MGA' });
    assert.deepEqual(moneyFromMinor(10000, 'isk', 2), { amountMinor: 100, currency: 'ISK' });
    assert.throws(() => moneyFromMinor(10050, 'isk', 2), isInvalid);
    assert.throws(() => moneyFromMinor(1.5, 'eur'), isInvalid);
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(...CURRENCIES), (minor, currency) => {
        assert.deepEqual(moneyFromMinor(minor, currency), { amountMinor: minor, currency });
      }),
    );
  });
});
