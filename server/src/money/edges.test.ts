import { describe, expect, it } from 'vitest';
import {
  allocate,
  allocateEvenly,
  Decimal,
  InvalidAllocationError,
  isCurrencyCode,
  isNegative,
  isPositive,
  isRoundingMode,
  isZero,
  money,
  parseDecimal,
} from './index.js';

/**
 * Edges a mutation run (npm run mutate) changed without any test noticing: which part of a split
 * gets the leftover minor unit, the sign predicates at zero, and the guards that refuse what the
 * types already forbid but plain JavaScript callers can still pass.
 */

const usd = (amount: bigint) => money(amount, 'USD');
const amounts = (list: { amount: bigint }[]) => list.map((m) => m.amount);

describe('allocate: where the leftover minor units go', () => {
  it('to the largest remainder, not the largest part', () => {
    // 2 × 10/16 = 1.25 and 2 × 6/16 = 0.75: floors 1 and 0, remainders 4/16 and 12/16. The one unit
    // left goes to the second part (larger remainder), though the first part is larger.
    expect(amounts(allocate(usd(2n), [10n, 6n]))).toEqual([1n, 1n]);
    // 7 × 5/9 = 3.89 and 7 × 4/9 = 3.11: floors 3 and 3, remainders 8/9 and 1/9: the first gets it.
    expect(amounts(allocate(usd(7n), [5n, 4n]))).toEqual([4n, 3n]);
  });

  it('on equal remainders, to the earliest part', () => {
    expect(amounts(allocate(usd(1n), [1n, 1n]))).toEqual([1n, 0n]);
    expect(amounts(allocate(usd(2n), [1n, 1n, 1n]))).toEqual([1n, 1n, 0n]);
    expect(amounts(allocate(usd(-2n), [1n, 1n, 1n]))).toEqual([-1n, -1n, 0n]);
    expect(amounts(allocateEvenly(usd(5n), 3))).toEqual([2n, 2n, 1n]);
  });

  it('refuses weights a split cannot use, each with its own reason', () => {
    expect(() => allocate(usd(1n), [])).toThrow(/empty/);
    expect(() => allocate(usd(1n), [1 as unknown as bigint])).toThrow(/bigints/);
    expect(() => allocate(usd(1n), [1n, -1n])).toThrow(/negative, got -1/);
    expect(() => allocate(usd(1n), [0n, 0n])).toThrow(/positive/);
    for (const n of [0, -1, 1.5, Number.NaN]) {
      expect(() => allocateEvenly(usd(1n), n), String(n)).toThrow(InvalidAllocationError);
      expect(() => allocateEvenly(usd(1n), n), String(n)).toThrow(`got ${n}`);
    }
  });
});

describe('sign predicates', () => {
  it('tell negative, zero and positive apart, zero being neither sign', () => {
    expect([-1n, 0n, 1n].map((a) => isNegative(usd(a)))).toEqual([true, false, false]);
    expect([-1n, 0n, 1n].map((a) => isZero(usd(a)))).toEqual([false, true, false]);
    expect([-1n, 0n, 1n].map((a) => isPositive(usd(a)))).toEqual([false, false, true]);
  });
});

describe('guards for values the types forbid', () => {
  it('know only real currency codes and rounding modes', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('usd')).toBe(false);
    expect(isCurrencyCode('XYZ')).toBe(false);
    expect(isCurrencyCode(840)).toBe(false);
    expect(isRoundingMode('half_even')).toBe(true);
    expect(isRoundingMode('half_down')).toBe(false);
    expect(isRoundingMode(undefined)).toBe(false);
  });

  it('refuse a decimal that is not finite, or a number that has already lost digits', () => {
    expect(() => parseDecimal(new Decimal(Number.POSITIVE_INFINITY))).toThrow(/finite/);
    expect(() => parseDecimal(new Decimal(Number.NaN))).toThrow(/finite/);
    expect(() => parseDecimal(0.1 as unknown as string)).toThrow(/a string or a Decimal/);
  });
});
