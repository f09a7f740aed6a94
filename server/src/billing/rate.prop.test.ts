import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { calendarMonthPeriod, nextCalendarPeriod } from '../time/index.js';
import { addQuantities } from './pricing.js';
import { rate, rateRenewal } from './rate.js';
import type { PlanCharge, PlanTerms, RatingSnapshot, UsageTotal } from './snapshot.js';
import type { TaxRule } from './tax.js';

/**
 * Properties of the rating core, whatever the plan, the usage, the instant and the time zone, and
 * examples worked out by hand for each rule docs/billing-rules.md describes.
 */

const zones = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Europe/Berlin', 'Australia/Sydney'];
const noTax: TaxRule = { name: 'Tax', percent: '0', inclusive: false };
const gst: TaxRule = { name: 'GST', percent: '18', inclusive: false };

const computations: PlanCharge = {
  metric: 'computations',
  metricName: 'Computations',
  price: {
    model: 'graduated',
    tiers: [
      { up_to: '1000', unit_price: '0', flat_price: '0' },
      { up_to: '10000', unit_price: '0.0125', flat_price: '0' },
      { up_to: null, unit_price: '0.01', flat_price: '5' },
    ],
  },
  dimensions: [],
  rates: [],
  included_quantity: '0',
  payInAdvance: false,
};
const machineHours: PlanCharge = {
  metric: 'machine_hours',
  metricName: 'Machine hours',
  price: { model: 'per_unit', unit_price: '0.35' },
  dimensions: ['region'],
  rates: [{ dimensions: { region: 'eu' }, price: { model: 'per_unit', unit_price: '0.4' } }],
  included_quantity: '0',
  payInAdvance: false,
};

function plan(overrides: Partial<PlanTerms> = {}): PlanTerms {
  return {
    planId: 'plan_pro',
    versionId: 'plv_pro',
    planName: 'Pro',
    basePrice: 4900n,
    currency: 'USD',
    feeTiming: 'advance',
    minimumCommitment: 0n,
    trialDays: 0,
    charges: [computations, machineHours],
    ...overrides,
  };
}

const moment = fc.record({
  zone: fc.constantFrom(...zones),
  epochMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 11, 31) }),
});
const fee = fc.bigInt({ min: 0n, max: 10_000_000n });
const quantity = fc
  .tuple(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 0, max: 99 }))
  .map(([whole, cents]) => (cents === 0 ? String(whole) : `${whole}.${String(cents).padStart(2, '0')}`));
const usageTotal: fc.Arbitrary<UsageTotal> = fc.oneof(
  quantity.map((q) => ({ metric: 'computations', dimensions: {}, quantity: q })),
  fc
    .tuple(fc.constantFrom('eu', 'us', 'in'), quantity)
    .map(([region, q]) => ({ metric: 'machine_hours', dimensions: { region }, quantity: q })),
);
const tax = fc.record({
  name: fc.constant('Tax'),
  percent: fc.constantFrom('0', '5', '7.25', '18'),
  inclusive: fc.boolean(),
});

const at = (zone: string, local: string) => Temporal.ZonedDateTime.from(`${local}[${zone}]`).toInstant();

describe('the rating core', () => {
  it('keeps subtotal + tax = total and total − credit applied = amount due, for every event', () => {
    fc.assert(
      fc.property(
        moment,
        fee,
        fee,
        fc.array(usageTotal, { maxLength: 6 }),
        tax,
        fc.bigInt({ min: -1000n, max: 100_000n }),
        fc.constantFrom('advance' as const, 'arrears' as const),
        ({ zone, epochMs }, base, commitment, usage, rule, balance, feeTiming) => {
          const instant = Temporal.Instant.fromEpochMilliseconds(epochMs);
          const period = calendarMonthPeriod(instant, zone);
          const terms = plan({ basePrice: base, minimumCommitment: commitment, feeTiming });
          const snapshots: RatingSnapshot[] = [
            {
              plan: terms,
              period,
              tax: rule,
              creditBalance: balance,
              event: { kind: 'start', at: instant, trial: false },
            },
            {
              plan: terms,
              period: nextCalendarPeriod(period),
              tax: rule,
              creditBalance: balance,
              event: { kind: 'renewal', closing: { period, from: instant, plan: terms, usage } },
            },
            {
              plan: terms,
              period,
              tax: rule,
              creditBalance: balance,
              event: { kind: 'termination', at: instant, timing: 'now', usage },
            },
          ];
          for (const snapshot of snapshots) {
            const rating = rate(snapshot);
            expect(rating.totals.subtotal + rating.totals.tax).toBe(rating.totals.total);
            expect(rating.creditApplied + rating.amountDue).toBe(rating.totals.total);
            expect(rating.creditApplied >= 0n).toBe(true);
            expect(rating.creditApplied <= (balance > 0n ? balance : 0n)).toBe(true);
            expect(rating.lines.every((line) => line.amount !== 0n)).toBe(true);
          }
        },
      ),
    );
  });

  it('gives the same lines whatever order the usage and the charges come in', () => {
    fc.assert(
      fc.property(
        moment,
        fc.array(usageTotal, { maxLength: 8 }),
        fc.integer(),
        ({ zone, epochMs }, usage, seed) => {
          const period = calendarMonthPeriod(Temporal.Instant.fromEpochMilliseconds(epochMs), zone);
          const shuffled = [...usage].sort(() => (seed % 2 === 0 ? 1 : -1));
          const renewal = (terms: PlanTerms, totals: UsageTotal[]) =>
            rateRenewal({
              plan: terms,
              period: nextCalendarPeriod(period),
              tax: gst,
              closing: { period, from: period.startInstant, plan: terms, usage: totals },
            });
          const a = renewal(plan(), usage);
          const b = renewal(plan({ charges: [machineHours, computations] }), [...shuffled].reverse());
          expect(b.lines).toEqual(a.lines);
          expect(b.totals).toEqual(a.totals);
        },
      ),
    );
  });

  it('bills a charge paid in advance per event for exactly what the period total costs in arrears', () => {
    const inAdvance = plan({ charges: [{ ...computations, payInAdvance: true }] });
    const inArrears = plan({ charges: [computations] });
    fc.assert(
      fc.property(
        moment,
        fc.array(quantity, { minLength: 1, maxLength: 10 }),
        ({ zone, epochMs }, events) => {
          const instant = Temporal.Instant.fromEpochMilliseconds(epochMs);
          const period = calendarMonthPeriod(instant, zone);
          let before = '0';
          let billed = 0n;
          for (const q of events) {
            const rating = rate({
              plan: inAdvance,
              period,
              tax: noTax,
              creditBalance: 0n,
              event: {
                kind: 'usage_event',
                at: instant,
                usage: { metric: 'computations', dimensions: {}, quantity: q },
                before,
              },
            });
            billed += rating.totals.total;
            before = addQuantities(before, q);
          }
          const closing = { period, from: period.startInstant, usage: [] };
          const arrears = rateRenewal({
            plan: { ...inArrears, basePrice: 0n },
            period: nextCalendarPeriod(period),
            tax: noTax,
            closing: {
              ...closing,
              plan: { ...inArrears, basePrice: 0n },
              usage: [{ metric: 'computations', dimensions: {}, quantity: before }],
            },
          });
          expect(billed).toBe(arrears.totals.total);
          // A charge paid in advance is not billed again at the end of the period.
          const renewal = rateRenewal({
            plan: { ...inAdvance, basePrice: 0n },
            period: nextCalendarPeriod(period),
            tax: noTax,
            closing: {
              ...closing,
              plan: { ...inAdvance, basePrice: 0n },
              usage: [{ metric: 'computations', dimensions: {}, quantity: before }],
            },
          });
          expect(renewal.lines).toEqual([]);
        },
      ),
    );
  });

  it('never leaves a period with a minimum commitment below it', () => {
    fc.assert(
      fc.property(moment, fee, fee, fc.array(usageTotal, { maxLength: 4 }), (m, base, commitment, usage) => {
        const period = calendarMonthPeriod(Temporal.Instant.fromEpochMilliseconds(m.epochMs), m.zone);
        const terms = plan({ basePrice: base, minimumCommitment: commitment, feeTiming: 'arrears' });
        const rating = rateRenewal({
          plan: terms,
          period: nextCalendarPeriod(period),
          tax: noTax,
          closing: { period, from: period.startInstant, plan: terms, usage },
        });
        expect(rating.totals.total >= commitment).toBe(true);
        const topUp = rating.lines.find((line) => line.kind === 'adjustment');
        if (topUp) expect(rating.totals.total).toBe(commitment);
      }),
    );
  });

  it('credits an immediate termination exactly what a change to a free plan would', () => {
    fc.assert(
      fc.property(moment, fee, ({ zone, epochMs }, base) => {
        const instant = Temporal.Instant.fromEpochMilliseconds(epochMs);
        const period = calendarMonthPeriod(instant, zone);
        const terms = plan({ basePrice: base });
        const ended = rate({
          plan: terms,
          period,
          tax: noTax,
          creditBalance: 0n,
          event: { kind: 'termination', at: instant, timing: 'now', usage: [] },
        });
        const changed = rate({
          plan: terms,
          period,
          tax: noTax,
          creditBalance: 0n,
          event: { kind: 'plan_change', to: { ...terms, basePrice: 0n }, at: instant, timing: 'now' },
        });
        expect(ended.totals.total).toBe(changed.totals.total);
        expect(ended.totals.total <= 0n && ended.totals.total >= -base).toBe(true);
        // In arrears, the used days are charged instead: the two parts make the whole fee.
        const arrears = rate({
          plan: { ...terms, feeTiming: 'arrears' },
          period,
          tax: noTax,
          creditBalance: 0n,
          event: { kind: 'termination', at: instant, timing: 'now', usage: [] },
        });
        expect(arrears.totals.total - ended.totals.total).toBe(base);
      }),
    );
  });
  it('bills a change now exactly as ending the old plan and starting the new one would, in any fee timing', () => {
    fc.assert(
      fc.property(
        moment,
        fc.integer({ min: 0, max: 40 }),
        fee,
        fee,
        fc.constantFrom('advance' as const, 'arrears' as const),
        fc.constantFrom('advance' as const, 'arrears' as const),
        ({ zone, epochMs }, daysLater, oldFee, newFee, oldTiming, newTiming) => {
          const from = Temporal.Instant.fromEpochMilliseconds(epochMs);
          const period = calendarMonthPeriod(from, zone);
          // The change falls in the period the old plan began to be billed in, at or after that.
          const later = from.add({ hours: daysLater * 24 });
          const at = Temporal.Instant.compare(later, period.endInstant) < 0 ? later : from;
          const old = plan({ basePrice: oldFee, feeTiming: oldTiming, charges: [] });
          const next = plan({
            planId: 'plan_new',
            versionId: 'plv_new',
            basePrice: newFee,
            feeTiming: newTiming,
            charges: [],
          });
          const change = rate({
            plan: old,
            period,
            tax: noTax,
            creditBalance: 0n,
            event: { kind: 'plan_change', to: next, at, timing: 'now', from },
          });
          const ended = rate({
            plan: old,
            period,
            tax: noTax,
            creditBalance: 0n,
            event: { kind: 'termination', at, from, timing: 'now', usage: [] },
          });
          const started = rate({
            plan: next,
            period,
            tax: noTax,
            creditBalance: 0n,
            event: { kind: 'start', at, trial: false },
          });
          expect(change.totals.total).toBe(ended.totals.total + started.totals.total);
          // A fee in arrears is never charged now on joining, and one paid in advance never charged on leaving.
          if (newTiming === 'arrears')
            expect(change.lines.every((l) => l.planVersionId === old.versionId)).toBe(true);
          if (oldTiming === 'advance')
            expect(
              change.lines.filter((l) => l.planVersionId === old.versionId).every((l) => l.amount <= 0n),
            ).toBe(true);
          // During a trial, or waiting for the period's end, nothing is billed.
          for (const event of [
            { kind: 'plan_change' as const, to: next, at, timing: 'now' as const, from, trial: true },
            { kind: 'plan_change' as const, to: next, at, timing: 'period_end' as const, from },
          ]) {
            expect(rate({ plan: old, period, tax: noTax, creditBalance: 0n, event }).lines).toEqual([]);
          }
        },
      ),
    );
  });
});

describe('worked examples', () => {
  it('bills a change from a fee in arrears to one in advance for each plan’s days (Los Angeles, R22)', () => {
    const zone = 'America/Los_Angeles';
    const period = calendarMonthPeriod(at(zone, '2027-03-10T23:00'), zone);
    const rating = rate({
      plan: plan({ planName: 'Pro in arrears', basePrice: 2000n, feeTiming: 'arrears', charges: [] }),
      period,
      tax: noTax,
      creditBalance: 0n,
      event: {
        kind: 'plan_change',
        to: plan({
          planId: 'plan_ent',
          versionId: 'plv_ent',
          planName: 'Enterprise',
          basePrice: 5000n,
          charges: [],
        }),
        at: at(zone, '2027-03-24T21:30'),
        timing: 'now',
        from: at(zone, '2027-03-10T23:00'),
      },
    });
    // 14 days used: 2000 × 22/31 = 1419 less 2000 × 8/31 = 516; Enterprise 5000 × 8/31 = 1290.
    expect(rating.lines.map((l) => [l.description, l.amount])).toEqual([
      ['Pro in arrears, 14 of 31 days until the change', 903n],
      ['Remaining time on Enterprise, 8 of 31 days (Mar 24, 2027 – Mar 31, 2027)', 1290n],
    ]);
    expect(rating.totals.total).toBe(2193n);
  });

  it('bills a fee in arrears at the end of the period it paid for (Kolkata, 15 of 30 days)', () => {
    // Started 2027-04-16 10:00 in Kolkata: April has 30 days, 15 of them (16th–30th) are billed.
    // 4900 × 15 / 30 = 2450.00 exactly; GST 18% = 441; total 2891.
    const zone = 'Asia/Kolkata';
    const start = at(zone, '2027-04-16T10:00');
    const april = calendarMonthPeriod(start, zone);
    const terms = plan({ feeTiming: 'arrears', charges: [] });
    const first = rate({
      plan: terms,
      period: april,
      tax: gst,
      creditBalance: 0n,
      event: { kind: 'start', at: start, trial: false },
    });
    expect(first.lines).toEqual([]);
    const renewal = rateRenewal({
      plan: terms,
      period: nextCalendarPeriod(april),
      tax: gst,
      closing: { period: april, from: start, plan: terms, usage: [] },
    });
    expect(renewal.lines.map((l) => [l.kind, l.amount])).toEqual([['license', 2450n]]);
    expect(renewal.lines[0]?.description).toBe('Pro, 15 of 30 days (Apr 16, 2027 – Apr 30, 2027)');
    expect(renewal.totals).toEqual({ subtotal: 2450n, tax: 441n, total: 2891n });
  });

  it('tops a period up to its minimum commitment, after usage (Los Angeles)', () => {
    // February 2027 (28 days), fee 4900 in advance, commitment 10000.
    // Usage: 3000 computations = 1000 free + 2000 × 0.0125 = 25.00 USD = 2500;
    // 10 machine hours in us = 10 × 0.35 = 3.50 = 350. Billed for February: 4900 + 2500 + 350 = 7750.
    // Top-up 10000 − 7750 = 2250, billed in arrears with March's fee in advance (4900).
    const zone = 'America/Los_Angeles';
    const february = calendarMonthPeriod(at(zone, '2027-02-10T12:00'), zone);
    const terms = plan({ minimumCommitment: 10_000n });
    const renewal = rateRenewal({
      plan: terms,
      period: nextCalendarPeriod(february),
      tax: noTax,
      closing: {
        period: february,
        from: february.startInstant,
        plan: terms,
        usage: [
          { metric: 'computations', dimensions: {}, quantity: '3000' },
          { metric: 'machine_hours', dimensions: { region: 'us' }, quantity: '10' },
        ],
      },
    });
    expect(renewal.lines.map((l) => [l.kind, l.description, l.amount])).toEqual([
      ['usage', 'Computations', 2500n],
      ['usage', 'Machine hours · us', 350n],
      ['adjustment', 'Minimum commitment of Pro: top-up', 2250n],
      ['license', 'Pro (Mar 1, 2027 – Mar 31, 2027)', 4900n],
    ]);
    expect(renewal.totals.total).toBe(10_000n);
  });

  it('charges a fee in arrears for the days used when terminated now (Honolulu)', () => {
    // Started on 16 April 2027, cancelled on 21 April at 08:00 local: April has 30 days; 15 were
    // billable from the start, 10 are left (21st–30th): 3000 × 15 / 30 − 3000 × 10 / 30 = 1500 − 1000
    // = 500 for the 5 days used (16th–20th).
    const zone = 'Pacific/Honolulu';
    const april = calendarMonthPeriod(at(zone, '2027-04-16T09:00'), zone);
    const ended = rate({
      plan: plan({ basePrice: 3000n, feeTiming: 'arrears', charges: [] }),
      period: april,
      tax: noTax,
      creditBalance: 0n,
      event: {
        kind: 'termination',
        at: at(zone, '2027-04-21T08:00'),
        from: at(zone, '2027-04-16T09:00'),
        timing: 'now',
        usage: [],
      },
    });
    expect(ended.lines.map((l) => [l.kind, l.description, l.amount])).toEqual([
      ['license', 'Pro, 5 of 30 days until cancelled', 500n],
    ]);
  });

  it('credits the unused days of an immediate termination, and applies the credit balance first', () => {
    // Berlin, March 2027 has 31 days; cancelled on the 21st at 09:00: 11 days unused (21st–31st).
    // 4900 × 11 / 31 = 1738.71 → 1739 credited.
    const zone = 'Europe/Berlin';
    const when = at(zone, '2027-03-21T09:00');
    const march = calendarMonthPeriod(when, zone);
    const ended = rate({
      plan: plan(),
      period: march,
      tax: noTax,
      creditBalance: 0n,
      event: { kind: 'termination', at: when, timing: 'now', usage: [] },
    });
    expect(ended.lines.map((l) => [l.kind, l.amount])).toEqual([['proration_credit', -1739n]]);
    const atPeriodEnd = rate({
      plan: plan(),
      period: march,
      tax: noTax,
      creditBalance: 0n,
      event: { kind: 'termination', at: when, timing: 'period_end', usage: [] },
    });
    expect(atPeriodEnd.lines).toEqual([]);
    // A balance of 1739 on April's renewal (4900 + 18% = 5782): 1739 from the balance, 4043 by card.
    const april = rateRenewal({
      plan: plan(),
      period: nextCalendarPeriod(march),
      tax: gst,
      creditBalance: 1739n,
    });
    expect([april.totals.total, april.creditApplied, april.amountDue]).toEqual([5782n, 1739n, 4043n]);
  });
});
