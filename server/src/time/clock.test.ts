import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { fromDate, systemClock, TestClock, toDate } from './index.js';

describe('TestClock', () => {
  it('stands still until moved', () => {
    const clock = new TestClock('2027-01-31T10:00:00Z');
    expect(clock.now().toString()).toBe('2027-01-31T10:00:00Z');
    expect(clock.now().toString()).toBe('2027-01-31T10:00:00Z');
  });

  it('accepts an Instant', () => {
    const start = Temporal.Instant.from('2027-01-01T00:00:00Z');
    expect(new TestClock(start).now().equals(start)).toBe(true);
  });

  it('advances by exact and calendar durations', () => {
    const clock = new TestClock('2027-01-31T10:00:00Z');
    expect(clock.advance({ hours: 2, minutes: 30 }).toString()).toBe('2027-01-31T12:30:00Z');
    expect(clock.advance({ months: 1 }).toString()).toBe('2027-02-28T12:30:00Z');
    expect(clock.advance('P1D').toString()).toBe('2027-03-01T12:30:00Z');
    expect(clock.now().toString()).toBe('2027-03-01T12:30:00Z');
  });

  it('adds calendar days in the given time zone across daylight saving', () => {
    // Noon in New York the day before clocks spring forward; one day later is noon again, 23 hours on.
    const clock = new TestClock('2027-03-13T17:00:00Z');
    expect(clock.advance({ days: 1 }, 'America/New_York').toString()).toBe('2027-03-14T16:00:00Z');
  });

  it('only advances forward, but can be set anywhere', () => {
    const clock = new TestClock('2027-06-01T00:00:00Z');
    expect(() => clock.advance({ hours: -1 })).toThrow(RangeError);
    expect(clock.set('2026-01-01T00:00:00Z').toString()).toBe('2026-01-01T00:00:00Z');
    expect(clock.now().toString()).toBe('2026-01-01T00:00:00Z');
    clock.set(Temporal.Instant.from('2030-01-01T00:00:00Z'));
    expect(clock.now().toString()).toBe('2030-01-01T00:00:00Z');
  });

  it('rejects a start without an offset', () => {
    expect(() => new TestClock('2027-01-01T00:00:00')).toThrow(RangeError);
  });
});

describe('Date conversion', () => {
  it('round-trips at millisecond precision', () => {
    const at = Temporal.Instant.from('2027-03-14T07:00:00.123Z');
    expect(toDate(at).toISOString()).toBe('2027-03-14T07:00:00.123Z');
    expect(fromDate(toDate(at)).equals(at)).toBe(true);
    // Below a millisecond is dropped, as JS Dates cannot hold it.
    expect(toDate(Temporal.Instant.from('2027-03-14T07:00:00.123999Z')).toISOString()).toBe(
      '2027-03-14T07:00:00.123Z',
    );
  });
});

describe('systemClock', () => {
  it('reads the current time', () => {
    const first = systemClock.now();
    const second = systemClock.now();
    expect(first).toBeInstanceOf(Temporal.Instant);
    expect(Temporal.Instant.compare(first, second)).toBeLessThanOrEqual(0);
    expect(Temporal.Instant.compare(first, Temporal.Instant.from('2025-01-01T00:00:00Z'))).toBe(1);
  });
});
