import { compareDecimals, formatAmount, formatQuantity, formatUnitPrice } from './money';

/**
 * Plans in words, for cards and detail pages: "$49 / month", "50 computations", "10,000 runs
 * included, then $0.01 per run". The shapes follow the API's plan version (catalog.schema.ts).
 */

export interface PriceTierShape {
  up_to: string | null;
  unit_price: string;
  flat_price: string;
}

export type ChargePriceShape =
  | { model: 'per_unit'; unit_price: string }
  | { model: 'graduated' | 'volume'; tiers: PriceTierShape[] }
  | { model: 'package'; package_size: string; package_price: string }
  | {
      model: 'percentage';
      rate: string;
      fixed_amount: string;
      per_transaction_min_amount: string | null;
      per_transaction_max_amount: string | null;
    };

export interface ChargeShape {
  metric: string;
  name: string;
  unit: string;
  price: ChargePriceShape;
  included_quantity: string;
  dimensions: string[];
  rates: { dimensions: Record<string, string>; price: ChargePriceShape }[];
}

export interface LimitShape {
  feature: string;
  name: string;
  unit: string;
  mode: 'hard' | 'soft';
  limit: number | null;
}

export type PlanInterval = 'week' | 'month' | 'quarter' | 'half_year' | 'year';

/** The intervals a plan bills by, as the plan editor and the filters offer them. */
export const intervalOptions: { value: PlanInterval; label: string }[] = [
  { value: 'week', label: 'Weekly' },
  { value: 'month', label: 'Monthly' },
  { value: 'quarter', label: 'Quarterly' },
  { value: 'half_year', label: 'Every 6 months' },
  { value: 'year', label: 'Yearly' },
];

/** "Billed weekly", "billed every 6 months". */
export const intervalAdverb = (interval: string) =>
  intervalOptions.find((option) => option.value === interval)?.label.toLowerCase() ?? 'monthly';

/** "$7.00 / week", "$90.00 / quarter", "$60.00 every 6 months". */
export function formatPlanPrice(basePrice: number, currency: string, interval: string): string {
  const amount = formatAmount(basePrice, currency);
  if (interval === 'half_year') return `${amount} every 6 months`;
  const per = ['week', 'quarter', 'year'].includes(interval) ? interval : 'month';
  return `${amount} / ${per}`;
}

export const plural = (unit: string, quantity: string) =>
  quantity === '1' || unit.endsWith('s') ? unit : `${unit}s`;

export function describeLimit(limit: LimitShape): string {
  if (limit.limit === null) return `Unlimited ${limit.name.toLowerCase()}`;
  const unit = limit.unit === limit.feature ? limit.name.toLowerCase() : limit.unit;
  return `${formatQuantity(String(limit.limit))} ${unit === 'GB' ? 'GB' : plural(unit, String(limit.limit))}${
    unit === 'GB' ? ` ${limit.name.toLowerCase()}` : ''
  }`;
}

/** One price in words: "$0.0125 per hour", "$5.00 per 100 GB", "from $0.01 per run". */
export function describePrice(price: ChargePriceShape, unit: string, currency: string): string {
  switch (price.model) {
    case 'per_unit':
      return `${formatUnitPrice(price.unit_price, currency)} per ${unit}`;
    case 'package':
      return `${formatUnitPrice(price.package_price, currency)} per ${formatQuantity(price.package_size)} ${plural(unit, price.package_size)}`;
    case 'percentage': {
      const fixed = price.fixed_amount === '0' ? '' : ` + ${formatUnitPrice(price.fixed_amount, currency)}`;
      const { per_transaction_min_amount: min, per_transaction_max_amount: max } = price;
      const bounds = [
        min === null ? '' : `at least ${formatUnitPrice(min, currency)}`,
        max === null ? '' : `at most ${formatUnitPrice(max, currency)}`,
      ].filter(Boolean);
      return `${price.rate}%${fixed} per transaction${bounds.length > 0 ? `, ${bounds.join(' and ')}` : ''}`;
    }
    case 'graduated':
    case 'volume': {
      const [first] = price.tiers;
      if (!first) return '';
      if (price.tiers.length === 1) return `${formatUnitPrice(first.unit_price, currency)} per ${unit}`;
      const lowest = price.tiers.reduce(
        (low, t) => (compareDecimals(t.unit_price, low.unit_price) < 0 ? t : low),
        first,
      );
      return `${formatUnitPrice(first.unit_price, currency)} per ${unit}, down to ${formatUnitPrice(lowest.unit_price, currency)}`;
    }
  }
}

/** "10,000 runs included, then $0.01 per run"; rate card entries listed separately by the caller. */
export function describeCharge(charge: ChargeShape, currency: string): string {
  const price = describePrice(charge.price, charge.unit, currency);
  const included =
    charge.included_quantity !== '0'
      ? `${formatQuantity(charge.included_quantity)} ${plural(charge.unit, charge.included_quantity)} included, then `
      : '';
  return `${included}${price}`;
}

/** Tier rows for a table: "0 – 1,000", "1,000 – ∞". */
export function tierRanges(tiers: PriceTierShape[]): { from: string; to: string; tier: PriceTierShape }[] {
  let from = '0';
  return tiers.map((tier) => {
    const row = {
      from: formatQuantity(from),
      to: tier.up_to === null ? '∞' : formatQuantity(tier.up_to),
      tier,
    };
    from = tier.up_to ?? from;
    return row;
  });
}

export const modelLabel: Record<ChargePriceShape['model'], string> = {
  per_unit: 'Per unit',
  graduated: 'Graduated',
  volume: 'Volume',
  package: 'Package',
  percentage: 'Percentage',
};

export const dimensionLabel = (values: Record<string, string>) => Object.values(values).join(' · ');
