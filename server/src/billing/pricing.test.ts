import { describe, expect, it } from 'vitest';
import type { CurrencyCode } from '../money/index.js';
import {
  type ChargePrice,
  type PercentagePrice,
  percentageFee,
  priceQuantity,
  priceRatedCharge,
  type RatedCharge,
  subtractQuantities,
  validateChargePrice,
  validateRatedCharge,
  volumeCliffs,
} from './pricing.js';

/** Hand-computed prices: every expected amount is worked out in the comment beside it. */

const perUnit = (unit_price: string): ChargePrice => ({ model: 'per_unit', unit_price });
const tiers = (...list: [string | null, string, string?][]) =>
  list.map(([up_to, unit_price, flat_price = '0']) => ({ up_to, unit_price, flat_price }));
const graduated = (...list: [string | null, string, string?][]): ChargePrice => ({
  model: 'graduated',
  tiers: tiers(...list),
});
const volume = (...list: [string | null, string, string?][]): ChargePrice => ({
  model: 'volume',
  tiers: tiers(...list),
});
const pkg = (package_size: string, package_price: string): ChargePrice => ({
  model: 'package',
  package_size,
  package_price,
});

interface Case {
  name: string;
  price: ChargePrice;
  quantity: string;
  currency: CurrencyCode;
  included?: string;
  amount: bigint;
}

const cases: Case[] = [
  // per unit
  {
    name: 'machine hours at a fraction of a cent',
    price: perUnit('0.0125'),
    quantity: '300',
    currency: 'USD',
    amount: 375n,
  }, // 300 × 0.0125 = 3.75
  { name: 'half a cent rounds up', price: perUnit('0.0125'), quantity: '1', currency: 'USD', amount: 1n }, // 0.0125 → 1.25¢ → 1¢
  {
    name: 'exactly half a cent rounds up',
    price: perUnit('0.005'),
    quantity: '1',
    currency: 'USD',
    amount: 1n,
  }, // 0.5¢ → 1¢ (half-up)
  { name: 'fractional quantity', price: perUnit('0.04'), quantity: '12.5', currency: 'USD', amount: 50n }, // 12.5 × 0.04 = 0.50
  {
    name: 'included quantity comes off first',
    price: perUnit('0.02'),
    quantity: '1250',
    included: '1000',
    currency: 'USD',
    amount: 500n,
  }, // 250 × 0.02 = 5.00
  {
    name: 'usage under the included quantity is free',
    price: perUnit('0.02'),
    quantity: '999',
    included: '1000',
    currency: 'USD',
    amount: 0n,
  },
  { name: 'rupees per unit', price: perUnit('1.5'), quantity: '333', currency: 'INR', amount: 49950n }, // 333 × 1.5 = ₹499.50
  { name: 'yen round to whole yen', price: perUnit('0.5'), quantity: '3', currency: 'JPY', amount: 2n }, // 1.5 → ¥2 (half-up)
  { name: 'yen below half round down', price: perUnit('0.3'), quantity: '11', currency: 'JPY', amount: 3n }, // 3.3 → ¥3
  // graduated
  {
    name: 'graduated over two tiers',
    price: graduated(['1000', '0.05'], [null, '0.0125']),
    quantity: '1250',
    currency: 'USD',
    amount: 5313n, // 1000 × 0.05 + 250 × 0.0125 = 50 + 3.125 = 53.125 → 53.13
  },
  {
    name: 'graduated with included and a flat fee on the second tier',
    price: graduated(['1000', '0.05'], [null, '0.0125', '2']),
    quantity: '1250',
    included: '100',
    currency: 'USD',
    amount: 5388n, // 1150 billable: 50 + 150 × 0.0125 + 2 = 53.875 → 53.88
  },
  {
    name: 'graduated within the first tier',
    price: graduated(['100', '0.10', '1'], ['1000', '0.05'], [null, '0.01']),
    quantity: '40',
    currency: 'USD',
    amount: 500n, // 40 × 0.10 + 1 flat = 5.00
  },
  {
    name: 'graduated exactly on a boundary stays in the lower tier',
    price: graduated(['100', '0.10'], [null, '0.05', '3']),
    quantity: '100',
    currency: 'USD',
    amount: 1000n, // 100 × 0.10 = 10.00; the second tier (and its flat fee) is not reached
  },
  {
    name: 'graduated in rupees over three tiers',
    price: graduated(['10', '100'], ['100', '80'], [null, '50']),
    quantity: '150',
    currency: 'INR',
    amount: 1070000n, // 10 × 100 + 90 × 80 + 50 × 50 = 1000 + 7200 + 2500 = ₹10,700.00
  },
  {
    name: 'graduated in yen',
    price: graduated(['1000', '1.2'], [null, '0.75']),
    quantity: '1001',
    currency: 'JPY',
    amount: 1201n, // 1000 × 1.2 + 1 × 0.75 = 1200.75 → ¥1,201
  },
  // volume
  {
    name: 'volume uses the tier the whole quantity falls in',
    price: volume(['1000', '0.012'], [null, '0.010', '2']),
    quantity: '1500',
    currency: 'USD',
    amount: 1700n, // 1500 × 0.010 + 2 = 17.00
  },
  {
    name: 'volume in the first tier',
    price: volume(['1000', '0.012'], [null, '0.010', '2']),
    quantity: '999',
    currency: 'USD',
    amount: 1199n, // 999 × 0.012 = 11.988 → 11.99
  },
  {
    name: 'volume exactly on a boundary',
    price: volume(['1000', '0.012'], [null, '0.010', '2']),
    quantity: '1000',
    currency: 'USD',
    amount: 1200n, // 1000 × 0.012 = 12.00 (first tier covers up to and including 1000)
  },
  {
    name: 'volume in rupees with a fractional quantity',
    price: volume(['50', '12'], [null, '10', '100']),
    quantity: '60.5',
    currency: 'INR',
    amount: 70500n, // 60.5 × 10 + 100 = ₹705.00
  },
  {
    name: 'volume in yen',
    price: volume(['100', '15'], [null, '12', '300']),
    quantity: '250',
    currency: 'JPY',
    amount: 3300n, // 250 × 12 + 300 = ¥3,300
  },
  {
    name: 'zero usage costs nothing, flat fees included',
    price: volume(['100', '1', '5'], [null, '0.5', '55']),
    quantity: '0',
    currency: 'USD',
    amount: 0n,
  },
  // package
  {
    name: 'a started package costs a whole one',
    price: pkg('100', '5'),
    quantity: '101',
    currency: 'USD',
    amount: 1000n,
  }, // ceil(101/100) = 2 × 5
  { name: 'exact packages', price: pkg('100', '5'), quantity: '300', currency: 'USD', amount: 1500n }, // 3 × 5
  {
    name: 'packages after the included quantity',
    price: pkg('1000', '2.5'),
    quantity: '2500',
    included: '1000',
    currency: 'USD',
    amount: 500n,
  }, // ceil(1500/1000) = 2 × 2.5
  {
    name: 'packages of fractional gigabytes',
    price: pkg('0.5', '0.03'),
    quantity: '1.2',
    currency: 'USD',
    amount: 9n,
  }, // ceil(2.4) = 3 × 0.03 = 0.09
  { name: 'packages in rupees', price: pkg('250', '199'), quantity: '251', currency: 'INR', amount: 39800n }, // 2 × ₹199
  { name: 'packages in yen', price: pkg('10', '99.5'), quantity: '5', currency: 'JPY', amount: 100n }, // 1 × 99.5 → ¥100
];

describe('hand-computed prices', () => {
  it.each(cases)('$name', ({ price, quantity, currency, included, amount }) => {
    const priced = priceQuantity(price, quantity, {
      currency,
      ...(included ? { included_quantity: included } : {}),
    });
    expect(priced.amount).toBe(amount);
    expect(validateChargePrice(price, currency)).toEqual([]);
  });

  it('explains a graduated price tier by tier, exactly, before rounding', () => {
    const priced = priceQuantity(graduated(['1000', '0.05'], [null, '0.0125', '2']), '1250', {
      currency: 'USD',
      included_quantity: '100',
    });
    expect(priced).toMatchObject({
      quantity: '1250',
      billable_quantity: '1150',
      exact_amount: '53.875',
      amount: 5388n,
    });
    expect(priced.tiers).toEqual([
      { from: '0', to: '1000', quantity: '1000', unit_price: '0.05', flat_price: '0', subtotal: '50' },
      { from: '1000', to: null, quantity: '150', unit_price: '0.0125', flat_price: '2', subtotal: '3.875' },
    ]);
  });

  it('rounds in the mode asked for', () => {
    expect(priceQuantity(perUnit('0.005'), '1', { currency: 'USD', rounding: 'half_even' }).amount).toBe(0n);
    expect(priceQuantity(perUnit('0.015'), '1', { currency: 'USD', rounding: 'half_even' }).amount).toBe(2n);
    expect(priceQuantity(perUnit('0.0101'), '1', { currency: 'USD', rounding: 'up' }).amount).toBe(2n);
  });
});

describe('rate cards', () => {
  const machineHours: RatedCharge = {
    price: perUnit('0.0125'),
    dimensions: ['machine_type', 'region'],
    rates: [
      { dimensions: { machine_type: 'gpu', region: 'us' }, price: perUnit('1.75') },
      { dimensions: { machine_type: 'gpu', region: 'in' }, price: perUnit('1.5') },
    ],
    included_quantity: '0',
  };

  it('prices each group with its rate, others with the default, a line each', () => {
    const lines = priceRatedCharge(
      machineHours,
      [
        { dimensions: { machine_type: 'gpu', region: 'us' }, quantity: '10' },
        { dimensions: { machine_type: 'standard', region: 'us' }, quantity: '280' },
        { dimensions: { machine_type: 'gpu', region: 'us' }, quantity: '2.5' },
        { dimensions: { machine_type: 'gpu', region: 'in' }, quantity: '3' },
      ],
      { currency: 'USD' },
    );
    expect(lines.map((l) => [l.dimensions, l.quantity, l.rate, l.amount])).toEqual([
      [{ machine_type: 'gpu', region: 'in' }, '3', 'card', 450n], // 3 × 1.5
      [{ machine_type: 'gpu', region: 'us' }, '12.5', 'card', 2188n], // 12.5 × 1.75 = 21.875 → 21.88
      [{ machine_type: 'standard', region: 'us' }, '280', 'default', 350n], // 280 × 0.0125
    ]);
  });

  it('sums every group into one line when the charge has no dimensions', () => {
    const lines = priceRatedCharge(
      { price: perUnit('0.02'), dimensions: [], rates: [], included_quantity: '100' },
      [
        { dimensions: { region: 'us' }, quantity: '60' },
        { dimensions: { region: 'in' }, quantity: '90' },
      ],
      { currency: 'USD' },
    );
    expect(lines).toMatchObject([
      { quantity: '150', billable_quantity: '50', amount: 100n, rate: 'default' },
    ]);
  });
});

describe('price validation', () => {
  const problems = (price: ChargePrice) =>
    validateChargePrice(price, 'USD').map((p) => [p.code, p.path.join('.')]);

  it.each([
    ['a negative unit price', perUnit('-1'), 'price.negative', 'unit_price'],
    ['an exponent', perUnit('1e3'), 'price.invalid_decimal', 'unit_price'],
    ['thirteen decimals', perUnit('0.0000000000001'), 'price.too_precise', 'unit_price'],
    ['an empty package', pkg('0', '5'), 'price.package_size', 'package_size'],
    ['no tiers', { model: 'graduated', tiers: [] } as ChargePrice, 'price.tiers_empty', 'tiers'],
    [
      'unordered tiers',
      graduated(['100', '1'], ['50', '1'], [null, '1']),
      'price.tiers_unordered',
      'tiers.1.up_to',
    ],
    [
      'overlapping tiers',
      graduated(['100', '1'], ['100', '1'], [null, '1']),
      'price.tiers_unordered',
      'tiers.1.up_to',
    ],
    [
      'a first tier ending at zero',
      graduated(['0', '1'], [null, '1']),
      'price.tiers_unordered',
      'tiers.0.up_to',
    ],
    [
      'an unbounded tier before the last',
      graduated([null, '1'], ['100', '1']),
      'price.tiers_unbounded',
      'tiers.0.up_to',
    ],
    ['a bounded last tier', graduated(['100', '1'], ['200', '1']), 'price.tiers_unbounded', 'tiers.1.up_to'],
    [
      'a negative flat price',
      graduated(['100', '1', '-2'], [null, '1']),
      'price.negative',
      'tiers.0.flat_price',
    ],
  ])('refuses %s', (_name, price, code, path) => {
    expect(problems(price)[0]).toEqual([code, path]);
  });

  it('accepts a volume discount that a flat fee keeps from falling', () => {
    // At 100: 100 × 1 = 100. Just above: 100 × 0.8 + 20 = 100. Never less.
    expect(problems(volume(['100', '1'], [null, '0.8', '20']))).toEqual([]);
    expect(volumeCliffs(volume(['100', '1'], [null, '0.8', '20']))).toEqual([]);
  });

  it('accepts volume tiers whose total falls at a boundary, and names the step as a warning', () => {
    // Stripe's published volume example: 1–5 at 7.00, 6–10 at 6.50. 5 units cost 35.00; 6 cost 39.00,
    // but the total at the boundary on the next tier's price is 5 × 6.50 = 32.50 < 35.00.
    const stripe = volume(['5', '7'], ['10', '6.5'], [null, '6']);
    expect(problems(stripe)).toEqual([]);
    expect(volumeCliffs(stripe).map((c) => [c.code, c.path.join('.')])).toEqual([
      ['price.volume_total_falls', 'tiers.1.unit_price'],
      ['price.volume_total_falls', 'tiers.2.unit_price'],
    ]);
    // 6 units on the second tier: 6 × 6.50 = 39.00, priced as billed.
    expect(priceQuantity(stripe, '6', { currency: 'USD' }).amount).toBe(3900n);
    expect(priceQuantity(stripe, '5', { currency: 'USD' }).amount).toBe(3500n);
  });

  it.each([
    [
      'a rate with another model',
      {
        price: perUnit('1'),
        dimensions: ['pool'],
        rates: [{ dimensions: { pool: 'a' }, price: pkg('10', '1') }],
        included_quantity: '0',
      },
      'rate.model_mismatch',
      'rates.0.price.model',
    ],
    [
      'a rate missing a dimension',
      {
        price: perUnit('1'),
        dimensions: ['pool', 'region'],
        rates: [{ dimensions: { pool: 'a' }, price: perUnit('2') }],
        included_quantity: '0',
      },
      'rate.dimensions',
      'rates.0.dimensions',
    ],
    [
      'two rates for the same group',
      {
        price: perUnit('1'),
        dimensions: ['pool'],
        rates: [
          { dimensions: { pool: 'a' }, price: perUnit('2') },
          { dimensions: { pool: 'a' }, price: perUnit('3') },
        ],
        included_quantity: '0',
      },
      'rate.duplicate',
      'rates.1.dimensions',
    ],
    [
      'an included quantity shared by priced groups',
      { price: perUnit('1'), dimensions: ['pool'], rates: [], included_quantity: '10' },
      'rate.included_with_dimensions',
      'included_quantity',
    ],
    [
      'an invalid rate price',
      {
        price: perUnit('1'),
        dimensions: ['pool'],
        rates: [{ dimensions: { pool: 'a' }, price: perUnit('-2') }],
        included_quantity: '0',
      },
      'price.negative',
      'rates.0.price.unit_price',
    ],
  ] as [string, RatedCharge, string, string][])('refuses %s', (_name, charge, code, path) => {
    const [problem] = validateRatedCharge(charge, 'USD');
    expect([problem?.code, problem?.path.join('.')]).toEqual([code, path]);
  });
});

describe('percentage of transaction values', () => {
  const percentage = (
    rate: string,
    bounds: { fixed?: string; min?: string; max?: string } = {},
  ): PercentagePrice => ({
    model: 'percentage',
    rate,
    fixed_amount: bounds.fixed ?? '0',
    per_transaction_min_amount: bounds.min ?? null,
    per_transaction_max_amount: bounds.max ?? null,
  });
  const card = percentage('2.9', { fixed: '0.30', min: '0.50', max: '5.00' });

  it.each([
    // 120.00 × 2.9% = 3.48, + 0.30 = 3.78: inside the bounds
    ['a fee inside the bounds', '120.00', '3.78'],
    // 3.50 × 2.9% = 0.1015, + 0.30 = 0.4015: raised to the minimum
    ['a fee below the minimum', '3.50', '0.5'],
    // 500 × 2.9% = 14.50, + 0.30 = 14.80: cut to the maximum
    ['a fee above the maximum', '500', '5'],
    // 0 × 2.9% + 0.30 = 0.30: a free transaction still pays the minimum
    ['a transaction of nothing', '0', '0.5'],
  ])('charges %s its clamped fee, exactly', (_name, value, fee) => {
    expect(percentageFee(card, value)).toBe(fee);
  });

  it('sums the fees of the events exactly and rounds the line once', () => {
    // 3.78 + 0.50 + 5.00 = 9.28; a fourth event of 10.00: 0.29 + 0.30 = 0.59 → 9.87
    const priced = priceQuantity(card, '633.5', {
      currency: 'USD',
      events: ['120.00', '3.50', '500', '10.00'],
    });
    expect(priced).toMatchObject({ quantity: '633.5', exact_amount: '9.87', amount: 987n });
    expect(priced.tiers).toEqual([
      { from: '0', to: null, quantity: '633.5', unit_price: '0.029', flat_price: '1.2', subtotal: '9.87' },
    ]);
  });

  it('rounds half-up once, never per event', () => {
    // 1.5% of 0.10 is 0.0015 a transaction: each would round to 0.00; three sum to 0.0045 → 0.00,
    // five sum to 0.0075 → 0.01
    const price = percentage('1.5');
    const events = (n: number) => Array.from({ length: n }, () => '0.10');
    expect(priceQuantity(price, '0.3', { currency: 'USD', events: events(3) }).amount).toBe(0n);
    expect(priceQuantity(price, '0.5', { currency: 'USD', events: events(5) }).amount).toBe(1n);
  });

  it('rounds to whole yen', () => {
    // JPY has no minor unit: 3.6% of 1,234 = 44.424, + 10 = 54.424; of 5,000 = 180, + 10 = 190;
    // 244.424 → 244. And 2% of 25 = 0.5 yen, half-up → 1
    const yen = percentage('3.6', { fixed: '10' });
    expect(priceQuantity(yen, '6234', { currency: 'JPY', events: ['1234', '5000'] }).amount).toBe(244n);
    expect(priceQuantity(percentage('2'), '25', { currency: 'JPY', events: ['25'] }).amount).toBe(1n);
  });

  it('prices a quantity without its events as one transaction, and no usage as nothing', () => {
    expect(priceQuantity(card, '120', { currency: 'USD' }).amount).toBe(378n);
    expect(priceQuantity(card, '0', { currency: 'USD' }).amount).toBe(0n);
    expect(priceQuantity(card, '0', { currency: 'USD', events: [] }).tiers).toEqual([]);
  });

  it('prices each dimension group by its own events', () => {
    const charge: RatedCharge = {
      price: percentage('2'),
      dimensions: ['method'],
      rates: [{ dimensions: { method: 'card' }, price: card }],
      included_quantity: '0',
    };
    const lines = priceRatedCharge(
      charge,
      [
        { dimensions: { method: 'card' }, quantity: '120', events: ['120'] },
        { dimensions: { method: 'bank' }, quantity: '300', events: ['100', '200'] },
        { dimensions: { method: 'card' }, quantity: '3.5', events: ['3.5'] },
      ],
      { currency: 'USD' },
    );
    // bank: 2% of 300 = 6.00; card: 3.78 + 0.50 = 4.28
    expect(lines.map((l) => [l.dimensions.method, l.amount])).toEqual([
      ['bank', 600n],
      ['card', 428n],
    ]);
  });

  it.each([
    ['a rate above 100', percentage('100.01'), 'price.rate', ['rate']],
    ['a rate with 5 decimals', percentage('1.00001'), 'price.rate', ['rate']],
    ['a negative rate', percentage('-1'), 'price.rate', ['rate']],
    ['a negative fixed fee', percentage('1', { fixed: '-0.3' }), 'price.negative', ['fixed_amount']],
    [
      'a minimum above the maximum',
      percentage('1', { min: '2', max: '1' }),
      'price.min_above_max',
      ['per_transaction_min_amount'],
    ],
  ])('refuses %s', (_name, price, code, path) => {
    expect(validateChargePrice(price, 'USD')).toEqual([expect.objectContaining({ code, path })]);
  });

  it('accepts 0 and 100 percent, and a minimum equal to the maximum', () => {
    expect(validateChargePrice(percentage('0'), 'USD')).toEqual([]);
    expect(validateChargePrice(percentage('100.0000', { min: '1', max: '1' }), 'USD')).toEqual([]);
  });
});

describe('quantities billed in advance', () => {
  it('subtracts exactly, to the shortest decimal, below zero too', () => {
    // What usage added since the last bill: 640 − 140 = 500; 0.3 − 0.1 = 0.2 (no float drift).
    expect(subtractQuantities('640', '140')).toBe('500');
    expect(subtractQuantities('0.3', '0.1')).toBe('0.2');
    expect(subtractQuantities('1.50', '1.5')).toBe('0');
    expect(subtractQuantities('2', '2.25')).toBe('-0.25');
  });
});
