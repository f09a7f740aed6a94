import { amountJson } from '../api-shapes.js';
import type { MetricRow, PlanRow, PlanVersionRow } from '../db/schema.js';
import { invalid } from '../errors.js';
import { parseCurrencyCode } from '../money/index.js';
import type { BillingInterval } from '../time/index.js';
import type { ChargeInput, PricePreviewObject } from './catalog.schema.js';
import { priceRatedCharge, type UsageGroup } from './pricing.js';

/**
 * "What would 1,250 computations and 300 machine hours cost on this plan?" A pure function of the
 * plan version and the usage: the same lines the invoice engine will bill for a period.
 */

/** The fee's adjective per interval, as a price preview names it. */
const FEE_WORDS: Record<BillingInterval, string> = {
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
  half_year: 'half-yearly',
  year: 'yearly',
};

export interface UsageQuantity {
  metric: string;
  quantity: string;
  dimensions: Record<string, string>;
}

export function previewPrice(input: {
  plan: PlanRow;
  version: PlanVersionRow;
  metrics: ReadonlyMap<string, MetricRow>;
  usage: readonly UsageQuantity[];
}): PricePreviewObject {
  const { plan, version, metrics } = input;
  const currency = parseCurrencyCode(plan.currency);
  for (const [i, usage] of input.usage.entries()) {
    if (!metrics.has(usage.metric)) {
      throw invalid('preview.unknown_metric', `No metric ${usage.metric}`, `usage.${i}.metric`);
    }
  }

  const lines: PricePreviewObject['lines'] = [
    {
      kind: 'base',
      description: `${plan.name} (${FEE_WORDS[plan.billing_interval]} fee)`,
      metric: null,
      dimensions: {},
      quantity: '1',
      billable_quantity: '1',
      amount: amountJson(version.base_price),
      tiers: [],
    },
  ];
  let total = version.base_price;
  for (const charge of version.charges as ChargeInput[]) {
    const groups: UsageGroup[] = input.usage
      .filter((u) => u.metric === charge.metric)
      .map((u) => ({ dimensions: u.dimensions, quantity: u.quantity }));
    if (groups.length === 0) continue;
    const metric = metrics.get(charge.metric);
    for (const priced of priceRatedCharge(charge, groups, { currency })) {
      const labels = Object.values(priced.dimensions).filter((v) => v !== '');
      lines.push({
        kind: 'usage',
        description: [metric?.name ?? charge.metric, ...labels].join(' · '),
        metric: charge.metric,
        dimensions: priced.dimensions,
        quantity: priced.quantity,
        billable_quantity: priced.billable_quantity,
        amount: amountJson(priced.amount),
        tiers: priced.tiers,
      });
      total += priced.amount;
    }
  }
  return {
    object: 'price_preview',
    plan_id: plan.id,
    version: version.version,
    currency,
    lines,
    total: amountJson(total),
  };
}
