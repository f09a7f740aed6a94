import { Temporal } from 'temporal-polyfill';
import {
  addMonthsClamped,
  anniversaryPeriod,
  type BillingPeriod,
  calendarMonthPeriod,
  localDate,
} from '../time/index.js';

/**
 * Which period of a subscription contains a moment. Monthly plans bill calendar months from the 1st
 * in the customer's time zone (C18), or months from the subscription's own day (anniversary billing);
 * yearly plans bill years from the day the subscription started.
 */

export interface PeriodRule {
  billingMode: 'calendar' | 'anniversary';
  anchorDay: number;
  timeZone: string;
  interval: 'month' | 'year';
  /** The local date the subscription started: where yearly periods are counted from. */
  startedOn: Temporal.PlainDate;
}

export function periodContaining(rule: PeriodRule, at: Temporal.Instant): BillingPeriod {
  if (rule.interval === 'month') {
    return rule.billingMode === 'calendar'
      ? calendarMonthPeriod(at, rule.timeZone)
      : anniversaryPeriod(
          Temporal.PlainDate.from({ year: 2000, month: 1, day: rule.anchorDay }),
          at,
          rule.timeZone,
        );
  }
  const today = localDate(at, rule.timeZone);
  const yearsSince = Math.max(0, today.since(rule.startedOn, { largestUnit: 'years' }).years);
  const startDate = addMonthsClamped(rule.startedOn, 12 * yearsSince, rule.startedOn.day);
  const endDate = addMonthsClamped(rule.startedOn, 12 * (yearsSince + 1), rule.startedOn.day);
  const start = startDate.toZonedDateTime({ timeZone: rule.timeZone });
  const end = endDate.toZonedDateTime({ timeZone: rule.timeZone });
  return Object.freeze({
    start,
    end,
    startInstant: start.toInstant(),
    endInstant: end.toInstant(),
    anchorDay: rule.startedOn.day,
  });
}
