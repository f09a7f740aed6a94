import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { calendarMonthPeriod, daysInPeriod } from '../time/index.js';
import { licenseLine, type PlanPrice, remainingTimeLine, unusedTimeLine } from './proration.js';
import { invoiceTotals } from './tax.js';

/**
 * Properties of the pure charge computations: what any start, change or tax rule must satisfy,
 * whatever the amounts, days and time zones.
 */

const zones = [
  'UTC',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Europe/Berlin',
  'Australia/Sydney',
  'America/Santiago',
];
const price = (name: string, basePrice: bigint): PlanPrice => ({
  planId: `plan_${name}`,
  versionId: `plv_${name}`,
  planName: name,
  basePrice,
  currency: 'USD',
});

const moment = fc.record({
  zone: fc.constantFrom(...zones),
  // Any instant from 2026 to 2030.
  epochMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 11, 31) }),
});
const amount = fc.bigInt({ min: 0n, max: 10_000_000n });

describe('charge computations', () => {
  it('charges the whole fee for a whole period and never more than it for a part', () => {
    fc.assert(
      fc.property(moment, amount, ({ zone, epochMs }, base) => {
        const at = Temporal.Instant.fromEpochMilliseconds(epochMs);
        const period = calendarMonthPeriod(at, zone);
        expect(licenseLine(price('a', base), period, period.startInstant).amount).toBe(base);
        const part = licenseLine(price('a', base), period, at).amount;
        expect(part >= 0n && part <= base).toBe(true);
      }),
    );
  });

  it('credits and charges the same days, so a change to the same price nets to zero', () => {
    fc.assert(
      fc.property(moment, amount, ({ zone, epochMs }, base) => {
        const at = Temporal.Instant.fromEpochMilliseconds(epochMs);
        const period = calendarMonthPeriod(at, zone);
        const credit = unusedTimeLine(price('a', base), period, at);
        const charge = remainingTimeLine(price('b', base), period, at);
        expect(credit.amount + charge.amount).toBe(0n);
        expect(credit.description.match(/(\d+) of (\d+) days/)?.[2]).toBe(String(daysInPeriod(period)));
      }),
    );
  });

  it('makes an upgrade cost what the difference in fees would for the same days, within a cent', () => {
    fc.assert(
      fc.property(moment, amount, amount, ({ zone, epochMs }, low, extra) => {
        const at = Temporal.Instant.fromEpochMilliseconds(epochMs);
        const period = calendarMonthPeriod(at, zone);
        const high = low + extra;
        const lines = [
          unusedTimeLine(price('low', low), period, at),
          remainingTimeLine(price('high', high), period, at),
        ];
        const due = lines.reduce((sum, line) => sum + line.amount, 0n);
        const exact = licenseLine(price('diff', extra), period, at).amount;
        // Each of the two lines is rounded once; the sum may differ from rounding the difference by 1.
        expect(due - exact >= -1n && due - exact <= 1n).toBe(true);
      }),
    );
  });

  it('keeps subtotal + tax = total, with tax never negative on charges', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { maxLength: 6 }),
        fc.constantFrom('0', '5', '7.25', '18', '19.5'),
        fc.boolean(),
        (amounts, percent, inclusive) => {
          const totals = invoiceTotals(amounts, { name: 'Tax', percent, inclusive });
          expect(totals.subtotal + totals.tax).toBe(totals.total);
          expect(totals.tax >= 0n).toBe(true);
          const lines = amounts.reduce((a, b) => a + b, 0n);
          expect(inclusive ? totals.total : totals.subtotal).toBe(lines);
        },
      ),
    );
  });
});
