import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CurrencyCode, Money, RoundingMode } from './index.js';
import {
  add,
  allocate,
  allocateEvenly,
  CURRENCY_CODES,
  CurrencyMismatchError,
  compare,
  Decimal,
  fromDecimalString,
  money,
  multiplyByDecimal,
  negate,
  ROUNDING_MODES,
  roundDecimalToMinor,
  subtract,
  sum,
  toDecimalString,
} from './index.js';

// Well beyond int8 (9.2e18) on purpose: nothing may depend on amounts fitting a float or a column.
const amount = fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n });
const currency = fc.constantFrom(...CURRENCY_CODES);
const moneyIn = (code: CurrencyCode) => amount.map((a) => money(a, code));
const mode = fc.constantFrom(...ROUNDING_MODES);

/** Plain decimal text for coefficient × 10^-scale, e.g. (-1234n, 3) → '-1.234'. */
function decimalText(coefficient: bigint, scale: number): string {
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/**
 * Reference rounding of n / d (d > 0), written differently from the implementation on purpose: it
 * starts from the floor (toward minus infinity) and a remainder in [0, d), then decides per mode.
 */
function referenceRound(n: bigint, d: bigint, roundingMode: RoundingMode): bigint {
  const truncated = n / d;
  const floor = n < 0n && truncated * d !== n ? truncated - 1n : truncated;
  const remainder = n - floor * d; // 0 <= remainder < d
  if (remainder === 0n) return floor;
  const ceil = floor + 1n;
  switch (roundingMode) {
    case 'down':
      return n < 0n ? ceil : floor;
    case 'up':
      return n < 0n ? floor : ceil;
    case 'half_up':
      if (2n * remainder !== d) return 2n * remainder > d ? ceil : floor;
      return n < 0n ? floor : ceil;
    case 'half_even':
      if (2n * remainder !== d) return 2n * remainder > d ? ceil : floor;
      return floor % 2n === 0n ? floor : ceil;
  }
}

// A second, independent oracle: decimal.js's own rounding modes.
const DECIMAL_JS_MODE = { up: 0, down: 1, half_up: 4, half_even: 6 } as const;
function decimalJsRound(text: string, roundingMode: RoundingMode): bigint {
  return BigInt(new Decimal(text).toDecimalPlaces(0, DECIMAL_JS_MODE[roundingMode]).toString());
}

describe('allocation properties', () => {
  const weights = fc
    .array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 1, maxLength: 20 })
    .filter((list) => list.some((w) => w > 0n));

  it('parts sum to the whole and each is within one minor unit of its exact share', () => {
    fc.assert(
      fc.property(moneyIn('USD'), weights, (m, ws) => {
        const parts = allocate(m, ws);
        expect(parts).toHaveLength(ws.length);
        expect(sum('USD', parts)).toEqual(m);
        const total = ws.reduce((a, b) => a + b, 0n);
        parts.forEach((part, i) => {
          // |part − amount × w / total| < 1  ⇔  |part × total − amount × w| < total
          const error = part.amount * total - m.amount * (ws[i] ?? 0n);
          expect(error < 0n ? -error : error).toBeLessThan(total);
          if (ws[i] === 0n) expect(part.amount).toBe(0n);
        });
      }),
    );
  });

  it('splits a credit as the mirror image of the charge', () => {
    fc.assert(
      fc.property(moneyIn('EUR'), weights, (m, ws) => {
        expect(allocate(negate(m), ws)).toEqual(allocate(m, ws).map(negate));
      }),
    );
  });

  it('splits evenly into parts at most one unit apart, larger first', () => {
    fc.assert(
      fc.property(moneyIn('JPY'), fc.integer({ min: 1, max: 50 }), (m, n) => {
        const parts = allocateEvenly(m, n).map((p) => p.amount);
        expect(parts.reduce((a, b) => a + b, 0n)).toBe(m.amount);
        const magnitudes = parts.map((p) => (p < 0n ? -p : p));
        const first = magnitudes[0] ?? 0n;
        const last = magnitudes[magnitudes.length - 1] ?? 0n;
        expect(first - last === 0n || first - last === 1n).toBe(true);
        expect([...magnitudes].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(magnitudes);
      }),
    );
  });
});

describe('rounding properties', () => {
  it('rounds exact halves by the mode', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.boolean(), (whole, negative) => {
        const sign = negative ? -1n : 1n;
        const text = `${negative ? '-' : ''}${whole}.5`;
        expect(roundDecimalToMinor(text, 'half_up')).toBe(sign * (whole + 1n)); // away from zero
        expect(roundDecimalToMinor(text, 'half_even')).toBe(sign * (whole % 2n === 0n ? whole : whole + 1n));
        expect(roundDecimalToMinor(text, 'down')).toBe(sign * whole);
        expect(roundDecimalToMinor(text, 'up')).toBe(sign * (whole + 1n));
      }),
    );
  });

  it('matches bigint and decimal.js references for arbitrary decimals', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 30 }), mode, (coefficient, scale, roundingMode) => {
        const text = decimalText(coefficient, scale);
        const rounded = roundDecimalToMinor(text, roundingMode);
        expect(rounded).toBe(referenceRound(coefficient, 10n ** BigInt(scale), roundingMode));
        expect(rounded).toBe(decimalJsRound(text, roundingMode));
      }),
    );
  });

  it('is symmetric around zero', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 10 }), mode, (coefficient, scale, roundingMode) => {
        const positive = roundDecimalToMinor(decimalText(coefficient, scale), roundingMode);
        const negative = roundDecimalToMinor(decimalText(-coefficient, scale), roundingMode);
        expect(negative).toBe(-positive);
      }),
    );
  });

  it('multiplies by a decimal exactly, then rounds once', () => {
    fc.assert(
      fc.property(
        moneyIn('USD'),
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.integer({ min: 0, max: 12 }),
        mode,
        (m, factorCoefficient, factorScale, roundingMode) => {
          const factor = decimalText(factorCoefficient, factorScale);
          const expected = referenceRound(
            m.amount * factorCoefficient,
            10n ** BigInt(factorScale),
            roundingMode,
          );
          expect(multiplyByDecimal(m, factor, roundingMode)).toEqual(money(expected, 'USD'));
        },
      ),
    );
  });
});

describe('arithmetic properties', () => {
  it('add and subtract are inverse', () => {
    fc.assert(
      fc.property(
        currency.chain((code) => fc.tuple(moneyIn(code), moneyIn(code))),
        ([a, b]) => {
          expect(subtract(add(a, b), b)).toEqual(a);
          expect(add(subtract(a, b), b)).toEqual(a);
          expect(add(a, b)).toEqual(add(b, a));
          expect(negate(negate(a))).toEqual(a);
          // Antisymmetric (written as a sum: -0 and 0 differ for toBe).
          expect(compare(a, b) + compare(b, a)).toBe(0);
        },
      ),
    );
  });

  it('round-trips through decimal strings in every currency', () => {
    fc.assert(
      fc.property(currency.chain(moneyIn), (m) => {
        expect(fromDecimalString(toDecimalString(m), m.currency)).toEqual(m);
      }),
    );
  });

  it('never mixes currencies', () => {
    const twoCurrencies = fc
      .tuple(currency, currency)
      .filter(([x, y]) => x !== y)
      .chain(([x, y]) => fc.tuple(moneyIn(x), moneyIn(y)));
    fc.assert(
      fc.property(twoCurrencies, ([a, b]: [Money, Money]) => {
        expect(() => add(a, b)).toThrow(CurrencyMismatchError);
        expect(() => subtract(a, b)).toThrow(CurrencyMismatchError);
        expect(() => compare(a, b)).toThrow(CurrencyMismatchError);
        expect(() => sum(a.currency, [a, b])).toThrow(CurrencyMismatchError);
      }),
    );
  });
});
