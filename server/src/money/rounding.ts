import type { DecimalInput } from './decimal.js';
import { parseDecimal } from './decimal.js';
import { DivisionByZeroError, InvalidRoundingModeError } from './errors.js';

/**
 * How a value between two whole minor units becomes one of them. All modes are symmetric around zero,
 * so rounding -x gives exactly -(rounding x) and credits mirror charges:
 *
 * - 'half_up'   to the nearest; a tie (exactly .5) goes away from zero: 2.5 → 3, -2.5 → -3.
 *               The default, as on invoices and in Lago and Kill Bill.
 * - 'half_even' to the nearest; a tie goes to the even neighbour: 2.5 → 2, 3.5 → 4 (banker's rounding).
 * - 'down'      toward zero (truncate): 2.9 → 2, -2.9 → -2.
 * - 'up'        away from zero: 2.1 → 3, -2.1 → -3.
 */
export type RoundingMode = 'half_up' | 'half_even' | 'down' | 'up';

export const DEFAULT_ROUNDING_MODE: RoundingMode = 'half_up';

export const ROUNDING_MODES: readonly RoundingMode[] = Object.freeze(['half_up', 'half_even', 'down', 'up']);

export function isRoundingMode(value: unknown): value is RoundingMode {
  return typeof value === 'string' && (ROUNDING_MODES as readonly string[]).includes(value);
}

/**
 * numerator / denominator rounded to a whole number with `mode`, in exact bigint arithmetic.
 *
 * This is the single place in Billfold where a value is rounded to minor units. Everything else that
 * rounds (multiplyByDecimal, multiplyByFraction, fromDecimalString, roundDecimalToMinor) comes through
 * here, so the rounding rule is written, tested and changed in one spot.
 */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator === 0n) throw new DivisionByZeroError();
  // Normalise to a positive denominator so only the numerator carries the sign.
  const n = denominator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;

  // bigint division truncates toward zero and the remainder takes the numerator's sign.
  const truncated = n / d;
  const remainder = n % d;
  if (remainder === 0n) return truncated;

  // One step away from zero, in the direction of the exact result.
  const awayFromZero = truncated + (n < 0n ? -1n : 1n);
  // Compare the dropped part with one half without leaving integers: |r| / d vs 1/2  ⇔  2|r| vs d.
  const twiceRemainder = 2n * (remainder < 0n ? -remainder : remainder);

  switch (mode) {
    case 'down':
      return truncated;
    case 'up':
      return awayFromZero;
    case 'half_up':
      return twiceRemainder >= d ? awayFromZero : truncated;
    case 'half_even':
      if (twiceRemainder > d) return awayFromZero;
      if (twiceRemainder < d) return truncated;
      return truncated % 2n === 0n ? truncated : awayFromZero;
    default:
      throw new InvalidRoundingModeError(String(mode satisfies never));
  }
}

/**
 * Rounds a decimal that is already expressed in minor units (1234.5 cents, say, from a unit price times
 * a quantity) to a whole number of minor units. Use it once per invoice line, on the line total, never on
 * intermediate values: rounding early compounds errors.
 *
 * roundDecimalToMinor('1234.5', 'half_up') === 1235n; roundDecimalToMinor('-1234.5', 'half_up') === -1235n.
 */
export function roundDecimalToMinor(value: DecimalInput, mode: RoundingMode): bigint {
  const { coefficient, scale } = parseDecimal(value);
  return divideRounded(coefficient, 10n ** BigInt(scale), mode);
}
