import { Temporal } from 'temporal-polyfill';
import { type BillingPeriod, daysInPeriod, daysRemaining } from '../time/index.js';
import { addQuantities, multiplyQuantity } from './pricing.js';

/**
 * Recurring metrics (seats, licences): a level held from period to period, billed by the days each
 * unit is held, like the plan's fee (R2, R3): a day counts the level at its end in the customer's
 * zone, so a seat added on the 16th is held from the 16th, a seat removed on the 20th is not held
 * on the 20th, and one added and removed on the same day is not held at all.
 */

/** What a recurring metric held over a span, as metering reads it. */
export interface HeldUnits {
  /** The level when the span begins, carried from before it: a decimal string. */
  opening: string;
  /** The level from each change on, in time order (the level, not the change). */
  changes: readonly { at: Temporal.Instant; level: string }[];
}

const compare = Temporal.Instant.compare;

/** Days from `at`'s day to the end of `period` (all of them before it, none after it). */
function daysFrom(period: BillingPeriod, at: Temporal.Instant): number {
  if (compare(at, period.startInstant) < 0) return daysInPeriod(period);
  if (compare(at, period.endInstant) >= 0) return 0;
  return daysRemaining(period, at);
}

/**
 * The unit-days held from `span.start` to `span.end` within `period`: Σ over the span's days of the
 * level at the day's end. Over the period's days it is the units held for the whole period: 10 seats
 * all of a 30-day month and 5 more from the 16th are 10 × 30 + 5 × 15 = 375 unit-days, 12.5 seats.
 */
export function unitDaysHeld(
  held: HeldUnits,
  period: BillingPeriod,
  span: { start: Temporal.Instant; end: Temporal.Instant },
): string {
  const untilEnd = daysFrom(period, span.end);
  const daysOf = (at: Temporal.Instant) =>
    daysFrom(period, compare(at, span.start) < 0 ? span.start : at) - untilEnd;
  let total = '0';
  let level = held.opening;
  let since = span.start;
  for (const change of held.changes) {
    if (compare(change.at, span.end) >= 0) break;
    total = addQuantities(total, multiplyQuantity(level, daysOf(since) - daysOf(change.at)));
    level = change.level;
    since = change.at;
  }
  return addQuantities(total, multiplyQuantity(level, Math.max(0, daysOf(since))));
}
