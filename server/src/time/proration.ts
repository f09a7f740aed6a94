import type { BillingPeriod, InstantLike } from './periods.js';
import { localDate, periodContains } from './periods.js';

/**
 * An exact ratio of whole days, e.g. 12 of 31. bigint so it multiplies money (bigint minor units)
 * without a float; apply it with money's multiplyByFraction, or split an amount with
 * allocate(amount, [used, remaining]) so the two parts add back up to it.
 */
export type ProrationFraction = { readonly numerator: bigint; readonly denominator: bigint };

/** Thrown when proration is asked for a moment outside the period. */
export class InstantOutsidePeriodError extends RangeError {
  readonly code = 'time.instant_outside_period';

  constructor(at: InstantLike, period: BillingPeriod) {
    super(`${at.toString()} is outside the period ${period.start.toString()} – ${period.end.toString()}`);
    this.name = 'InstantOutsidePeriodError';
  }
}

/**
 * Calendar days in the period, counted in its time zone. A month with a daylight-saving change is 31
 * days even though it lasts 743 or 745 hours: customers pay by the day, not by the hour.
 */
export function daysInPeriod(period: BillingPeriod): number {
  return period.start.toPlainDate().until(period.end.toPlainDate(), { largestUnit: 'days' }).days;
}

/**
 * Days from `at` to the end of the period, counting the day of `at` itself as remaining.
 *
 * The rule: the day of a change is billed on the new plan. A customer who upgrades at 15:00 on the
 * 10th of a 31-day month pays the new plan for 22 days (10th–31st) and the old plan for 9. Counting by
 * local calendar days, not hours, keeps the result the same whatever the time of day of the change.
 */
export function daysRemaining(period: BillingPeriod, at: InstantLike): number {
  if (!periodContains(period, at)) throw new InstantOutsidePeriodError(at, period);
  const today = localDate(at, period.start.timeZoneId);
  return today.until(period.end.toPlainDate(), { largestUnit: 'days' }).days;
}

/** daysRemaining / daysInPeriod, unreduced so it reads like the invoice line ("22 of 31 days"). */
export function prorationFraction(period: BillingPeriod, at: InstantLike): ProrationFraction {
  return Object.freeze({
    numerator: BigInt(daysRemaining(period, at)),
    denominator: BigInt(daysInPeriod(period)),
  });
}
