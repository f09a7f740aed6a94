import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { addMonthsClamped, calendarMonthPeriod, isTimeZone, TestClock } from './index.js';

/**
 * Edges a mutation run (npm run mutate) changed without any test noticing: the guards on month
 * arithmetic, which zone a period is computed in, and a test clock told to stand still.
 */

describe('time guards', () => {
  it('steps months only by whole months, onto a day of the month that exists', () => {
    const jan31 = Temporal.PlainDate.from('2027-01-31');
    expect(addMonthsClamped(jan31, 1).toString()).toBe('2027-02-28');
    expect(addMonthsClamped(jan31, 1, 1).toString()).toBe('2027-02-01');
    expect(addMonthsClamped(jan31, 1, 31).toString()).toBe('2027-02-28');
    for (const anchorDay of [0, 32, 1.5, Number.NaN]) {
      expect(() => addMonthsClamped(jan31, 1, anchorDay), String(anchorDay)).toThrow(
        `Anchor day must be an integer from 1 to 31, got ${anchorDay}`,
      );
    }
    expect(() => addMonthsClamped(jan31, 0.5)).toThrow('Months must be an integer, got 0.5');
  });

  it('computes a calendar month in the zone it is given, or else in the zone of the zoned time', () => {
    const instant = Temporal.Instant.from('2027-03-01T03:00:00Z');
    // 03:00 UTC on 1 March is still February in Los Angeles.
    expect(calendarMonthPeriod(instant, 'America/Los_Angeles').start.toString()).toBe(
      '2027-02-01T00:00:00-08:00[America/Los_Angeles]',
    );
    expect(calendarMonthPeriod(instant.toZonedDateTimeISO('America/Los_Angeles')).start.toString()).toBe(
      '2027-02-01T00:00:00-08:00[America/Los_Angeles]',
    );
    // An Instant alone has no zone: refused, rather than guessed.
    expect(() => (calendarMonthPeriod as unknown as (at: Temporal.Instant) => unknown)(instant)).toThrow(
      'A time zone is required when `at` is an Instant',
    );
  });

  it('knows real time zones from made-up ones', () => {
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('+05:30')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('lets a test clock advance by nothing, and never backwards', () => {
    const clock = new TestClock('2027-01-15T10:00:00Z');
    expect(clock.advance({ seconds: 0 }).toString()).toBe('2027-01-15T10:00:00Z');
    expect(() => clock.advance({ seconds: -1 })).toThrow('TestClock.advance needs a non-negative duration');
    expect(clock.now().toString()).toBe('2027-01-15T10:00:00Z');
  });
});
