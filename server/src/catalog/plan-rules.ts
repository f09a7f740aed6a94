import { costsNothing, type FeeTiming, type PricingModel, validateRatedCharge } from '../billing/index.js';
import type { Aggregation, MetricRow } from '../db/schema.js';
import { BillfoldError, invalid } from '../errors.js';
import type { CurrencyCode } from '../money/index.js';
import type { ChargeInput, LimitInput } from './catalog.schema.js';

/**
 * The rules a plan version must follow before it is published. Shapes are checked by the zod
 * schemas; these are the rules that need the catalog (known metrics and features) or span fields.
 * The first broken rule is reported with the path of the field, so a form can point at it.
 */

export interface PricingInput {
  base_price: number;
  fee_timing: FeeTiming;
  minimum_commitment: number;
  limits: LimitInput[];
  charges: ChargeInput[];
}

export interface CatalogTerms {
  metrics: ReadonlyMap<string, MetricRow>;
  features: ReadonlySet<string>;
}

/** Aggregations that add up across groups of events: the sum over groups is the whole. */
const additive: ReadonlySet<Aggregation> = new Set(['count', 'sum', 'time_weighted_sum']);

/**
 * Why a pricing model or a rate card cannot price a metric, or undefined when it can.
 * - A package price sells usage that accumulates over the period, a package at a time; `max` and
 *   `latest` measure a level (peak machines, storage now), which is priced per unit or in tiers.
 * - A percentage is of transaction values: the metric must sum an amount of each event (a payment's
 *   value), so that each event's value is what its fee is a share of. A count has no value to take a
 *   share of; a maximum or a latest value is a level, not transactions.
 * - Splitting usage by dimension prices each group separately, which is fair only when the groups add
 *   up to the whole: a unique count, a maximum or a latest value per group do not.
 * - A recurring metric (seats) is a level held by the day, not transactions: no percentage of it.
 */
export function unfitReason(
  model: PricingModel,
  metric: Pick<MetricRow, 'aggregation' | 'recurring'>,
  splitByDimension: boolean,
) {
  const { aggregation } = metric;
  if (model === 'percentage' && metric.recurring) {
    return 'A percentage is a share of transactions; a recurring metric holds a level by the day: price it per unit, graduated, volume or package';
  }
  if (model === 'package' && (aggregation === 'max' || aggregation === 'latest')) {
    return `A package price needs usage that accumulates; ${aggregation} measures a level: price it per unit, graduated or volume`;
  }
  if (model === 'percentage' && aggregation !== 'sum') {
    return `A percentage is a share of transaction values: price a metric that sums each event's amount, not ${aggregation}`;
  }
  if (splitByDimension && !additive.has(aggregation)) {
    return `Usage aggregated by ${aggregation} does not add up across dimension groups, so it cannot have rates by dimension`;
  }
  return undefined;
}

export function checkPricing(input: PricingInput, currency: CurrencyCode, terms: CatalogTerms): void {
  const problem = firstProblem(input, currency, terms);
  if (problem) throw problem;
}

function firstProblem(
  input: PricingInput,
  currency: CurrencyCode,
  terms: CatalogTerms,
): BillfoldError | undefined {
  const features = new Set<string>();
  for (const [i, limit] of input.limits.entries()) {
    const at = `limits.${i}.feature`;
    if (!terms.features.has(limit.feature)) {
      return invalid(
        'limit.unknown_feature',
        `No feature ${limit.feature}: create it first or use a known one`,
        at,
      );
    }
    if (features.has(limit.feature))
      return invalid('limit.duplicate', `${limit.feature} is limited twice`, at);
    features.add(limit.feature);
  }

  const metrics = new Set<string>();
  for (const [i, charge] of input.charges.entries()) {
    const metric = terms.metrics.get(charge.metric);
    if (!metric) {
      return invalid(
        'charge.unknown_metric',
        `No metric ${charge.metric}: create it first`,
        `charges.${i}.metric`,
      );
    }
    if (metrics.has(charge.metric)) {
      return invalid('charge.duplicate', `${charge.metric} is charged twice`, `charges.${i}.metric`);
    }
    metrics.add(charge.metric);

    const unknown = charge.dimensions.find((d) => !metric.dimensions.includes(d));
    if (unknown !== undefined) {
      return invalid(
        'charge.unknown_dimension',
        `${charge.metric} has no dimension ${unknown}; it has ${metric.dimensions.join(', ') || 'none'}`,
        `charges.${i}.dimensions`,
      );
    }
    const reason = unfitReason(charge.price.model, metric, charge.dimensions.length > 0);
    if (reason) return invalid('charge.aggregation_unfit', reason, `charges.${i}.price.model`);

    const [priceProblem] = validateRatedCharge(charge, currency);
    if (priceProblem) {
      return invalid(priceProblem.code, priceProblem.message, ['charges', i, ...priceProblem.path].join('.'));
    }
  }
  return undefined;
}

/** Free and unbilled plans cost nothing, by definition. */
export function checkCostsNothing(input: PricingInput, what: 'default' | 'unbilled'): void {
  if (!costsNothing(input)) {
    throw new BillfoldError(
      'invalid_request',
      `plan.${what}_priced`,
      what === 'default'
        ? 'The default plan is where new customers start without paying: no price, no usage charges, no minimum'
        : 'An unbilled plan charges nothing: no price, no usage charges, no minimum',
      input.base_price !== 0 ? 'base_price' : input.charges.length > 0 ? 'charges' : 'minimum_commitment',
    );
  }
}
