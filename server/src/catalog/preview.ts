import { Temporal } from 'temporal-polyfill';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import type { MetricRow, PlanRow, PlanVersionRow } from '../db/schema.js';
import { invalid } from '../errors.js';
import { parseCurrencyCode } from '../money/index.js';
import type { BillingInterval } from '../time/index.js';
import type { PricePreviewObject } from './catalog.schema.js';

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
  /** The total; optional when `events` gives the values it sums. */
  quantity?: string | undefined;
  /** Each event's value, for charges that price each transaction (percentage). */
  events?: readonly string[] | undefined;
  dimensions: Record<string, string>;
}

/** The usage as the billing core takes it: a quantity always, the events when they are known. */
function usageTotal(usage: UsageQuantity, i: number): billing.UsageTotal {
  const { metric, dimensions, events } = usage;
  if (events === undefined) {
    if (usage.quantity === undefined) {
      throw invalid(
        'preview.quantity_required',
        'Give the quantity, or the events it sums',
        `usage.${i}.quantity`,
      );
    }
    return { metric, dimensions, quantity: usage.quantity };
  }
  const sum = events.reduce((total, value) => billing.addQuantities(total, value), '0');
  if (usage.quantity !== undefined && billing.addQuantities(usage.quantity, '0') !== sum) {
    throw invalid(
      'preview.quantity_mismatch',
      `The events sum to ${sum}, not ${usage.quantity}: give one or the other`,
      `usage.${i}.quantity`,
    );
  }
  return { metric, dimensions, quantity: sum, events };
}

/** A preview is of no period in particular; usage lines carry one, unused here. */
const span = {
  start: Temporal.Instant.fromEpochMilliseconds(0),
  end: Temporal.Instant.fromEpochMilliseconds(0),
};

export function previewPrice(input: {
  plan: PlanRow;
  version: PlanVersionRow;
  metrics: ReadonlyMap<string, MetricRow>;
  usage: readonly UsageQuantity[];
  /** Terms not saved yet: the preview names no plan or version. */
  draft?: boolean;
}): PricePreviewObject {
  const { plan, version, metrics } = input;
  const currency = parseCurrencyCode(plan.currency);
  for (const [i, usage] of input.usage.entries()) {
    if (!metrics.has(usage.metric)) {
      throw invalid('preview.unknown_metric', `No metric ${usage.metric}`, `usage.${i}.metric`);
    }
  }
  const usage = input.usage.map(usageTotal);

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
  // Usage is rated by the billing core, as the invoice of a period with this usage would be.
  const names = new Map([...metrics].map(([code, metric]) => [code, metric.name]));
  const terms = billing.planTerms(plan, version, names);
  let total = version.base_price;
  for (const line of billing.usageLines(terms, usage, span, { includeAdvanceCharges: true })) {
    lines.push({
      kind: 'usage',
      description: line.description,
      metric: line.metric,
      dimensions: line.dimensions,
      quantity: line.quantity,
      billable_quantity: line.billableQuantity,
      amount: amountJson(line.amount),
      tiers: line.tiers,
    });
    total += line.amount;
  }
  return {
    object: 'price_preview',
    plan_id: input.draft ? null : plan.id,
    version: input.draft ? null : version.version,
    currency,
    lines,
    total: amountJson(total),
  };
}
