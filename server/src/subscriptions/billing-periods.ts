import { Temporal } from 'temporal-polyfill';
import {
  type BillingInterval,
  type BillingPeriod,
  daysInPeriod,
  daysRemaining,
  localDate,
  type PeriodSeries,
  periodInSeries,
} from '../time/index.js';

/**
 * Which period of a subscription contains a moment (C18). A plan bills by the week, month, quarter,
 * half-year or year; a subscription's periods are either
 * - calendar-aligned: weeks from Monday, months from the 1st, quarters from 1 January, April, July and
 *   October, half-years from 1 January and July, years from 1 January; or
 * - anniversary: counted from the month (the weekday, for weeks) the subscription started;
 * always in the customer's time zone. The billing day moves the boundary within that shape: the day of
 * month periods start on (the 15th: quarters from 15 January, April, ...), or for weeks the weekday.
 * When the subscription starts on another day, its first period runs from the start to the next
 * billing day and is prorated by days.
 */

export const BILLING_ALIGNMENTS = ['calendar', 'anniversary'] as const;
export type BillingAlignment = (typeof BILLING_ALIGNMENTS)[number];

export interface PeriodRule {
  billingMode: BillingAlignment;
  /** The billing day: the day of month periods start on (1–31), or for weeks the ISO weekday (1 = Monday). */
  anchorDay: number;
  timeZone: string;
  interval: BillingInterval;
  /** The local date the subscription started: where anniversary periods are counted from. */
  startedOn: Temporal.PlainDate;
}

/** The largest billing day an interval takes: 7 for weeks (ISO weekdays), 31 for the others. */
export function lastBillingDay(interval: BillingInterval): number {
  return interval === 'week' ? 7 : 31;
}

export function isBillingDay(interval: BillingInterval, day: number): boolean {
  return Number.isInteger(day) && day >= 1 && day <= lastBillingDay(interval);
}

/**
 * The billing day a subscription gets when none is chosen: the calendar's (the 1st, or Monday), or for
 * anniversary billing the start's own day (or weekday).
 */
export function defaultBillingDay(
  interval: BillingInterval,
  billingMode: BillingAlignment,
  startedOn: Temporal.PlainDate,
): number {
  if (billingMode === 'calendar') return 1;
  return interval === 'week' ? startedOn.dayOfWeek : startedOn.day;
}

/** A Monday: calendar weeks are counted from it, and a billing weekday is a number of days after it. */
const A_MONDAY = Temporal.PlainDate.from('2000-01-03');
/** A 1 January: calendar quarters, half-years and years are counted from it. */
const A_FIRST_OF_JANUARY = Temporal.PlainDate.from('2000-01-01');

function seriesOf(rule: PeriodRule): PeriodSeries {
  if (rule.interval === 'week') {
    // Only the weekday matters for weeks, whichever the alignment.
    return { interval: 'week', anchor: A_MONDAY.add({ days: rule.anchorDay - 1 }) };
  }
  const anchor = rule.billingMode === 'calendar' ? A_FIRST_OF_JANUARY : rule.startedOn;
  return { interval: rule.interval, anchor, anchorDay: rule.anchorDay };
}

export function periodContaining(rule: PeriodRule, at: Temporal.Instant): BillingPeriod {
  if (!isBillingDay(rule.interval, rule.anchorDay)) {
    throw new RangeError(`Billing day ${rule.anchorDay} does not exist for a ${rule.interval} interval`);
  }
  return periodInSeries(seriesOf(rule), at, rule.timeZone);
}

/** The period right after `period` under the same rule. */
export function nextPeriod(rule: PeriodRule, period: BillingPeriod): BillingPeriod {
  return periodContaining(rule, period.endInstant);
}

/**
 * What a subscription starting at `at` is billed for first: from `at` to the end of the period that
 * contains it, `days` of its `periodDays` days (the day of the start counts). The whole period when
 * the start is on the billing day.
 */
export interface FirstPeriod {
  period: BillingPeriod;
  start: Temporal.Instant;
  end: Temporal.Instant;
  days: number;
  periodDays: number;
}

export function firstPeriod(rule: PeriodRule, at: Temporal.Instant): FirstPeriod {
  const period = periodContaining(rule, at);
  return {
    period,
    start: at,
    end: period.endInstant,
    days: daysRemaining(period, at),
    periodDays: daysInPeriod(period),
  };
}

/** The rule of a subscription starting at `at`, with the billing day chosen or else the default. */
export function ruleAtStart(input: {
  interval: BillingInterval;
  billingMode: BillingAlignment;
  billingDay?: number | null | undefined;
  timeZone: string;
  at: Temporal.Instant;
}): PeriodRule {
  const startedOn = localDate(input.at, input.timeZone);
  return {
    billingMode: input.billingMode,
    anchorDay: input.billingDay ?? defaultBillingDay(input.interval, input.billingMode, startedOn),
    timeZone: input.timeZone,
    interval: input.interval,
    startedOn,
  };
}
