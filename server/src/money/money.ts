import type { CurrencyCode } from './currency.js';
import { currencyExponent } from './currency.js';
import type { DecimalInput } from './decimal.js';
import { parseDecimal } from './decimal.js';
import { CurrencyMismatchError, InvalidAmountError, PrecisionLossError } from './errors.js';
import type { RoundingMode } from './rounding.js';
import { DEFAULT_ROUNDING_MODE, divideRounded } from './rounding.js';

/**
 * An amount of money: a whole number of the currency's minor units (cents for USD, yen for JPY, fils
 * for KWD) and the currency. 12.34 USD is { amount: 1234n, currency: 'USD' }.
 *
 * A plain readonly object, so it serialises, compares with toEqual and crosses module boundaries
 * without a class. Values are frozen; every operation returns a new one.
 */
export type Money = { readonly amount: bigint; readonly currency: CurrencyCode };

/** An exact ratio, such as a proration (12 of 31 days). Same shape as the one time/ produces. */
export type Fraction = { readonly numerator: bigint; readonly denominator: bigint };

export function money(amount: bigint, currency: CurrencyCode): Money {
  // Checked at run time as well: a number from JSON or a driver would otherwise lose precision silently.
  if (typeof amount !== 'bigint') {
    throw new InvalidAmountError(`Amount must be a bigint of minor units, got ${typeof amount}`);
  }
  currencyExponent(currency); // throws UnknownCurrencyError
  return Object.freeze({ amount, currency });
}

export function zero(currency: CurrencyCode): Money {
  return money(0n, currency);
}

function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

export function negate(m: Money): Money {
  return money(-m.amount, m.currency);
}

/**
 * Total of a list in one currency. The currency is a parameter, not taken from the first element, so an
 * empty list still has a well-defined total (zero) and every element is checked against it.
 */
export function sum(currency: CurrencyCode, list: Iterable<Money>): Money {
  let total = zero(currency);
  for (const item of list) total = add(total, item);
  return total;
}

export function isZero(m: Money): boolean {
  return m.amount === 0n;
}

export function isNegative(m: Money): boolean {
  return m.amount < 0n;
}

export function isPositive(m: Money): boolean {
  return m.amount > 0n;
}

/** -1, 0 or 1, usable as an Array.prototype.sort comparator. Throws on mixed currencies. */
export function compare(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a, b);
  if (a.amount < b.amount) return -1;
  if (a.amount > b.amount) return 1;
  return 0;
}

/**
 * m × factor, rounded once to minor units. The factor is an exact decimal ('0.0125', '1.5', a Decimal),
 * never a number. The product is computed exactly in bigint, whatever the sizes, and then rounded with
 * `mode` (half_up unless stated).
 *
 * multiplyByDecimal(money(1000n, 'USD'), '0.0125') → 12.5 cents → 13n cents.
 */
export function multiplyByDecimal(
  m: Money,
  factor: DecimalInput,
  mode: RoundingMode = DEFAULT_ROUNDING_MODE,
): Money {
  const { coefficient, scale } = parseDecimal(factor);
  return money(divideRounded(m.amount * coefficient, 10n ** BigInt(scale), mode), m.currency);
}

/**
 * m × numerator / denominator, rounded once. Use it to charge a share of an amount (a prorated fee).
 * To split an amount into parts that must add back up to it, use `allocate` instead: rounding each part
 * separately can gain or lose a minor unit.
 */
export function multiplyByFraction(
  m: Money,
  fraction: Fraction,
  mode: RoundingMode = DEFAULT_ROUNDING_MODE,
): Money {
  return money(divideRounded(m.amount * fraction.numerator, fraction.denominator, mode), m.currency);
}

/**
 * Parses a major-unit decimal string: fromDecimalString('12.34', 'USD') → 1234n cents.
 *
 * Without a rounding mode, digits beyond the currency's exponent are an error ('12.345' USD would lose
 * half a cent) unless they are zeros ('12.340' is exactly 12.34). With a mode, the value is rounded.
 */
export function fromDecimalString(value: string, currency: CurrencyCode, mode?: RoundingMode): Money {
  const exponent = currencyExponent(currency);
  const { coefficient, scale } = parseDecimal(value);
  if (scale <= exponent) return money(coefficient * 10n ** BigInt(exponent - scale), currency);

  const divisor = 10n ** BigInt(scale - exponent);
  if (mode !== undefined) return money(divideRounded(coefficient, divisor, mode), currency);
  if (coefficient % divisor !== 0n) {
    throw new PrecisionLossError(
      `${value} has more than ${exponent} fraction digits for ${currency}; pass a rounding mode to round it`,
    );
  }
  return money(coefficient / divisor, currency);
}
