import type { Plan } from '../api/client';
import { decimalToMinor, minorToDecimal } from '../shared/money';
import type { ChargePriceShape, ChargeShape, LimitShape, PlanInterval } from '../shared/plans';

/**
 * The plan editor's working copy: every field as the text a person types, turned into the API's
 * body only when saved. Amounts are typed in major units and become minor units here.
 */

export type PricingModel = ChargePriceShape['model'];

export interface TierDraft {
  up_to: string;
  unit_price: string;
  flat_price: string;
}

export interface RateDraft {
  values: Record<string, string>;
  unit_price: string;
}

export interface ChargeDraft {
  /** Identifies the row while it is edited (React's key). */
  key: number;
  metric: string;
  model: PricingModel;
  included: string;
  unit_price: string;
  tiers: TierDraft[];
  package_size: string;
  package_price: string;
  /** Percentage: the rate in percent, a fixed amount per transaction, optional bounds ('' for none). */
  rate: string;
  fixed_amount: string;
  min_amount: string;
  max_amount: string;
  dimensions: string[];
  rates: RateDraft[];
}

export interface LimitDraft {
  feature: string;
  mode: 'hard' | 'soft';
  value: string;
  unlimited: boolean;
}

export interface PlanDraft {
  code: string;
  name: string;
  description: string;
  currency: string;
  interval: PlanInterval;
  environment: 'production' | 'staging' | 'any';
  visibility: 'public' | 'restricted';
  audience: string;
  is_default: boolean;
  base_price: string;
  trial_days: string;
  fee_timing: 'advance' | 'arrears';
  minimum_commitment: string;
  limits: LimitDraft[];
  charges: ChargeDraft[];
}

export const emptyPlan: PlanDraft = {
  code: '',
  name: '',
  description: '',
  currency: 'USD',
  interval: 'month',
  environment: 'any',
  visibility: 'public',
  audience: '',
  is_default: false,
  base_price: '0',
  trial_days: '0',
  fee_timing: 'advance',
  minimum_commitment: '0',
  limits: [],
  charges: [],
};

export const newTier = (): TierDraft => ({ up_to: '', unit_price: '', flat_price: '0' });

/** A plain decimal as an integer scaled by 10^12, exactly; undefined when it is not one. */
function scaled(value: string): bigint | undefined {
  const match = /^(\d{1,18})(?:\.(\d{1,12}))?$/.exec(value.trim());
  if (!match) return undefined;
  return BigInt(match[1] ?? '0') * 10n ** 12n + BigInt((match[2] ?? '').padEnd(12, '0'));
}

/**
 * Volume tiers whose total falls just above a boundary: legal (the API accepts them, as Stripe and
 * Lago do), but usually a mistake, so the editor says so. Compared exactly, on the boundary quantity.
 */
export function volumeSteps(tiers: readonly TierDraft[]): string[] {
  const warnings: string[] = [];
  for (const [i, tier] of tiers.entries()) {
    const previous = tiers[i - 1];
    if (!previous) continue;
    const [bound, lowUnit, lowFlat, unit, flat] = [
      previous.up_to,
      previous.unit_price,
      previous.flat_price || '0',
      tier.unit_price,
      tier.flat_price || '0',
    ].map(scaled);
    if ([bound, lowUnit, lowFlat, unit, flat].some((v) => v === undefined)) continue;
    const scale = 10n ** 12n;
    const before = (bound as bigint) * (lowUnit as bigint) + (lowFlat as bigint) * scale;
    const after = (bound as bigint) * (unit as bigint) + (flat as bigint) * scale;
    if (after < before) {
      warnings.push(
        `Tier ${i + 1}: just above ${previous.up_to} units the total falls (a customer who uses more pays less). Allowed; add a flat fee to this tier if that is not meant.`,
      );
    }
  }
  return warnings;
}

let nextChargeKey = 1;

export const newCharge = (metric: string): ChargeDraft => ({
  key: nextChargeKey++,
  metric,
  model: 'per_unit',
  included: '0',
  unit_price: '',
  tiers: [newTier()],
  package_size: '',
  package_price: '',
  rate: '',
  fixed_amount: '',
  min_amount: '',
  max_amount: '',
  dimensions: [],
  rates: [],
});

function chargeFrom(charge: ChargeShape): ChargeDraft {
  const draft = newCharge(charge.metric);
  draft.model = charge.price.model;
  draft.included = charge.included_quantity;
  draft.dimensions = charge.dimensions;
  const price = charge.price;
  if (price.model === 'per_unit') draft.unit_price = price.unit_price;
  if (price.model === 'package') {
    draft.package_size = price.package_size;
    draft.package_price = price.package_price;
  }
  if (price.model === 'percentage') {
    draft.rate = price.rate;
    draft.fixed_amount = price.fixed_amount === '0' ? '' : price.fixed_amount;
    draft.min_amount = price.per_transaction_min_amount ?? '';
    draft.max_amount = price.per_transaction_max_amount ?? '';
  }
  if (price.model === 'graduated' || price.model === 'volume') {
    draft.tiers = price.tiers.map((t) => ({
      up_to: t.up_to ?? '',
      unit_price: t.unit_price,
      flat_price: t.flat_price,
    }));
  }
  draft.rates = charge.rates.map((rate) => ({
    values: rate.dimensions,
    unit_price: rate.price.model === 'per_unit' ? rate.price.unit_price : '',
  }));
  return draft;
}

export function draftFrom(plan: Plan): PlanDraft {
  const { version } = plan;
  return {
    code: plan.code,
    name: plan.name,
    description: plan.description,
    currency: plan.currency,
    interval: plan.interval,
    environment: plan.environment,
    visibility: plan.visibility,
    audience: plan.audience_org_ids.join('\n'),
    is_default: plan.is_default,
    base_price: minorToDecimal(version.base_price, plan.currency),
    trial_days: String(version.trial_days),
    fee_timing: version.fee_timing,
    minimum_commitment: minorToDecimal(version.minimum_commitment, plan.currency),
    limits: (version.limits as LimitShape[]).map((l) => ({
      feature: l.feature,
      mode: l.mode,
      value: l.limit === null ? '' : String(l.limit),
      unlimited: l.limit === null,
    })),
    charges: (version.charges as ChargeShape[]).map(chargeFrom),
  };
}

function priceOf(charge: ChargeDraft): ChargePriceShape {
  switch (charge.model) {
    case 'per_unit':
      return { model: 'per_unit', unit_price: charge.unit_price.trim() };
    case 'package':
      return {
        model: 'package',
        package_size: charge.package_size.trim(),
        package_price: charge.package_price.trim(),
      };
    case 'percentage':
      return {
        model: 'percentage',
        rate: charge.rate.trim(),
        fixed_amount: charge.fixed_amount.trim() || '0',
        per_transaction_min_amount: charge.min_amount.trim() || null,
        per_transaction_max_amount: charge.max_amount.trim() || null,
      };
    default:
      return {
        model: charge.model,
        tiers: charge.tiers.map((t, i) => ({
          up_to: i === charge.tiers.length - 1 ? null : t.up_to.trim(),
          unit_price: t.unit_price.trim(),
          flat_price: t.flat_price.trim() || '0',
        })),
      };
  }
}

/** A problem found before sending, with the API's name for the field it is about. */
export interface DraftProblem {
  param: string;
  message: string;
}

/** The pricing part of the body: base price, trial, limits and charges. */
export function pricingBody(draft: PlanDraft): { body: Record<string, unknown> } | { problem: DraftProblem } {
  const basePrice = decimalToMinor(draft.base_price || '0', draft.currency);
  if (basePrice === undefined) {
    return {
      problem: { param: 'base_price', message: `Enter an amount in ${draft.currency}, such as 49 or 49.99` },
    };
  }
  const minimumCommitment = decimalToMinor(draft.minimum_commitment || '0', draft.currency);
  if (minimumCommitment === undefined) {
    return {
      problem: {
        param: 'minimum_commitment',
        message: `Enter an amount in ${draft.currency}, or 0 for none`,
      },
    };
  }
  if (!/^\d{1,3}$/.test(draft.trial_days.trim() || '0')) {
    return { problem: { param: 'trial_days', message: 'Enter a number of days' } };
  }
  const limits = [];
  for (const [i, limit] of draft.limits.entries()) {
    if (!limit.unlimited && !/^\d{1,15}$/.test(limit.value.trim())) {
      return { problem: { param: `limits.${i}.limit`, message: 'Enter a whole number, or tick Unlimited' } };
    }
    limits.push({
      feature: limit.feature,
      mode: limit.mode,
      limit: limit.unlimited ? null : Number.parseInt(limit.value.trim(), 10),
    });
  }
  const charges = draft.charges.map((charge) => ({
    metric: charge.metric,
    price: priceOf(charge),
    included_quantity: charge.included.trim() || '0',
    dimensions: charge.dimensions,
    rates:
      charge.model === 'per_unit' && charge.dimensions.length > 0
        ? charge.rates.map((rate) => ({
            dimensions: Object.fromEntries(charge.dimensions.map((d) => [d, (rate.values[d] ?? '').trim()])),
            price: { model: 'per_unit' as const, unit_price: rate.unit_price.trim() },
          }))
        : [],
  }));
  return {
    body: {
      base_price: basePrice,
      trial_days: Number.parseInt(draft.trial_days.trim() || '0', 10),
      fee_timing: draft.fee_timing,
      minimum_commitment: minimumCommitment,
      limits,
      charges,
    },
  };
}

export const audienceIds = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean);
