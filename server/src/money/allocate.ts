import { InvalidAllocationError } from './errors.js';
import type { Money } from './money.js';
import { money } from './money.js';

/**
 * Splits `m` in proportion to `weights` by the largest-remainder method:
 *
 * 1. each part gets the floor of its exact share |m| × weight / total;
 * 2. the minor units still missing (fewer than the number of parts) go one each to the parts with the
 *    largest dropped remainder, ties to the earliest index.
 *
 * So the parts always sum exactly to `m`, and each differs from its exact share by less than one minor
 * unit. A negative amount is split as its magnitude and negated, so a credit splits as the mirror image
 * of the charge. A zero weight always gets zero.
 *
 * allocate(money(100n, 'USD'), [1n, 1n, 1n]) → 34n, 33n, 33n.
 */
export function allocate(m: Money, weights: readonly bigint[]): Money[] {
  if (weights.length === 0) throw new InvalidAllocationError('Cannot allocate to an empty list of weights');
  let total = 0n;
  for (const weight of weights) {
    if (typeof weight !== 'bigint') throw new InvalidAllocationError('Weights must be bigints');
    if (weight < 0n) throw new InvalidAllocationError(`Weights must not be negative, got ${weight}`);
    total += weight;
  }
  if (total === 0n) throw new InvalidAllocationError('At least one weight must be positive');

  const negative = m.amount < 0n;
  const magnitude = negative ? -m.amount : m.amount;

  const parts = weights.map((weight) => magnitude * weight);
  const floors = parts.map((part) => part / total);
  const remainders = parts.map((part) => part % total);

  let leftover = magnitude;
  for (const floor of floors) leftover -= floor;

  // Indices by remainder, largest first; sort is stable, so equal remainders keep index order.
  const order = remainders
    .map((remainder, index) => ({ remainder, index }))
    .sort((a, b) => (a.remainder === b.remainder ? 0 : a.remainder > b.remainder ? -1 : 1));

  const amounts = [...floors];
  // leftover < weights.length, and every index that receives a unit has a non-zero remainder.
  for (const { index } of order.slice(0, Number(leftover))) {
    amounts[index] = (amounts[index] ?? 0n) + 1n;
  }
  return amounts.map((amount) => money(negative ? -amount : amount, m.currency));
}

/** Splits `m` into `n` parts as equal as possible, the larger parts first: 100n / 3 → 34n, 33n, 33n. */
export function allocateEvenly(m: Money, n: number): Money[] {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidAllocationError(`Number of parts must be a positive integer, got ${n}`);
  }
  const equalWeights = Array.from({ length: n }, () => 1n);
  return allocate(m, equalWeights);
}
