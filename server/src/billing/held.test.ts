import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { calendarMonthPeriod, daysInPeriod } from '../time/index.js';
import { type HeldUnits, unitDaysHeld } from './held.js';
import { addQuantities, type ChargePrice, priceQuantity } from './pricing.js';

/** A recurring metric's level billed by the day (R29): worked examples, then properties. */

const zone = 'America/Los_Angeles';
/** 11:00 on a day of April 2027 in Los Angeles (UTC−7). */
const april = (day: number, hour = 11) =>
  Temporal.ZonedDateTime.from({ year: 2027, month: 4, day, hour, timeZone: zone }).toInstant();
const aprilPeriod = calendarMonthPeriod(april(1), zone);
const wholePeriod = { start: aprilPeriod.startInstant, end: aprilPeriod.endInstant };
const held = (opening: string, ...changes: [Temporal.Instant, string][]): HeldUnits => ({
  opening,
  changes: changes.map(([at, level]) => ({ at, level })),
});
const perUnit = (unit_price: string): ChargePrice => ({ model: 'per_unit', unit_price });

describe('units held by the day', () => {
  it('counts 10 seats all month and 5 more from the 16th of 30 days as 12.5 seats', () => {
    const seats = held('10', [april(16), '15']);
    expect(unitDaysHeld(seats, aprilPeriod, wholePeriod)).toBe('375');
    const priced = priceQuantity(perUnit('4.00'), '375', { currency: 'USD', days_in_period: 30 });
    expect(priced).toMatchObject({ quantity: '12.5', exact_amount: '50', amount: 5000n });
  });

  it('holds the level at the end of each day: a removal’s day is not held, a same-day round trip is nothing', () => {
    // 10 seats; 3 removed on the 21st (held 1st–20th); 2 added at 09:00 and removed at 15:00 on the 5th.
    const seats = held('10', [april(5, 9), '12'], [april(5, 15), '10'], [april(21), '7']);
    expect(unitDaysHeld(seats, aprilPeriod, wholePeriod)).toBe(String(10 * 20 + 7 * 10));
  });

  it('counts only the days of a span that starts or ends inside the period', () => {
    const seats = held('4', [april(10), '6']);
    // Billed from the 6th (a first period): 4 for the 6th–9th, 6 for the 10th–30th.
    expect(unitDaysHeld(seats, aprilPeriod, { start: april(6), end: aprilPeriod.endInstant })).toBe(
      String(4 * 4 + 6 * 21),
    );
    // Ended on the 20th: the 1st–19th, the day it ends not held (as a plan's fee, R3).
    expect(unitDaysHeld(seats, aprilPeriod, { start: aprilPeriod.startInstant, end: april(20) })).toBe(
      String(4 * 9 + 6 * 10),
    );
    // A change after the span is not in it.
    expect(unitDaysHeld(held('4', [april(25), '9']), aprilPeriod, { start: april(1), end: april(20) })).toBe(
      String(4 * 19),
    );
  });

  it('takes decimal levels exactly', () => {
    expect(unitDaysHeld(held('2.5', [april(30), '0.25']), aprilPeriod, wholePeriod)).toBe('72.75');
  });

  it('prices the fraction of the period exactly, rounding only the line', () => {
    // One unit-day of 31 at 0.155 is 0.005 exactly: half a cent, rounded up to 1. Rounding the
    // quantity first (0.032258064516 units) would have made it 0.0049999 and 0.
    const priced = priceQuantity(perUnit('0.155'), '1', { currency: 'USD', days_in_period: 31 });
    expect(priced.amount).toBe(1n);
    expect(priced.quantity).toBe('0.032258064516');
  });

  it('applies tiers, included units and packages to the units held all period', () => {
    const tiers: ChargePrice = {
      model: 'graduated',
      tiers: [
        { up_to: '5', unit_price: '0', flat_price: '0' },
        { up_to: null, unit_price: '2.00', flat_price: '1.00' },
      ],
    };
    // 229 licence-days of 31: the first 5 free (155), 74 / 31 at 2.00 + 1.00 flat = 5.7742 → 577.
    const graduated = priceQuantity(tiers, '229', { currency: 'USD', days_in_period: 31 });
    expect(graduated.amount).toBe(577n);
    expect(graduated.tiers.map((t) => [t.from, t.to, t.quantity, t.flat_price])).toEqual([
      ['0', '5', '5', '0'],
      ['5', null, '2.387096774194', '1'],
    ]);
    // 12.5 seats with 2 included at 1.00: 10.5.
    const included = priceQuantity(perUnit('1'), '375', {
      currency: 'USD',
      days_in_period: 30,
      included_quantity: '2',
    });
    expect([included.billable_quantity, included.amount]).toEqual(['10.5', 1050n]);
    // 12.5 seats in packages of 5 at 3.00: 3 packages.
    const packages = priceQuantity({ model: 'package', package_size: '5', package_price: '3' }, '375', {
      currency: 'USD',
      days_in_period: 30,
    });
    expect(packages.amount).toBe(900n);
  });
});

describe('units held by the day, properties', () => {
  const zones = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Europe/Berlin', 'America/Santiago'];
  const level = fc.integer({ min: 0, max: 500 }).map(String);
  const scenario = fc
    .record({
      zone: fc.constantFrom(...zones),
      month: fc.integer({ min: 0, max: 47 }),
      opening: level,
      changes: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), level }), {
        maxLength: 8,
      }),
    })
    .map(({ zone, month, opening, changes }) => {
      const period = calendarMonthPeriod(
        Temporal.ZonedDateTime.from({
          year: 2027 + Math.floor(month / 12),
          month: (month % 12) + 1,
          day: 1,
          timeZone: zone,
        }),
      );
      const start = period.startInstant.epochMilliseconds;
      const length = period.endInstant.epochMilliseconds - start;
      const at = (share: number) =>
        Temporal.Instant.fromEpochMilliseconds(start + Math.floor(share * (length - 1)));
      const sorted = [...changes].sort((a, b) => a.at - b.at);
      return {
        period,
        units: held(opening, ...sorted.map((c): [Temporal.Instant, string] => [at(c.at), c.level])),
      };
    });

  it('holds a level kept all period as that many units, whatever the model', () => {
    const prices: ChargePrice[] = [
      perUnit('0.37'),
      { model: 'package', package_size: '3', package_price: '2.5' },
      {
        model: 'volume',
        tiers: [
          { up_to: '10', unit_price: '1', flat_price: '0.5' },
          { up_to: null, unit_price: '0.8', flat_price: '0' },
        ],
      },
    ];
    fc.assert(
      fc.property(scenario, fc.constantFrom(...prices), ({ period, units }, price) => {
        const whole = { start: period.startInstant, end: period.endInstant };
        const kept = held(units.opening);
        const days = daysInPeriod(period);
        const unitDays = unitDaysHeld(kept, period, whole);
        const priced = priceQuantity(price, unitDays, { currency: 'USD', days_in_period: days });
        expect(priced.amount).toBe(priceQuantity(price, units.opening, { currency: 'USD' }).amount);
      }),
    );
  });

  it('adds up day by day to the whole period', () => {
    fc.assert(
      fc.property(scenario, ({ period, units }) => {
        const whole = unitDaysHeld(units, period, { start: period.startInstant, end: period.endInstant });
        let days = '0';
        let day = period.start;
        while (Temporal.ZonedDateTime.compare(day, period.end) < 0) {
          const next = day.add({ days: 1 });
          days = addQuantities(
            days,
            unitDaysHeld(units, period, { start: day.toInstant(), end: next.toInstant() }),
          );
          day = next;
        }
        expect(days).toBe(whole);
      }),
    );
  });
});
