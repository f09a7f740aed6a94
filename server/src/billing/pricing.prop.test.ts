import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CurrencyCode, currencyExponent, Decimal, roundDecimalToMinor } from '../money/index.js';
import {
  type ChargePrice,
  type PercentagePrice,
  type PriceTier,
  percentageFee,
  priceQuantity,
  priceRatedCharge,
  type RatedCharge,
  validateChargePrice,
  volumeCliffs,
} from './pricing.js';

/**
 * Properties of the pricing models, checked against a reference written with decimal.js (a different
 * arithmetic from pricing.ts's bigint coefficients), on generated schedules and quantities.
 */

/** coefficient × 10^-scale as plain text, from integers only: no float makes a test value. */
const decimalText = (coefficient: bigint, scale: number) => {
  const digits = coefficient.toString().padStart(scale + 1, '0');
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
};
const decimal = (max: bigint, maxScale: number) =>
  fc
    .tuple(fc.bigInt({ min: 0n, max }), fc.integer({ min: 0, max: maxScale }))
    .map(([c, s]) => decimalText(c, s));
const positiveDecimal = (max: bigint, maxScale: number) =>
  fc
    .tuple(fc.bigInt({ min: 1n, max }), fc.integer({ min: 0, max: maxScale }))
    .map(([c, s]) => decimalText(c, s));

const quantity = decimal(10n ** 9n, 3);
const unitPrice = decimal(10n ** 6n, 6);
const currency = fc.constantFrom<CurrencyCode>('USD', 'INR', 'JPY', 'KWD');

/** 1 to 5 tiers with strictly rising bounds, the last unbounded. */
const tierList: fc.Arbitrary<PriceTier[]> = fc
  .array(fc.tuple(positiveDecimal(10n ** 6n, 2), unitPrice, decimal(10n ** 4n, 2)), {
    minLength: 1,
    maxLength: 5,
  })
  .map((rows) => {
    let bound = new Decimal(0);
    return rows.map(([step, unit_price, flat_price], i) => {
      bound = bound.plus(step);
      return { up_to: i === rows.length - 1 ? null : bound.toString(), unit_price, flat_price };
    });
  });

const perUnit = unitPrice.map((unit_price): ChargePrice => ({ model: 'per_unit', unit_price }));
const graduated = tierList.map((tiers): ChargePrice => ({ model: 'graduated', tiers }));
const volume = tierList.map((tiers): ChargePrice => ({ model: 'volume', tiers }));
const pkg = fc
  .tuple(positiveDecimal(10n ** 4n, 2), unitPrice)
  .map(([package_size, package_price]): ChargePrice => ({ model: 'package', package_size, package_price }));
const anyPrice = fc.oneof(perUnit, graduated, volume, pkg);

const exactOf = (price: ChargePrice, q: string, code: CurrencyCode, included = '0') =>
  new Decimal(priceQuantity(price, q, { currency: code, included_quantity: included }).exact_amount);

describe('pricing properties', () => {
  it('graduated: the total is the sum over tiers of each slice at its price, plus flat prices of tiers reached', () => {
    fc.assert(
      fc.property(graduated, quantity, currency, (price, q, code) => {
        if (price.model !== 'graduated') return;
        const used = new Decimal(q);
        let reference = new Decimal(0);
        let from = new Decimal(0);
        for (const tier of price.tiers) {
          if (used.lte(from)) break;
          const to = tier.up_to === null ? used : Decimal.min(used, tier.up_to);
          reference = reference.plus(to.minus(from).times(tier.unit_price)).plus(tier.flat_price);
          from = new Decimal(tier.up_to ?? used);
        }
        expect(exactOf(price, q, code).eq(reference)).toBe(true);
      }),
    );
  });

  it('volume: exactly one tier, the one the quantity falls in, prices all of it', () => {
    fc.assert(
      fc.property(volume, quantity, currency, (price, q, code) => {
        if (price.model !== 'volume') return;
        const priced = priceQuantity(price, q, { currency: code });
        const used = new Decimal(q);
        if (used.isZero()) {
          expect(priced.tiers).toEqual([]);
          return;
        }
        expect(priced.tiers).toHaveLength(1);
        const [tier] = priced.tiers;
        expect(used.gt(tier?.from ?? '0')).toBe(true);
        if (tier?.to != null) expect(used.lte(tier.to)).toBe(true);
        expect(
          new Decimal(priced.exact_amount).eq(
            used.times(tier?.unit_price ?? '0').plus(tier?.flat_price ?? '0'),
          ),
        ).toBe(true);
      }),
    );
  });

  it('package: ceil(quantity / size) packages at the package price', () => {
    fc.assert(
      fc.property(pkg, quantity, currency, (price, q, code) => {
        if (price.model !== 'package') return;
        const packages = new Decimal(q).div(price.package_size).ceil();
        expect(exactOf(price, q, code).eq(packages.times(price.package_price))).toBe(true);
      }),
    );
  });

  it('totals never fall as quantity rises (volume schedules without a step down the editor warns of)', () => {
    fc.assert(
      fc.property(anyPrice, quantity, quantity, currency, (price, a, b, code) => {
        fc.pre(validateChargePrice(price, code).length === 0 && volumeCliffs(price).length === 0);
        const [low, high] = new Decimal(a).lte(b) ? [a, b] : [b, a];
        const cheap = priceQuantity(price, low, { currency: code });
        const dear = priceQuantity(price, high, { currency: code });
        expect(new Decimal(cheap.exact_amount).lte(dear.exact_amount)).toBe(true);
        expect(cheap.amount <= dear.amount).toBe(true);
      }),
    );
  });

  it('rounds once: the amount is the exact total rounded half-up, within half a minor unit', () => {
    fc.assert(
      fc.property(anyPrice, quantity, currency, (price, q, code) => {
        const priced = priceQuantity(price, q, { currency: code });
        const inMinor = new Decimal(priced.exact_amount).times(new Decimal(10).pow(currencyExponent(code)));
        expect(priced.amount).toBe(roundDecimalToMinor(inMinor.toString(), 'half_up'));
        expect(inMinor.minus(priced.amount.toString()).abs().lte('0.5')).toBe(true);
      }),
    );
  });

  it('an included quantity prices like the usage above it with nothing included', () => {
    fc.assert(
      fc.property(anyPrice, quantity, quantity, currency, (price, q, included, code) => {
        const billable = Decimal.max(new Decimal(q).minus(included), 0).toString();
        const withIncluded = priceQuantity(price, q, { currency: code, included_quantity: included });
        const plain = priceQuantity(price, billable, { currency: code });
        expect(withIncluded.amount).toBe(plain.amount);
        expect(withIncluded.billable_quantity).toBe(plain.quantity);
      }),
    );
  });

  it('rate cards: the lines are each merged group priced alone at its rate', () => {
    const pool = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(
        unitPrice,
        fc.array(fc.tuple(pool, unitPrice), { maxLength: 3 }),
        fc.array(fc.tuple(pool, quantity), { minLength: 1, maxLength: 8 }),
        currency,
        (defaultPrice, rateRows, usage, code) => {
          const rates = [...new Map(rateRows).entries()].map(([p, unit_price]) => ({
            dimensions: { pool: p },
            price: { model: 'per_unit' as const, unit_price },
          }));
          const charge: RatedCharge = {
            price: { model: 'per_unit', unit_price: defaultPrice },
            dimensions: ['pool'],
            rates,
            included_quantity: '0',
          };
          const lines = priceRatedCharge(
            charge,
            usage.map(([p, q]) => ({ dimensions: { pool: p }, quantity: q })),
            { currency: code },
          );
          for (const line of lines) {
            const p = line.dimensions.pool;
            const total = usage.filter(([u]) => u === p).reduce((sum, [, q]) => sum.plus(q), new Decimal(0));
            const rate = rates.find((r) => r.dimensions.pool === p);
            const alone = priceQuantity(rate?.price ?? charge.price, total.toString(), { currency: code });
            expect(line.amount).toBe(alone.amount);
            expect(line.rate).toBe(rate ? 'card' : 'default');
          }
          expect(new Set(lines.map((l) => l.dimensions.pool))).toEqual(new Set(usage.map(([p]) => p)));
        },
      ),
    );
  });
});

describe('percentage of transaction values', () => {
  const rate = fc
    .tuple(fc.bigInt({ min: 0n, max: 1_000_000n }), fc.constant(4))
    .map(([c, s]) => decimalText(c, s));
  const bound = fc.option(decimal(10n ** 5n, 2), { nil: null });
  const percentage = fc
    .tuple(rate, decimal(10n ** 3n, 2), bound, bound)
    .map(([r, fixed_amount, a, b]): PercentagePrice => {
      const [min, max] = a !== null && b !== null && new Decimal(a).gt(b) ? [b, a] : [a, b];
      return {
        model: 'percentage',
        rate: r,
        fixed_amount,
        per_transaction_min_amount: min,
        per_transaction_max_amount: max,
      };
    });
  const events = fc.array(decimal(10n ** 9n, 2), { maxLength: 20 });

  it('charges each event a fee within its minimum and maximum', () => {
    fc.assert(
      fc.property(percentage, decimal(10n ** 9n, 2), (price, value) => {
        expect(validateChargePrice(price, 'USD')).toEqual([]);
        const fee = new Decimal(percentageFee(price, value));
        if (price.per_transaction_min_amount !== null)
          expect(fee.gte(price.per_transaction_min_amount)).toBe(true);
        if (price.per_transaction_max_amount !== null)
          expect(fee.lte(price.per_transaction_max_amount)).toBe(true);
      }),
    );
  });

  it('prices the events the same in any order, as the exact sum of their fees rounded once', () => {
    fc.assert(
      fc.property(percentage, events, currency, fc.nat(), (price, values, code, turn) => {
        // reversed, then rotated: another order of the same events
        const reversed = [...values].reverse();
        const at = values.length === 0 ? 0 : turn % values.length;
        const shuffled = [...reversed.slice(at), ...reversed.slice(0, at)];
        const total = values.reduce((sum, v) => sum.plus(v), new Decimal(0)).toString();
        const priced = priceQuantity(price, total, { currency: code, events: values });
        const reordered = priceQuantity(price, total, { currency: code, events: shuffled });
        expect(reordered.amount).toBe(priced.amount);
        const exactSum = values.reduce((sum, v) => sum.plus(percentageFee(price, v)), new Decimal(0));
        expect(new Decimal(priced.exact_amount).eq(exactSum)).toBe(true);
        const inMinor = exactSum.times(new Decimal(10).pow(currencyExponent(code)));
        expect(priced.amount).toBe(roundDecimalToMinor(inMinor.toFixed(), 'half_up'));
      }),
    );
  });
});
