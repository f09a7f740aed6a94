import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  anniversaryPeriod,
  BILLING_INTERVALS,
  type BillingInterval,
  type BillingPeriod,
  calendarMonthPeriod,
  daysInPeriod,
  periodContains,
} from '../time/index.js';
import {
  BILLING_ALIGNMENTS,
  type BillingAlignment,
  firstPeriod,
  nextPeriod,
  type PeriodRule,
  periodContaining,
  ruleAtStart,
} from './billing-periods.js';

/**
 * The calendar a subscription is billed by: every interval, calendar-aligned or anniversary, with a
 * billing day of its own, in the customer's zone. The expected boundaries are worked out by hand.
 */

const instant = (iso: string) => Temporal.Instant.from(iso);
const LA = 'America/Los_Angeles';
const KOLKATA = 'Asia/Kolkata';

function rule(
  interval: BillingInterval,
  billingMode: BillingAlignment,
  anchorDay: number,
  timeZone: string,
  startedOn = '2027-01-01',
): PeriodRule {
  return { interval, billingMode, anchorDay, timeZone, startedOn: Temporal.PlainDate.from(startedOn) };
}

const span = (period: BillingPeriod) => [period.startInstant.toString(), period.endInstant.toString()];

describe('calendar-aligned periods', () => {
  it('weeks run Monday to Monday; the week of a daylight-saving change is 7 days of 167 hours', () => {
    // 14 March 2027, a Sunday: Los Angeles moves from UTC−8 to UTC−7.
    const week = periodContaining(rule('week', 'calendar', 1, LA), instant('2027-03-12T20:00:00Z'));
    expect(span(week)).toEqual(['2027-03-08T08:00:00Z', '2027-03-15T07:00:00Z']);
    expect(daysInPeriod(week)).toBe(7);
    expect(week.startInstant.until(week.endInstant, { largestUnit: 'hours' }).hours).toBe(167);
    // Kolkata has no daylight saving: Monday 00:00 is Sunday 18:30Z.
    const kolkata = periodContaining(rule('week', 'calendar', 1, KOLKATA), instant('2027-03-12T20:00:00Z'));
    expect(span(kolkata)).toEqual(['2027-03-07T18:30:00Z', '2027-03-14T18:30:00Z']);
  });

  it('quarters start on 1 January, April, July and October', () => {
    const q2 = periodContaining(rule('quarter', 'calendar', 1, KOLKATA), instant('2027-05-10T00:00:00Z'));
    expect(span(q2)).toEqual(['2027-03-31T18:30:00Z', '2027-06-30T18:30:00Z']);
    expect(daysInPeriod(q2)).toBe(91); // 30 + 31 + 30
    const q4 = periodContaining(rule('quarter', 'calendar', 1, LA), instant('2027-12-31T12:00:00Z'));
    expect(span(q4)).toEqual(['2027-10-01T07:00:00Z', '2028-01-01T08:00:00Z']);
    expect(daysInPeriod(q4)).toBe(92); // 31 + 30 + 31
  });

  it('a half-year holding 29 February is 182 days; without it, 181', () => {
    const leap = periodContaining(rule('half_year', 'calendar', 1, LA), instant('2028-02-29T12:00:00Z'));
    expect(span(leap)).toEqual(['2028-01-01T08:00:00Z', '2028-07-01T07:00:00Z']);
    expect(daysInPeriod(leap)).toBe(182); // 31 + 29 + 31 + 30 + 31 + 30
    const common = periodContaining(
      rule('half_year', 'calendar', 1, KOLKATA),
      instant('2027-03-01T00:00:00Z'),
    );
    expect(daysInPeriod(common)).toBe(181);
    const second = nextPeriod(rule('half_year', 'calendar', 1, KOLKATA), common);
    expect(span(second)).toEqual(['2027-06-30T18:30:00Z', '2027-12-31T18:30:00Z']);
    expect(daysInPeriod(second)).toBe(184); // 31 + 31 + 30 + 31 + 30 + 31
  });

  it('years start on 1 January in the customer’s zone', () => {
    // 1 January 2028 has begun in Kolkata at 18:30Z on 31 December, not yet in Los Angeles.
    const at = instant('2027-12-31T20:00:00Z');
    expect(span(periodContaining(rule('year', 'calendar', 1, KOLKATA), at))).toEqual([
      '2027-12-31T18:30:00Z',
      '2028-12-31T18:30:00Z',
    ]);
    const la = periodContaining(rule('year', 'calendar', 1, LA), at);
    expect(span(la)).toEqual(['2027-01-01T08:00:00Z', '2028-01-01T08:00:00Z']);
    expect(daysInPeriod(nextPeriod(rule('year', 'calendar', 1, LA), la))).toBe(366);
  });

  it('months are the calendar months they always were', () => {
    fc.assert(
      fc.property(anInstant, aZone, (at, zone) => {
        expect(span(periodContaining(rule('month', 'calendar', 1, zone), at))).toEqual(
          span(calendarMonthPeriod(at, zone)),
        );
      }),
    );
  });
});

describe('anniversary periods', () => {
  it('count quarters from the start, clamped at month ends and back to the anchor day', () => {
    const r = rule('quarter', 'anniversary', 30, KOLKATA, '2027-11-30');
    const first = periodContaining(r, instant('2027-12-01T00:00:00Z'));
    const dates = [first, nextPeriod(r, first), nextPeriod(r, nextPeriod(r, first))].map((p) =>
      p.start.toPlainDate().toString(),
    );
    expect(dates).toEqual(['2027-11-30', '2028-02-29', '2028-05-30']);
  });

  it('count years from 29 February to the 28th, and back in a leap year', () => {
    const r = rule('year', 'anniversary', 29, LA, '2028-02-29');
    expect(periodContaining(r, instant('2029-03-01T12:00:00Z')).start.toPlainDate().toString()).toBe(
      '2029-02-28',
    );
    expect(periodContaining(r, instant('2032-03-01T12:00:00Z')).start.toPlainDate().toString()).toBe(
      '2032-02-29',
    );
  });

  it('months are the anniversary months they always were', () => {
    fc.assert(
      fc.property(anInstant, aZone, fc.integer({ min: 1, max: 31 }), (at, zone, day) => {
        const anchor = Temporal.PlainDate.from({ year: 2027, month: 1, day });
        expect(span(periodContaining(rule('month', 'anniversary', day, zone, '2027-01-01'), at))).toEqual(
          span(anniversaryPeriod(anchor, at, zone)),
        );
      }),
    );
  });
});

describe('a billing day apart from the start day', () => {
  it('runs the first month from the 10th to the 15th, 5 of the 30 days from 15 April to 15 May', () => {
    const r = ruleAtStart({
      interval: 'month',
      billingMode: 'calendar',
      billingDay: 15,
      timeZone: LA,
      at: instant('2027-05-10T19:00:00Z'),
    });
    const first = firstPeriod(r, instant('2027-05-10T19:00:00Z'));
    expect(first.end.toString()).toBe('2027-05-15T07:00:00Z');
    expect([first.days, first.periodDays]).toEqual([5, 30]);
  });

  it('runs the first week from a Friday to Wednesday, 5 of 7 days', () => {
    // Friday 12 March 2027 in Kolkata; billing weekday 3, Wednesday.
    const at = instant('2027-03-12T06:00:00Z');
    const first = firstPeriod(
      ruleAtStart({ interval: 'week', billingMode: 'calendar', billingDay: 3, timeZone: KOLKATA, at }),
      at,
    );
    expect(first.end.toString()).toBe('2027-03-16T18:30:00Z');
    expect([first.days, first.periodDays]).toEqual([5, 7]);
  });

  it('by default bills calendar periods from the 1st and anniversary periods from the start day', () => {
    const at = instant('2027-05-10T19:00:00Z');
    const base = { interval: 'month', timeZone: LA, at } as const;
    expect(ruleAtStart({ ...base, billingMode: 'calendar' }).anchorDay).toBe(1);
    expect(ruleAtStart({ ...base, billingMode: 'anniversary' }).anchorDay).toBe(10);
    // 10 May 2027 is a Monday.
    expect(ruleAtStart({ ...base, interval: 'week', billingMode: 'anniversary' }).anchorDay).toBe(1);
    const full = firstPeriod(ruleAtStart({ ...base, billingMode: 'anniversary' }), at);
    expect([full.days, full.periodDays]).toEqual([31, 31]);
  });

  it('refuses a billing day the interval does not have', () => {
    expect(() => periodContaining(rule('week', 'calendar', 8, LA), instant('2027-01-01T00:00:00Z'))).toThrow(
      RangeError,
    );
    expect(() => periodContaining(rule('month', 'calendar', 0, LA), instant('2027-01-01T00:00:00Z'))).toThrow(
      RangeError,
    );
  });
});

const aZone = fc.constantFrom('UTC', LA, KOLKATA, 'America/Santiago', 'Australia/Lord_Howe', 'Pacific/Apia');
// 1950–2150, as the time module's own properties.
const anInstant = fc
  .integer({ min: -631_152_000_000, max: 5_679_792_000_000 })
  .map((ms) => Temporal.Instant.fromEpochMilliseconds(ms));

describe('every interval, alignment and billing day', () => {
  it('contains its instant, tiles time and starts on its billing day', () => {
    fc.assert(
      fc.property(
        anInstant,
        aZone,
        fc.constantFrom(...BILLING_INTERVALS),
        fc.constantFrom(...BILLING_ALIGNMENTS),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: -30_000, max: 30_000 }),
        (at, zone, interval, mode, day, startOffset) => {
          const anchorDay = interval === 'week' ? ((day - 1) % 7) + 1 : day;
          const startedOn = Temporal.PlainDate.from('2027-06-15').add({ days: startOffset });
          const r = rule(interval, mode, anchorDay, zone, startedOn.toString());
          const period = periodContaining(r, at);
          expect(periodContains(period, at)).toBe(true);
          const start = period.start.toPlainDate();
          if (interval === 'week') {
            expect(start.dayOfWeek).toBe(anchorDay);
            expect(daysInPeriod(period)).toBe(7);
          } else {
            expect(start.day).toBe(Math.min(anchorDay, start.daysInMonth));
            if (mode === 'calendar')
              expect((start.month - 1) % { month: 1, quarter: 3, half_year: 6, year: 12 }[interval]).toBe(0);
          }
          const next = nextPeriod(r, period);
          expect(next.startInstant.equals(period.endInstant)).toBe(true);
          expect(span(periodContaining(r, period.endInstant.subtract({ nanoseconds: 1 })))).toEqual(
            span(period),
          );
        },
      ),
    );
  });
});
