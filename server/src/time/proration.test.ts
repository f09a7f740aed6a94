import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  anniversaryPeriod,
  calendarMonthPeriod,
  daysInPeriod,
  daysRemaining,
  InstantOutsidePeriodError,
  prorationFraction,
} from './index.js';

const instant = (iso: string) => Temporal.Instant.from(iso);

describe('proration', () => {
  const march = calendarMonthPeriod(instant('2027-03-15T12:00:00Z'), 'America/New_York');

  it('counts whole calendar days even in a month with a 23-hour day', () => {
    expect(daysInPeriod(march)).toBe(31);
  });

  it('bills the day of the change on the new plan', () => {
    expect(daysRemaining(march, march.startInstant)).toBe(31);
    // 15:00 on March 10 in New York: the 10th through the 31st remain.
    expect(daysRemaining(march, instant('2027-03-10T20:00:00Z'))).toBe(22);
    // The time of day does not matter, only the local date.
    expect(daysRemaining(march, instant('2027-03-10T05:00:00Z'))).toBe(22); // 00:00 local
    expect(daysRemaining(march, instant('2027-03-11T04:59:59Z'))).toBe(22); // 23:59:59 local
    // The 23-hour day itself counts as one day.
    expect(daysRemaining(march, instant('2027-03-14T16:00:00Z'))).toBe(18);
    expect(daysRemaining(march, march.endInstant.subtract({ nanoseconds: 1 }))).toBe(1);
  });

  it('counts by the customer calendar, not UTC', () => {
    const kolkata = calendarMonthPeriod(instant('2027-03-15T00:00:00Z'), 'Asia/Kolkata');
    // 20:00Z on March 9 is 01:30 on March 10 in India.
    expect(daysRemaining(kolkata, instant('2027-03-09T20:00:00Z'))).toBe(22);
  });

  it('returns an exact fraction of days', () => {
    expect(prorationFraction(march, instant('2027-03-10T20:00:00Z'))).toEqual({
      numerator: 22n,
      denominator: 31n,
    });
    const leapFebruary = anniversaryPeriod(
      Temporal.PlainDate.from('2028-01-31'),
      instant('2028-03-01T00:00:00Z'),
      'UTC',
    );
    // Feb 29 – Mar 31 2028 is 31 days; from Mar 1 there are 30 left.
    expect(prorationFraction(leapFebruary, instant('2028-03-01T00:00:00Z'))).toEqual({
      numerator: 30n,
      denominator: 31n,
    });
  });

  it('refuses instants outside the period (the end is exclusive)', () => {
    expect(() => daysRemaining(march, march.endInstant)).toThrow(InstantOutsidePeriodError);
    expect(() => prorationFraction(march, instant('2027-01-01T00:00:00Z'))).toThrow(RangeError);
    try {
      daysRemaining(march, march.endInstant);
    } catch (error) {
      expect(error).toMatchObject({ code: 'time.instant_outside_period' });
    }
  });
});
