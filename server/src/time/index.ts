// Public surface of the time primitives. Other modules import from here, never from the files behind it.
export type { Clock } from './clock.js';
export { fromDate, systemClock, TestClock, toDate } from './clock.js';
export type { BillingInterval, BillingPeriod, InstantLike, PeriodSeries } from './periods.js';
export {
  addMonthsClamped,
  anniversaryPeriod,
  BILLING_INTERVALS,
  calendarMonthPeriod,
  isTimeZone,
  localDate,
  monthsPerInterval,
  nextCalendarPeriod,
  periodContains,
  periodInSeries,
  previousCalendarPeriod,
} from './periods.js';
export type { ProrationFraction } from './proration.js';
export { daysInPeriod, daysRemaining, InstantOutsidePeriodError, prorationFraction } from './proration.js';
