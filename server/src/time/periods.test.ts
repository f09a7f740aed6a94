import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import type { BillingPeriod } from './index.js';
import {
  addMonthsClamped,
  anniversaryPeriod,
  calendarMonthPeriod,
  daysInPeriod,
  nextCalendarPeriod,
  periodContains,
  previousCalendarPeriod,
} from './index.js';

const instant = (iso: string) => Temporal.Instant.from(iso);
const date = (iso: string) => Temporal.PlainDate.from(iso);

// Temporal objects keep their state in internal slots, so toEqual cannot see it; compare the text.
function describePeriod(period: BillingPeriod) {
  return {
    start: period.start.toString(),
    end: period.end.toString(),
    startInstant: period.startInstant.toString(),
    endInstant: period.endInstant.toString(),
    anchorDay: period.anchorDay,
  };
}

function hoursIn(period: BillingPeriod): number {
  return period.startInstant.until(period.endInstant, { largestUnit: 'hours' }).hours;
}

describe('addMonthsClamped', () => {
  it('clamps to the end of shorter months', () => {
    expect(addMonthsClamped(date('2028-01-31'), 1).toString()).toBe('2028-02-29');
    expect(addMonthsClamped(date('2027-01-31'), 1).toString()).toBe('2027-02-28');
    expect(addMonthsClamped(date('2100-01-31'), 1).toString()).toBe('2100-02-28'); // 2100 is not leap
    expect(addMonthsClamped(date('2000-01-31'), 1).toString()).toBe('2000-02-29'); // 2000 is
    expect(addMonthsClamped(date('2027-03-31'), -1).toString()).toBe('2027-02-28');
    expect(addMonthsClamped(date('2027-01-31'), 13).toString()).toBe('2028-02-29');
  });

  it('returns to the anchor day when told it, instead of drifting', () => {
    expect(addMonthsClamped(date('2027-02-28'), 1).toString()).toBe('2027-03-28');
    expect(addMonthsClamped(date('2027-02-28'), 1, 31).toString()).toBe('2027-03-31');
    expect(addMonthsClamped(date('2027-02-28'), 2, 30).toString()).toBe('2027-04-30');
  });

  it('rejects fractional months and impossible anchor days', () => {
    expect(() => addMonthsClamped(date('2027-01-01'), 1.5)).toThrow(RangeError);
    expect(() => addMonthsClamped(date('2027-01-01'), 1, 0)).toThrow(RangeError);
    expect(() => addMonthsClamped(date('2027-01-01'), 1, 32)).toThrow(RangeError);
  });
});

describe('calendarMonthPeriod', () => {
  it('counts leap days', () => {
    expect(daysInPeriod(calendarMonthPeriod(instant('2028-02-10T00:00:00Z'), 'UTC'))).toBe(29);
    expect(daysInPeriod(calendarMonthPeriod(instant('2027-02-10T00:00:00Z'), 'UTC'))).toBe(28);
    expect(daysInPeriod(calendarMonthPeriod(instant('2100-02-10T00:00:00Z'), 'UTC'))).toBe(28);
    expect(daysInPeriod(calendarMonthPeriod(instant('2000-02-10T00:00:00Z'), 'UTC'))).toBe(29);
  });

  it('starts at local midnight in America/New_York across daylight-saving changes', () => {
    const march = calendarMonthPeriod(instant('2027-03-15T12:00:00Z'), 'America/New_York');
    expect(march.startInstant.toString()).toBe('2027-03-01T05:00:00Z');
    expect(march.endInstant.toString()).toBe('2027-04-01T04:00:00Z');
    expect(march.start.toString()).toBe('2027-03-01T00:00:00-05:00[America/New_York]');
    expect(march.end.toString()).toBe('2027-04-01T00:00:00-04:00[America/New_York]');
    expect(hoursIn(march)).toBe(31 * 24 - 1); // March 14 has 23 hours...
    expect(daysInPeriod(march)).toBe(31); // ...but the month still has 31 days

    const november = calendarMonthPeriod(instant('2027-11-15T12:00:00Z'), 'America/New_York');
    expect(november.startInstant.toString()).toBe('2027-11-01T04:00:00Z');
    expect(november.endInstant.toString()).toBe('2027-12-01T05:00:00Z');
    expect(hoursIn(november)).toBe(30 * 24 + 1);
    expect(daysInPeriod(november)).toBe(30);
  });

  it('uses the local date, not the UTC date, in Asia/Kolkata (+05:30)', () => {
    // 19:00Z on Feb 28 is already 00:30 on March 1 in India.
    const march = calendarMonthPeriod(instant('2027-02-28T19:00:00Z'), 'Asia/Kolkata');
    expect(march.start.toString()).toBe('2027-03-01T00:00:00+05:30[Asia/Kolkata]');
    expect(march.startInstant.toString()).toBe('2027-02-28T18:30:00Z');
    expect(march.endInstant.toString()).toBe('2027-03-31T18:30:00Z');
    const february = calendarMonthPeriod(instant('2027-02-28T18:29:59.999999999Z'), 'Asia/Kolkata');
    expect(february.start.toString()).toBe('2027-02-01T00:00:00+05:30[Asia/Kolkata]');
    expect(february.endInstant.equals(march.startInstant)).toBe(true);
  });

  it('handles a 45-minute offset (Asia/Kathmandu, +05:45)', () => {
    const march = calendarMonthPeriod(instant('2027-03-15T00:00:00Z'), 'Asia/Kathmandu');
    expect(march.startInstant.toString()).toBe('2027-02-28T18:15:00Z');
    expect(march.endInstant.toString()).toBe('2027-03-31T18:15:00Z');
  });

  it('handles a half-hour offset with daylight saving (Australia/Adelaide, +10:30/+09:30)', () => {
    // Daylight saving ends on the first Sunday of April 2027.
    const april = calendarMonthPeriod(instant('2027-04-15T00:00:00Z'), 'Australia/Adelaide');
    expect(april.start.toString()).toBe('2027-04-01T00:00:00+10:30[Australia/Adelaide]');
    expect(april.end.toString()).toBe('2027-05-01T00:00:00+09:30[Australia/Adelaide]');
    expect(april.startInstant.toString()).toBe('2027-03-31T13:30:00Z');
    expect(april.endInstant.toString()).toBe('2027-04-30T14:30:00Z');
    expect(hoursIn(april)).toBe(30 * 24 + 1);
    expect(daysInPeriod(april)).toBe(30);

    // It starts again on the first Sunday of October.
    const october = calendarMonthPeriod(instant('2027-10-15T00:00:00Z'), 'Australia/Adelaide');
    expect(october.startInstant.toString()).toBe('2027-09-30T14:30:00Z');
    expect(october.endInstant.toString()).toBe('2027-10-31T13:30:00Z');
    expect(daysInPeriod(october)).toBe(31);
  });

  it('puts an instant on a boundary in the period that starts there', () => {
    const march = calendarMonthPeriod(instant('2027-03-01T05:00:00Z'), 'America/New_York');
    expect(march.start.month).toBe(3);
    const february = calendarMonthPeriod(instant('2027-03-01T04:59:59.999999999Z'), 'America/New_York');
    expect(february.start.month).toBe(2);
    expect(periodContains(march, march.startInstant)).toBe(true);
    expect(periodContains(march, march.endInstant)).toBe(false);
  });

  it('reads a ZonedDateTime in its own zone unless told another', () => {
    const zoned = Temporal.ZonedDateTime.from('2027-03-31T23:00:00-04:00[America/New_York]');
    expect(calendarMonthPeriod(zoned).start.month).toBe(3);
    expect(calendarMonthPeriod(zoned, 'UTC').start.month).toBe(4); // 03:00Z on April 1
  });

  it('needs a time zone for an Instant, and a real one', () => {
    // @ts-expect-error: the overloads require a time zone with an Instant; check the run-time guard too
    expect(() => calendarMonthPeriod(instant('2027-03-01T00:00:00Z'))).toThrow(TypeError);
    expect(() => calendarMonthPeriod(instant('2027-03-01T00:00:00Z'), 'Mars/Olympus_Mons')).toThrow(
      RangeError,
    );
  });

  it('steps forward and back', () => {
    const january = calendarMonthPeriod(instant('2027-01-20T00:00:00Z'), 'Asia/Kolkata');
    const february = nextCalendarPeriod(january);
    expect(february.start.toString()).toBe('2027-02-01T00:00:00+05:30[Asia/Kolkata]');
    expect(february.end.toString()).toBe('2027-03-01T00:00:00+05:30[Asia/Kolkata]');
    expect(describePeriod(previousCalendarPeriod(february))).toEqual(describePeriod(january));
    const december = previousCalendarPeriod(january);
    expect(december.start.toString()).toBe('2026-12-01T00:00:00+05:30[Asia/Kolkata]');
  });
});

describe('anniversaryPeriod', () => {
  it('follows a Jan 31 anchor through a leap year without drifting', () => {
    let period = anniversaryPeriod(date('2028-01-31'), instant('2028-02-10T00:00:00Z'), 'UTC');
    const starts: string[] = [];
    for (let i = 0; i < 13; i++) {
      starts.push(period.start.toPlainDate().toString());
      period = nextCalendarPeriod(period);
    }
    expect(starts).toEqual([
      '2028-01-31',
      '2028-02-29',
      '2028-03-31',
      '2028-04-30',
      '2028-05-31',
      '2028-06-30',
      '2028-07-31',
      '2028-08-31',
      '2028-09-30',
      '2028-10-31',
      '2028-11-30',
      '2028-12-31',
      '2029-01-31',
    ]);
  });

  it('clamps to Feb 28 in a common year and returns to the 31st', () => {
    const february = anniversaryPeriod(date('2027-01-31'), instant('2027-03-15T00:00:00Z'), 'UTC');
    expect(february.start.toPlainDate().toString()).toBe('2027-02-28');
    expect(february.end.toPlainDate().toString()).toBe('2027-03-31');
    expect(daysInPeriod(february)).toBe(31);
    const march = anniversaryPeriod(date('2027-01-31'), instant('2027-03-31T00:00:00Z'), 'UTC');
    expect(march.start.toPlainDate().toString()).toBe('2027-03-31');
    expect(march.end.toPlainDate().toString()).toBe('2027-04-30');
  });

  it('starts at local midnight of the anchor day in the customer time zone', () => {
    const period = anniversaryPeriod(date('2027-01-15'), instant('2027-03-20T00:00:00Z'), 'Asia/Kolkata');
    expect(period.start.toString()).toBe('2027-03-15T00:00:00+05:30[Asia/Kolkata]');
    expect(period.startInstant.toString()).toBe('2027-03-14T18:30:00Z');
    expect(period.end.toString()).toBe('2027-04-15T00:00:00+05:30[Asia/Kolkata]');
  });

  it('reads a ZonedDateTime anchor in the customer time zone', () => {
    // 23:30 on Jan 30 in New York is Jan 31 in UTC: the anchor day is 31 for a UTC customer.
    const anchor = Temporal.ZonedDateTime.from('2027-01-30T23:30:00-05:00[America/New_York]');
    const period = anniversaryPeriod(anchor, instant('2027-03-05T00:00:00Z'), 'UTC');
    expect(period.anchorDay).toBe(31);
    expect(period.start.toPlainDate().toString()).toBe('2027-02-28');
  });

  it('starts at 01:00 when daylight saving skips midnight (America/Santiago)', () => {
    // Chile moves clocks from 00:00 to 01:00 on Sunday 2027-09-05: that day has no midnight.
    const period = anniversaryPeriod(date('2027-01-05'), instant('2027-09-20T00:00:00Z'), 'America/Santiago');
    expect(period.start.toString()).toBe('2027-09-05T01:00:00-03:00[America/Santiago]');
    expect(daysInPeriod(period)).toBe(30);
  });
});

describe('period properties', () => {
  const timeZones = [
    'UTC',
    'America/New_York',
    'America/St_Johns',
    'America/Santiago',
    'Europe/London',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Adelaide',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Apia',
  ] as const;
  const timeZone = fc.constantFrom(...timeZones);
  // 1950–2150 in epoch milliseconds, plus random nanoseconds to land between milliseconds.
  const anInstant = fc
    .tuple(
      fc.integer({ min: -631_152_000_000, max: 5_679_792_000_000 }),
      fc.integer({ min: 0, max: 999_999 }),
    )
    .map(([ms, ns]) => Temporal.Instant.fromEpochNanoseconds(BigInt(ms) * 1_000_000n + BigInt(ns)));

  function checkTiling(first: BillingPeriod, steps: number): void {
    let period = first;
    for (let i = 0; i < steps; i++) {
      const next = nextCalendarPeriod(period);
      // No gap, no overlap: the next period starts exactly where this one ends.
      expect(next.startInstant.equals(period.endInstant)).toBe(true);
      expect(Temporal.Instant.compare(period.startInstant, period.endInstant)).toBe(-1);
      expect(describePeriod(previousCalendarPeriod(next))).toEqual(describePeriod(period));
      const days = daysInPeriod(period);
      expect(days >= 28 && days <= 31).toBe(true);
      period = next;
    }
  }

  it('calendar months contain their instant, tile time and are found again from their start', () => {
    fc.assert(
      fc.property(anInstant, timeZone, (at, zone) => {
        const period = calendarMonthPeriod(at, zone);
        expect(periodContains(period, at)).toBe(true);
        expect(period.start.day).toBe(1);
        expect(describePeriod(calendarMonthPeriod(period.start))).toEqual(describePeriod(period));
        const lastMoment = period.endInstant.subtract({ nanoseconds: 1 });
        expect(describePeriod(calendarMonthPeriod(lastMoment, zone))).toEqual(describePeriod(period));
        expect(describePeriod(calendarMonthPeriod(period.endInstant, zone))).toEqual(
          describePeriod(nextCalendarPeriod(period)),
        );
        checkTiling(period, 3);
      }),
    );
  });

  it('anniversary periods keep their anchor day, tile time and are found again from their start', () => {
    fc.assert(
      fc.property(anInstant, timeZone, fc.integer({ min: 1, max: 31 }), (at, zone, anchorDay) => {
        const anchor = Temporal.PlainDate.from({ year: 2027, month: 1, day: anchorDay });
        const period = anniversaryPeriod(anchor, at, zone);
        expect(periodContains(period, at)).toBe(true);
        expect(describePeriod(anniversaryPeriod(anchor, period.start, zone))).toEqual(describePeriod(period));
        let current = period;
        for (let i = 0; i < 14; i++) {
          const start = current.start.toPlainDate();
          expect(start.day).toBe(Math.min(anchorDay, start.daysInMonth));
          current = nextCalendarPeriod(current);
        }
        checkTiling(period, 3);
      }),
    );
  });
});
