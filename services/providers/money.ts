/**
 * Money and decimals without floating point. Amounts become integer minor units of an ISO 4217
 * currency at the currency's exponent (ISO 4217 "minor unit" column: JPY 0, EUR 2, KWD 3, CLF 4);
 * decimal text ("10.00", "-0.5", "1e3" is refused) is parsed digit by digit with BigInt, never
 * through a JS number. Currencies without a minor unit (XAU, XDR, …) and unknown codes are refused.
 * Anything malformed throws NormalizeError('invalid_field'): the event goes to the DLQ whole,
 * because a wrong amount on a canonical record is worse than no record.
 */
import type { Money } from '../common/canonical.ts';
import { NormalizeError } from './types.ts';

/** ISO 4217 currencies whose minor unit is not 2 (SIX list, amendment 178). All others in Intl's list: 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'.split(' ').map((c) => [c, 0]),
  ),
  ...Object.fromEntries('BHD IQD JOD KWD LYD OMR TND'.split(' ').map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
};
/** Codes ISO 4217 lists without a minor unit (metals, SDR, testing): no amount in minor units exists. */
const NO_MINOR_UNIT = new Set('XAU XAG XPT XPD XDR XBA XBB XBC XBD XTS XXX XSU XUA'.split(' '));
const KNOWN = new Set([...Intl.supportedValuesOf('currency'), ...Object.keys(EXPONENTS)]);

function invalid(message: string): never {
  throw new NormalizeError(message, 'invalid_field');
}

/** Upper-cased ISO 4217 code; NormalizeError for anything that is not a currency with a minor unit. */
export function currencyOf(code: unknown): string {
  if (typeof code !== 'string') return invalid('currency is not a string');
  const c = code.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(c) || !KNOWN.has(c) || NO_MINOR_UNIT.has(c)) {
    return invalid(`currency ${JSON.stringify(code)} is not an ISO 4217 currency with a minor unit`);
  }
  return c;
}

/** The ISO 4217 exponent (number of minor-unit digits) of a currency. */
export function exponentOf(currency: string): number {
  return EXPONENTS[currencyOf(currency)] ?? 2;
}

/** A decimal as an exact integer and a scale: value = units / 10^scale. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Strict decimal text: optional sign, digits, optional fraction. No exponent, no spaces, no thousands
 * separators, no "1." or ".5" (providers do not send them; a sender that does is a mapping to fix).
 * A JSON number the provider sent is accepted through String(n) (its shortest exact round trip).
 */
export function parseDecimal(v: unknown): Decimal {
  let text: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return invalid(`decimal ${v} is not finite`);
    text = String(v);
    if (/e/i.test(text)) return invalid(`decimal ${text} is outside the exact range`);
  } else if (typeof v === 'string') text = v;
  else return invalid('decimal is neither a string nor a number');
  const m = DECIMAL.exec(text);
  if (!m) return invalid(`${JSON.stringify(text)} is not a decimal`);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

/** Canonical decimal text: no leading zeros, no trailing fraction zeros, "-0" → "0". */
export function formatDecimal(d: Decimal): string {
  const neg = d.units < 0n;
  let digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  let scale = d.scale;
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale--;
  }
  const int = digits.slice(0, digits.length - scale);
  const text = scale > 0 ? `${int}.${digits.slice(digits.length - scale)}` : int;
  return neg && /[1-9]/.test(text) ? `-${text}` : text;
}

/** Decimal text in, canonical decimal text out (quantities and prices on Trade/Signal/OrderLine). */
export function decimalText(v: unknown): string {
  return formatDecimal(parseDecimal(v));
}

function toSafeNumber(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    return invalid(`${what} is outside the exact integer range`);
  }
  return Number(n);
}

/** A major-unit decimal ("10.00" EUR) → Money in minor units. More fraction digits than the exponent allows (unless zeros) → error. */
export function moneyFromDecimal(amount: unknown, currency: unknown): Money {
  const c = currencyOf(currency);
  const exp = exponentOf(c);
  const d = parseDecimal(amount);
  let units = d.units;
  if (d.scale <= exp) units *= 10n ** BigInt(exp - d.scale);
  else {
    const div = 10n ** BigInt(d.scale - exp);
    if (units % div !== 0n) return invalid(`${String(amount)} ${c} has more than ${exp} decimals`);
    units /= div;
  }
  return { amountMinor: toSafeNumber(units, 'amount'), currency: c };
}

/**
 * An integer amount in the PROVIDER's minor units → ISO minor units. Most providers use the ISO
 * exponent; some do not (Stripe sends MGA with 0 decimals where ISO has 2, ISK with 2 where ISO has 0):
 * pass `providerExponent`. A value that cannot be expressed exactly at the ISO exponent → error.
 */
export function moneyFromMinor(amount: unknown, currency: unknown, providerExponent?: number): Money {
  const c = currencyOf(currency);
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    return invalid(`amount ${String(amount)} is not an integer in minor units`);
  }
  const exp = exponentOf(c);
  const from = providerExponent ?? exp;
  if (from === exp) return { amountMinor: amount, currency: c };
  return moneyFromDecimal(formatDecimal({ units: BigInt(amount), scale: from }), c);
}

/** Money → major-unit decimal text at the currency's exponent: {1000, EUR} → "10.00". */
export function moneyToDecimal(m: Money): string {
  const exp = exponentOf(m.currency);
  const neg = m.amountMinor < 0;
  const digits = String(Math.abs(m.amountMinor)).padStart(exp + 1, '0');
  const text = exp > 0 ? `${digits.slice(0, -exp)}.${digits.slice(-exp)}` : digits;
  return neg ? `-${text}` : text;
}
