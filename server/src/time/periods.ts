import { Temporal } from 'temporal-polyfill';

/**
 * A billing period in the customer's time zone. `start` is inclusive and `end` exclusive, both at the
 * start of a local day, so consecutive periods share a boundary and tile time with no gap or overlap.
 * `startInstant`/`endInstant` are the same boundaries in UTC, ready for storage and comparisons.
 *
 * `anchorDay` is the day of month the periods are anchored on (1 for calendar months). It is kept
 * because a clamped start does not show it: the period starting Feb 28 after a Jan 31 anchor must end
 * on Mar 31, not Mar 28. For weekly periods it is the ISO weekday they start on (1 is Monday).
 */
export interface BillingPeriod {
  readonly start: Temporal.ZonedDateTime;
  readonly end: Temporal.ZonedDateTime;
  readonly startInstant: Temporal.Instant;
  readonly endInstant: Temporal.Instant;
  readonly anchorDay: number;
}

/** A point in time as callers hold it. A ZonedDateTime is read in the period's time zone, not its own. */
export type InstantLike = Temporal.Instant | Temporal.ZonedDateTime;

/** The calendar date of `at` in `timeZone`, in the ISO calendar. */
export function localDate(at: InstantLike, timeZone: string): Temporal.PlainDate {
  const zoned =
    at instanceof Temporal.ZonedDateTime ? at.withTimeZone(timeZone) : at.toZonedDateTimeISO(timeZone);
  return zoned.toPlainDate().withCalendar('iso8601');
}

/**
 * Where a local day begins. Usually midnight, but where a daylight-saving change skips midnight
 * (America/Santiago, for one) the day begins at 01:00; Temporal knows, so we ask it rather than
 * building "T00:00".
 */
function startOfLocalDay(date: Temporal.PlainDate, timeZone: string): Temporal.ZonedDateTime {
  return date.toZonedDateTime({ timeZone });
}

function assertAnchorDay(anchorDay: number): void {
  if (!Number.isInteger(anchorDay) || anchorDay < 1 || anchorDay > 31) {
    throw new RangeError(`Anchor day must be an integer from 1 to 31, got ${anchorDay}`);
  }
}

/** `anchorDay` in the given month, or the month's last day when the month is shorter. */
function anchoredDate(month: Temporal.PlainYearMonth, anchorDay: number): Temporal.PlainDate {
  return month.toPlainDate({ day: Math.min(anchorDay, month.daysInMonth) });
}

/**
 * `date` plus `months`, on `anchorDay` (default: the date's own day) clamped to the end of the target
 * month. Jan 31 + 1 month → Feb 28 (Feb 29 in a leap year).
 *
 * Pass the original anchor day when stepping repeatedly, otherwise the day drifts: Feb 28 + 1 month is
 * Mar 28, but addMonthsClamped(Feb 28, 1, 31) is Mar 31.
 */
export function addMonthsClamped(
  date: Temporal.PlainDate,
  months: number,
  anchorDay: number = date.day,
): Temporal.PlainDate {
  if (!Number.isInteger(months)) throw new RangeError(`Months must be an integer, got ${months}`);
  assertAnchorDay(anchorDay);
  return anchoredDate(date.toPlainYearMonth().add({ months }), anchorDay);
}

function periodBetween(
  startDate: Temporal.PlainDate,
  endDate: Temporal.PlainDate,
  timeZone: string,
  anchorDay: number,
): BillingPeriod {
  const start = startOfLocalDay(startDate, timeZone);
  const end = startOfLocalDay(endDate, timeZone);
  return Object.freeze({
    start,
    end,
    startInstant: start.toInstant(),
    endInstant: end.toInstant(),
    anchorDay,
  });
}

/** The monthly period, anchored on `anchorDay`, whose local dates include `date`. */
function anchoredPeriodContaining(
  date: Temporal.PlainDate,
  anchorDay: number,
  timeZone: string,
): BillingPeriod {
  const month = date.toPlainYearMonth();
  let startDate = anchoredDate(month, anchorDay);
  // Before this month's boundary: the period began on last month's.
  if (Temporal.PlainDate.compare(date, startDate) < 0) {
    startDate = anchoredDate(month.subtract({ months: 1 }), anchorDay);
  }
  return periodBetween(startDate, addMonthsClamped(startDate, 1, anchorDay), timeZone, anchorDay);
}

/**
 * The calendar month containing `at` in `timeZone`, from local midnight on the 1st to local midnight on
 * the 1st of the next month. A statement closes at the customer's midnight, not at UTC midnight: for
 * Asia/Kolkata (+05:30) March 2027 starts at 2027-02-28T18:30Z.
 *
 * A ZonedDateTime may omit the time zone and then uses its own, so calendarMonthPeriod(p.start)
 * returns p.
 */
export function calendarMonthPeriod(at: Temporal.ZonedDateTime): BillingPeriod;
export function calendarMonthPeriod(at: InstantLike, timeZone: string): BillingPeriod;
export function calendarMonthPeriod(at: InstantLike, timeZone?: string): BillingPeriod {
  const zone = resolveTimeZone(at, timeZone);
  return anchoredPeriodContaining(localDate(at, zone), 1, zone);
}

/**
 * The monthly period containing `at` for a subscription anchored on `anchor`'s day of month, in
 * `timeZone`. Periods start at local midnight; when the anchor day does not exist in a month they start
 * on its last day, and the next period returns to the anchor day: Jan 31 → Feb 28/29 → Mar 31 → Apr 30.
 *
 * Only the anchor's day of month matters (a ZonedDateTime anchor is first read in `timeZone`), and the
 * periods extend both ways in time.
 */
export function anniversaryPeriod(
  anchor: Temporal.PlainDate | Temporal.ZonedDateTime,
  at: InstantLike,
  timeZone: string,
): BillingPeriod {
  const anchorDate = anchor instanceof Temporal.ZonedDateTime ? localDate(anchor, timeZone) : anchor;
  return anchoredPeriodContaining(localDate(at, timeZone), anchorDate.withCalendar('iso8601').day, timeZone);
}

/** The period right after `period`: same time zone and anchor day, starting where `period` ends. */
export function nextCalendarPeriod(period: BillingPeriod): BillingPeriod {
  const startDate = period.end.toPlainDate().withCalendar('iso8601');
  const endDate = addMonthsClamped(startDate, 1, period.anchorDay);
  return periodBetween(startDate, endDate, period.start.timeZoneId, period.anchorDay);
}

/** The period right before `period`: same time zone and anchor day, ending where `period` starts. */
export function previousCalendarPeriod(period: BillingPeriod): BillingPeriod {
  const endDate = period.start.toPlainDate().withCalendar('iso8601');
  const startDate = addMonthsClamped(endDate, -1, period.anchorDay);
  return periodBetween(startDate, endDate, period.start.timeZoneId, period.anchorDay);
}

/**
 * The intervals a plan can bill by. Every one but the week is a whole number of months, so it shares
 * the months' clamping: a series anchored on the 31st lands on Feb 28/29 and returns to the 31st.
 */
export const BILLING_INTERVALS = ['week', 'month', 'quarter', 'half_year', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/** Months per interval; null for the week, which is counted in days. */
export function monthsPerInterval(interval: BillingInterval): number | null {
  return { week: null, month: 1, quarter: 3, half_year: 6, year: 12 }[interval];
}

/**
 * A series of periods of one interval, as a subscription is billed by: boundaries at `anchor` plus a
 * whole number of intervals, before and after it.
 *
 * For the month-based intervals the boundaries fall on `anchorDay` (default: the anchor's own day),
 * clamped to the end of shorter months; only the anchor's month matters otherwise. For weeks they fall
 * on the anchor's weekday.
 */
export interface PeriodSeries {
  readonly interval: BillingInterval;
  readonly anchor: Temporal.PlainDate;
  readonly anchorDay?: number;
}

const monthIndex = (month: Temporal.PlainYearMonth) => month.year * 12 + month.month - 1;

/**
 * The period of `series` whose local dates include `at`, in `timeZone`: from local midnight on one
 * boundary to local midnight on the next. A week across a daylight-saving change is still 7 days
 * (167 or 169 hours); a half-year that holds 29 February is 182 days, not 181.
 */
export function periodInSeries(series: PeriodSeries, at: InstantLike, timeZone: string): BillingPeriod {
  const anchor = series.anchor.withCalendar('iso8601');
  const today = localDate(at, timeZone);
  const months = monthsPerInterval(series.interval);
  if (months === null) {
    const weeks = Math.floor(anchor.until(today, { largestUnit: 'days' }).days / 7);
    const startDate = anchor.add({ days: 7 * weeks });
    return periodBetween(startDate, startDate.add({ days: 7 }), timeZone, startDate.dayOfWeek);
  }
  const anchorDay = series.anchorDay ?? anchor.day;
  assertAnchorDay(anchorDay);
  const anchorMonth = anchor.toPlainYearMonth();
  const boundary = (steps: number) => anchoredDate(anchorMonth.add({ months: steps * months }), anchorDay);
  let steps = Math.floor((monthIndex(today.toPlainYearMonth()) - monthIndex(anchorMonth)) / months);
  // Within the boundary's month but before its day: the period began one interval earlier.
  if (Temporal.PlainDate.compare(today, boundary(steps)) < 0) steps -= 1;
  return periodBetween(boundary(steps), boundary(steps + 1), timeZone, anchorDay);
}

/** True when `at` lies in [start, end). */
export function periodContains(period: BillingPeriod, at: InstantLike): boolean {
  const instant = at instanceof Temporal.ZonedDateTime ? at.toInstant() : at;
  return (
    Temporal.Instant.compare(instant, period.startInstant) >= 0 &&
    Temporal.Instant.compare(instant, period.endInstant) < 0
  );
}

function resolveTimeZone(at: InstantLike, timeZone: string | undefined): string {
  if (timeZone !== undefined) return timeZone;
  if (at instanceof Temporal.ZonedDateTime) return at.timeZoneId;
  throw new TypeError('A time zone is required when `at` is an Instant');
}

/** Whether `timeZone` is an IANA time zone (or UTC offset) that billing periods can be computed in. */
export function isTimeZone(timeZone: string): boolean {
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
    return true;
  } catch {
    return false;
  }
}
