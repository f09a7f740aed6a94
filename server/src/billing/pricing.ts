import {
  type CurrencyCode,
  currencyExponent,
  DEFAULT_ROUNDING_MODE,
  divideRounded,
  type ExactDecimal,
  parseDecimal,
  type RoundingMode,
} from '../money/index.js';

/**
 * The pricing models of usage charges, as pure functions (C6).
 *
 * - Quantities and prices are decimal strings; prices are in major units ("0.0125" USD an hour).
 *   Arithmetic is exact (bigint coefficients); the line total is rounded once, to the currency's
 *   minor units, half-up unless told otherwise. Never per tier, never per unit.
 * - The included quantity comes off first, for every model: billable = max(0, quantity − included).
 * - per_unit: billable × unit price.
 * - graduated: each tier prices the part of the quantity inside it, plus its flat price when any
 *   part falls in it; the total is the sum over tiers.
 * - volume: the one tier the whole quantity falls in prices all of it, plus its flat price.
 * - package: a started package costs a whole package: ceil(billable / size) × package price.
 * - percentage: a share of each transaction's value (a payment, an order), for charges on transaction
 *   values. Each event's fee is clamp(value × rate% + fixed_amount, min, max), exact; the line is the
 *   sum of the fees, rounded once. The minimum and maximum apply to each event, so the model prices
 *   the events' values (`events`), not only their total; a quantity given without its events is
 *   priced as one transaction. The included quantity does not apply (validation refuses one).
 * - A recurring metric's quantity is in unit-days (seats × the days each was held), priced over the
 *   period's days (`days_in_period`): every model prices unit-days / days exactly, as if that many
 *   units were held all period (tiers, included units and packages apply to it), without rounding
 *   the fraction (12.5 seat-months, or 5 × 16 / 31) before the line is rounded once.
 * - Tier i covers quantities above tier i−1's up_to, up to and including its own; the last tier has
 *   no upper bound (up_to null). Zero usage costs nothing: no tier is touched, no flat price.
 * - Rate cards price usage by dimension (machine type × region ...): usage is grouped by the
 *   charge's dimensions, each group priced by its rate (or the charge's price) as its own line.
 */

export const PRICING_MODELS = ['per_unit', 'graduated', 'volume', 'package', 'percentage'] as const;
export type PricingModel = (typeof PRICING_MODELS)[number];

export interface PriceTier {
  up_to: string | null;
  unit_price: string;
  flat_price: string;
}

export type ChargePrice =
  | { model: 'per_unit'; unit_price: string }
  | { model: 'graduated'; tiers: PriceTier[] }
  | { model: 'volume'; tiers: PriceTier[] }
  | { model: 'package'; package_size: string; package_price: string }
  | PercentagePrice;

/** A share of each transaction's value; amounts in major units, `rate` in percent ("2.9"). */
export interface PercentagePrice {
  model: 'percentage';
  rate: string;
  /** Added to each event's fee. */
  fixed_amount: string;
  /** Bounds of each event's fee (after the fixed amount); null for none. */
  per_transaction_min_amount: string | null;
  per_transaction_max_amount: string | null;
}

export interface PriceOptions {
  currency: CurrencyCode;
  included_quantity?: string;
  rounding?: RoundingMode;
  /** The values of the events that make up the quantity (percentage prices each one). */
  events?: readonly string[];
  /** The quantity is in unit-days over a period of this many days: what is priced is their ratio. */
  days_in_period?: number;
}

export interface TierBreakdown {
  from: string;
  to: string | null;
  quantity: string;
  unit_price: string;
  flat_price: string;
  /** Exact, in major units, before the line is rounded. */
  subtotal: string;
}

export interface PricedQuantity {
  quantity: string;
  billable_quantity: string;
  exact_amount: string;
  /** Minor units, rounded once. */
  amount: bigint;
  tiers: TierBreakdown[];
}

// ---- exact decimals --------------------------------------------------------------------------

const MAX_FRACTION_DIGITS = 12;
const MAX_TIERS = 50;
const DECIMAL = /^\d{1,18}(\.\d{1,12})?$/;

/** A non-negative plain decimal: digits, an optional fraction of at most 12 digits, no exponent. */
export function isDecimalString(value: string): boolean {
  return DECIMAL.test(value);
}

const exact = (value: string): ExactDecimal => parseDecimal(value);
const ZERO: ExactDecimal = { coefficient: 0n, scale: 0 };

function align(a: ExactDecimal, b: ExactDecimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [
    a.coefficient * 10n ** BigInt(scale - a.scale),
    b.coefficient * 10n ** BigInt(scale - b.scale),
    scale,
  ];
}
const plus = (a: ExactDecimal, b: ExactDecimal): ExactDecimal => {
  const [x, y, scale] = align(a, b);
  return { coefficient: x + y, scale };
};
const minus = (a: ExactDecimal, b: ExactDecimal): ExactDecimal => {
  const [x, y, scale] = align(a, b);
  return { coefficient: x - y, scale };
};
const times = (a: ExactDecimal, b: ExactDecimal): ExactDecimal => ({
  coefficient: a.coefficient * b.coefficient,
  scale: a.scale + b.scale,
});
const compare = (a: ExactDecimal, b: ExactDecimal): number => {
  const [x, y] = align(a, b);
  return x === y ? 0 : x < y ? -1 : 1;
};
const isPositive = (a: ExactDecimal) => a.coefficient > 0n;
const atLeastZero = (a: ExactDecimal) => (a.coefficient < 0n ? ZERO : a);
const smaller = (a: ExactDecimal, b: ExactDecimal) => (compare(a, b) <= 0 ? a : b);

/** ceil(a / b) for a ≥ 0, b > 0. */
function ceilDivide(a: ExactDecimal, b: ExactDecimal): bigint {
  const [x, y] = align(a, b);
  return (x + y - 1n) / y;
}

/** The shortest plain string: 1.2500 → "1.25", 3.0 → "3". */
function text(a: ExactDecimal): string {
  let { coefficient, scale } = a;
  while (scale > 0 && coefficient % 10n === 0n) {
    coefficient /= 10n;
    scale--;
  }
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${body}` : body;
}

/** The exact sum of two decimal quantities, as the shortest plain string. */
export function addQuantities(a: string, b: string): string {
  return text(plus(exact(a), exact(b)));
}

/** A decimal quantity times a whole number (units × days), exact. */
export function multiplyQuantity(a: string, by: number): string {
  return text(times(exact(a), { coefficient: BigInt(by), scale: 0 }));
}

/**
 * a / by, to show (a quantity of unit-days as units held all period): exact when it ends within 12
 * decimals, else rounded half-up there. Amounts are never computed from it.
 */
function shownOver(a: ExactDecimal, by: bigint): string {
  if (by === 1n) return text(a);
  const scale = Math.max(MAX_FRACTION_DIGITS, a.scale);
  const widened = a.coefficient * 10n ** BigInt(scale - a.scale);
  return text({ coefficient: divideRounded(widened, by, 'half_up'), scale });
}

/** Major units (over `by`, the days a quantity of unit-days spans) to minor units, rounded once. */
function toMinor(amount: ExactDecimal, currency: CurrencyCode, mode: RoundingMode, by = 1n): bigint {
  const exponent = currencyExponent(currency);
  const shifted = times(amount, { coefficient: 10n ** BigInt(exponent), scale: 0 });
  return divideRounded(shifted.coefficient, 10n ** BigInt(shifted.scale) * by, mode);
}

// ---- pricing ---------------------------------------------------------------------------------

interface Tier {
  from: ExactDecimal;
  to: ExactDecimal | null;
  source: PriceTier;
}

function boundsOf(tiers: readonly PriceTier[]): Tier[] {
  let from = ZERO;
  return tiers.map((source) => {
    const to = source.up_to === null ? null : exact(source.up_to);
    const tier = { from, to, source };
    if (to) from = to;
    return tier;
  });
}

function breakdown(tier: Tier, quantity: ExactDecimal, subtotal: ExactDecimal): TierBreakdown {
  return {
    from: text(tier.from),
    to: tier.to === null ? null : text(tier.to),
    quantity: text(quantity),
    unit_price: tier.source.unit_price,
    flat_price: tier.source.flat_price,
    subtotal: text(subtotal),
  };
}

function graduated(tiers: readonly PriceTier[], billable: ExactDecimal) {
  let total = ZERO;
  const parts: TierBreakdown[] = [];
  for (const tier of boundsOf(tiers)) {
    if (compare(billable, tier.from) <= 0) break;
    const inside = minus(tier.to === null ? billable : smaller(billable, tier.to), tier.from);
    const subtotal = plus(times(inside, exact(tier.source.unit_price)), exact(tier.source.flat_price));
    total = plus(total, subtotal);
    parts.push(breakdown(tier, inside, subtotal));
  }
  return { total, parts };
}

function volume(tiers: readonly PriceTier[], billable: ExactDecimal) {
  if (!isPositive(billable)) return { total: ZERO, parts: [] };
  const bounds = boundsOf(tiers);
  const tier = bounds.find((t) => t.to === null || compare(billable, t.to) <= 0) ?? bounds[bounds.length - 1];
  if (!tier) return { total: ZERO, parts: [] };
  const total = plus(times(billable, exact(tier.source.unit_price)), exact(tier.source.flat_price));
  return { total, parts: [breakdown(tier, billable, total)] };
}

const larger = (a: ExactDecimal, b: ExactDecimal) => (compare(a, b) >= 0 ? a : b);

/** One event's fee: clamp(value × rate% + fixed, min, max), exact. */
export function percentageFee(price: PercentagePrice, value: string): string {
  return text(feeOf(price, exact(value)));
}

function feeOf(price: PercentagePrice, value: ExactDecimal): ExactDecimal {
  const rate = exact(price.rate);
  let fee = plus(
    times(value, { coefficient: rate.coefficient, scale: rate.scale + 2 }),
    exact(price.fixed_amount),
  );
  if (price.per_transaction_min_amount !== null) fee = larger(fee, exact(price.per_transaction_min_amount));
  if (price.per_transaction_max_amount !== null) fee = smaller(fee, exact(price.per_transaction_max_amount));
  return fee;
}

function percentage(price: PercentagePrice, events: readonly ExactDecimal[]) {
  const sum = events.reduce(plus, ZERO);
  const total = events.reduce((fees, value) => plus(fees, feeOf(price, value)), ZERO);
  const fixed = times({ coefficient: BigInt(events.length), scale: 0 }, exact(price.fixed_amount));
  const rate = exact(price.rate);
  const unit = {
    up_to: null,
    unit_price: text({ coefficient: rate.coefficient, scale: rate.scale + 2 }),
    flat_price: text(fixed),
  };
  return {
    sum,
    total,
    parts: events.length === 0 ? [] : [breakdown({ from: ZERO, to: null, source: unit }, sum, total)],
  };
}

export function priceQuantity(price: ChargePrice, quantity: string, options: PriceOptions): PricedQuantity {
  if (price.model === 'percentage') {
    const events = (options.events ?? (isPositive(exact(quantity)) ? [quantity] : [])).map(exact);
    const { sum, total, parts } = percentage(price, events);
    return {
      quantity: text(sum),
      billable_quantity: text(sum),
      exact_amount: text(total),
      amount: toMinor(total, options.currency, options.rounding ?? DEFAULT_ROUNDING_MODE),
      tiers: parts,
    };
  }
  // Unit-days over `days` days: everything measured in units (tier bounds, flat prices, included
  // units, package sizes) is scaled by the days, and the total divided by them once, when rounded.
  const days = BigInt(options.days_in_period ?? 1);
  const scaled = (value: string) => text(times(exact(value), { coefficient: days, scale: 0 }));
  const scaledTiers = (tiers: readonly PriceTier[]) =>
    tiers.map((tier) => ({
      up_to: tier.up_to === null ? null : scaled(tier.up_to),
      unit_price: tier.unit_price,
      flat_price: scaled(tier.flat_price),
    }));
  const used = exact(quantity);
  const billable = atLeastZero(minus(used, exact(scaled(options.included_quantity ?? '0'))));
  let total: ExactDecimal;
  let parts: TierBreakdown[];
  switch (price.model) {
    case 'per_unit': {
      total = times(billable, exact(price.unit_price));
      const unit = { up_to: null, unit_price: price.unit_price, flat_price: '0' };
      parts = [breakdown({ from: ZERO, to: null, source: unit }, billable, total)];
      break;
    }
    case 'graduated':
      ({ total, parts } = graduated(scaledTiers(price.tiers), billable));
      break;
    case 'volume':
      ({ total, parts } = volume(scaledTiers(price.tiers), billable));
      break;
    case 'package': {
      const size = exact(price.package_size);
      const packages = isPositive(billable) ? ceilDivide(billable, exact(scaled(price.package_size))) : 0n;
      const subtotal = times({ coefficient: packages, scale: 0 }, exact(price.package_price));
      total = times(subtotal, { coefficient: days, scale: 0 });
      const unit = { up_to: price.package_size, unit_price: price.package_price, flat_price: '0' };
      const shown = breakdown(
        { from: ZERO, to: size, source: unit },
        { coefficient: packages, scale: 0 },
        subtotal,
      );
      return {
        quantity: shownOver(used, days),
        billable_quantity: shownOver(billable, days),
        exact_amount: text(subtotal),
        amount: toMinor(total, options.currency, options.rounding ?? DEFAULT_ROUNDING_MODE, days),
        tiers: [shown],
      };
    }
  }
  const over = (value: string | null) => (value === null ? null : shownOver(exact(value), days));
  return {
    quantity: shownOver(used, days),
    billable_quantity: shownOver(billable, days),
    exact_amount: shownOver(total, days),
    amount: toMinor(total, options.currency, options.rounding ?? DEFAULT_ROUNDING_MODE, days),
    tiers:
      days === 1n
        ? parts
        : parts.map((part) => ({
            ...part,
            from: shownOver(exact(part.from), days),
            to: over(part.to),
            quantity: shownOver(exact(part.quantity), days),
            flat_price: shownOver(exact(part.flat_price), days),
            subtotal: shownOver(exact(part.subtotal), days),
          })),
  };
}

// ---- validation ------------------------------------------------------------------------------

export interface PriceProblem {
  path: (string | number)[];
  code: string;
  message: string;
}

function decimalProblem(value: string, path: (string | number)[]): PriceProblem | undefined {
  if (/^-/.test(value))
    return { path, code: 'price.negative', message: 'Prices and quantities cannot be negative' };
  if (/^\d+\.\d{13,}$/.test(value)) {
    return { path, code: 'price.too_precise', message: `Use at most ${MAX_FRACTION_DIGITS} decimal places` };
  }
  if (!isDecimalString(value)) {
    return { path, code: 'price.invalid_decimal', message: 'Use a plain decimal such as 12 or 0.0125' };
  }
  return undefined;
}

function tierProblems(price: { model: 'graduated' | 'volume'; tiers: PriceTier[] }): PriceProblem[] {
  const { tiers } = price;
  if (tiers.length === 0)
    return [{ path: ['tiers'], code: 'price.tiers_empty', message: 'Give at least one tier' }];
  if (tiers.length > MAX_TIERS) {
    return [{ path: ['tiers'], code: 'price.too_many_tiers', message: `Use at most ${MAX_TIERS} tiers` }];
  }
  const problems: PriceProblem[] = [];
  for (const [i, tier] of tiers.entries()) {
    for (const field of ['unit_price', 'flat_price'] as const) {
      const problem = decimalProblem(tier[field], ['tiers', i, field]);
      if (problem) problems.push(problem);
    }
    if (tier.up_to !== null) {
      const problem = decimalProblem(tier.up_to, ['tiers', i, 'up_to']);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) return problems;

  let previous: PriceTier | undefined;
  for (const [i, tier] of tiers.entries()) {
    const last = i === tiers.length - 1;
    if (tier.up_to === null && !last) {
      return [
        {
          path: ['tiers', i, 'up_to'],
          code: 'price.tiers_unbounded',
          message: 'Only the last tier is unbounded',
        },
      ];
    }
    if (tier.up_to !== null && last) {
      return [
        {
          path: ['tiers', i, 'up_to'],
          code: 'price.tiers_unbounded',
          message: 'The last tier must have no upper bound, so every quantity has a price',
        },
      ];
    }
    if (tier.up_to !== null) {
      const bound = exact(tier.up_to);
      const floor = previous?.up_to ? exact(previous.up_to) : ZERO;
      if (compare(bound, floor) <= 0) {
        return [
          {
            path: ['tiers', i, 'up_to'],
            code: 'price.tiers_unordered',
            message: `Each tier must end above the previous one (${text(floor)}): tiers may not overlap`,
          },
        ];
      }
    }
    previous = tier;
  }
  return [];
}

/**
 * Volume tiers whose total falls just above a boundary (1,000 units at 1.00 cost more than 1,001 at
 * 0.80). Legal: Stripe's and Lago's published volume examples have such steps, and some sellers
 * want them. The plan editor warns about each; the API accepts them.
 */
export function volumeCliffs(price: ChargePrice): PriceProblem[] {
  if (price.model !== 'volume') return [];
  const cliffs: PriceProblem[] = [];
  for (const [i, tier] of price.tiers.entries()) {
    const previous = price.tiers[i - 1];
    if (!previous?.up_to || !isDecimalString(previous.up_to)) continue;
    if (![tier, previous].every((t) => isDecimalString(t.unit_price) && isDecimalString(t.flat_price)))
      continue;
    const boundary = exact(previous.up_to);
    const before = plus(times(boundary, exact(previous.unit_price)), exact(previous.flat_price));
    const after = plus(times(boundary, exact(tier.unit_price)), exact(tier.flat_price));
    if (compare(after, before) < 0) {
      cliffs.push({
        path: ['tiers', i, 'unit_price'],
        code: 'price.volume_total_falls',
        message: `Above ${text(boundary)} units the total falls from ${text(before)} to ${text(after)}; a flat price of ${text(minus(before, times(boundary, exact(tier.unit_price))))} on this tier would keep it from falling`,
      });
    }
  }
  return cliffs;
}

const RATE = /^\d{1,3}(\.\d{1,4})?$/;

function percentageProblems(price: PercentagePrice): PriceProblem[] {
  if (!RATE.test(price.rate) || compare(exact(price.rate), { coefficient: 100n, scale: 0 }) > 0) {
    return [
      {
        path: ['rate'],
        code: 'price.rate',
        message: 'A rate is a percentage from 0 to 100, with at most 4 decimals',
      },
    ];
  }
  const problems = [
    decimalProblem(price.fixed_amount, ['fixed_amount']),
    price.per_transaction_min_amount === null
      ? undefined
      : decimalProblem(price.per_transaction_min_amount, ['per_transaction_min_amount']),
    price.per_transaction_max_amount === null
      ? undefined
      : decimalProblem(price.per_transaction_max_amount, ['per_transaction_max_amount']),
  ].filter((p): p is PriceProblem => p !== undefined);
  if (problems.length > 0) return problems;
  const { per_transaction_min_amount: min, per_transaction_max_amount: max } = price;
  if (min !== null && max !== null && compare(exact(min), exact(max)) > 0) {
    return [
      {
        path: ['per_transaction_min_amount'],
        code: 'price.min_above_max',
        message: 'The minimum fee of a transaction cannot exceed its maximum',
      },
    ];
  }
  return [];
}

export function validateChargePrice(price: ChargePrice, _currency: CurrencyCode): PriceProblem[] {
  switch (price.model) {
    case 'percentage':
      return percentageProblems(price);
    case 'per_unit': {
      const problem = decimalProblem(price.unit_price, ['unit_price']);
      return problem ? [problem] : [];
    }
    case 'package': {
      const problems = [
        decimalProblem(price.package_size, ['package_size']),
        decimalProblem(price.package_price, ['package_price']),
      ].filter((p): p is PriceProblem => p !== undefined);
      if (problems.length > 0) return problems;
      if (!isPositive(exact(price.package_size))) {
        return [
          {
            path: ['package_size'],
            code: 'price.package_size',
            message: 'A package holds more than 0 units',
          },
        ];
      }
      return [];
    }
    case 'graduated':
    case 'volume':
      return tierProblems(price);
  }
}

// ---- rate cards --------------------------------------------------------------------------------

export interface RateCardEntry {
  dimensions: Record<string, string>;
  price: ChargePrice;
}

export interface RatedCharge {
  price: ChargePrice;
  dimensions: string[];
  rates: RateCardEntry[];
  included_quantity: string;
}

export interface UsageGroup {
  dimensions: Record<string, string>;
  quantity: string;
  /** The values of the events behind the quantity, when known (a percentage prices each). */
  events?: readonly string[];
}

/** A group's events: its own, or its quantity as one event. */
const eventsOf = (group: UsageGroup): string[] =>
  group.events ? [...group.events] : isPositive(exact(group.quantity)) ? [group.quantity] : [];

export interface PricedGroup extends PricedQuantity {
  dimensions: Record<string, string>;
  rate: 'card' | 'default';
}

const keyOf = (dimensions: readonly string[], values: Record<string, string>) =>
  JSON.stringify(dimensions.map((d) => values[d] ?? ''));

export function priceRatedCharge(
  charge: RatedCharge,
  groups: UsageGroup[],
  options: Omit<PriceOptions, 'included_quantity'>,
): PricedGroup[] {
  if (charge.dimensions.length === 0) {
    const total = groups.reduce((sum, g) => plus(sum, exact(g.quantity)), ZERO);
    const priced = priceQuantity(charge.price, text(total), {
      ...options,
      included_quantity: charge.included_quantity,
      events: groups.flatMap(eventsOf),
    });
    return [{ ...priced, dimensions: {}, rate: 'default' }];
  }
  const merged = new Map<
    string,
    { dimensions: Record<string, string>; quantity: ExactDecimal; events: string[] }
  >();
  for (const group of groups) {
    const key = keyOf(charge.dimensions, group.dimensions);
    const entry = merged.get(key) ?? {
      dimensions: Object.fromEntries(charge.dimensions.map((d) => [d, group.dimensions[d] ?? ''])),
      quantity: ZERO,
      events: [],
    };
    entry.quantity = plus(entry.quantity, exact(group.quantity));
    entry.events.push(...eventsOf(group));
    merged.set(key, entry);
  }
  const rates = new Map(charge.rates.map((rate) => [keyOf(charge.dimensions, rate.dimensions), rate.price]));
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => {
      const rate = rates.get(key);
      const priced = priceQuantity(rate ?? charge.price, text(group.quantity), {
        ...options,
        events: group.events,
      });
      return {
        ...priced,
        dimensions: group.dimensions,
        rate: rate ? ('card' as const) : ('default' as const),
      };
    });
}

export function validateRatedCharge(charge: RatedCharge, currency: CurrencyCode): PriceProblem[] {
  const included = decimalProblem(charge.included_quantity, ['included_quantity']);
  if (included) return [included];
  const own = validateChargePrice(charge.price, currency).map((p) => ({ ...p, path: ['price', ...p.path] }));
  if (own.length > 0) return own;
  if (charge.price.model === 'percentage' && isPositive(exact(charge.included_quantity))) {
    return [
      {
        path: ['included_quantity'],
        code: 'price.percentage_included',
        message: 'A percentage is of each transaction: it has no included quantity',
      },
    ];
  }
  if (charge.dimensions.length > 0 && isPositive(exact(charge.included_quantity))) {
    return [
      {
        path: ['included_quantity'],
        code: 'rate.included_with_dimensions',
        message:
          'An included quantity shared by differently priced groups has no fair order: include none with rates',
      },
    ];
  }
  const seen = new Set<string>();
  for (const [i, rate] of charge.rates.entries()) {
    if (rate.price.model !== charge.price.model) {
      return [
        {
          path: ['rates', i, 'price', 'model'],
          code: 'rate.model_mismatch',
          message: `A rate uses the charge's model (${charge.price.model})`,
        },
      ];
    }
    const names = Object.keys(rate.dimensions).sort();
    if (names.join() !== [...charge.dimensions].sort().join()) {
      return [
        {
          path: ['rates', i, 'dimensions'],
          code: 'rate.dimensions',
          message: `Give a value for each of ${charge.dimensions.join(', ') || 'no dimensions'}, and nothing else`,
        },
      ];
    }
    const key = keyOf(charge.dimensions, rate.dimensions);
    if (seen.has(key)) {
      return [
        {
          path: ['rates', i, 'dimensions'],
          code: 'rate.duplicate',
          message: 'Another rate has these values',
        },
      ];
    }
    seen.add(key);
    const problems = validateChargePrice(rate.price, currency);
    if (problems.length > 0) return problems.map((p) => ({ ...p, path: ['rates', i, 'price', ...p.path] }));
  }
  return [];
}
