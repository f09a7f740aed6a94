import type { PlanRow, PlanVersionRow } from '../db/schema.js';
import type { RatedCharge } from './pricing.js';
import type { PlanCharge, PlanTerms } from './snapshot.js';

/**
 * A plan version as the rating core reads it, and the one definition of a plan that costs nothing.
 */

/** A stored charge (catalog/catalog.schema.ts's shape): the parts rating reads. */
interface StoredCharge extends RatedCharge {
  metric: string;
  pay_in_advance?: boolean;
}

/**
 * A plan costs nothing when nothing in its terms can ever be owed: no fee, no usage charge, no
 * minimum commitment. Such a plan is offered in every currency, needs no payment method and never
 * issues an invoice. (A plan with a fee and a trial is not free: it is free for a while.)
 */
export function costsNothing(version: {
  base_price: bigint | number;
  charges: unknown;
  minimum_commitment?: bigint | number;
}): boolean {
  return (
    BigInt(version.base_price) === 0n &&
    (version.charges as unknown[]).length === 0 &&
    BigInt(version.minimum_commitment ?? 0) === 0n
  );
}

export function planTerms(
  plan: Pick<PlanRow, 'id' | 'name' | 'currency'>,
  version: Pick<
    PlanVersionRow,
    'id' | 'base_price' | 'trial_days' | 'charges' | 'fee_timing' | 'minimum_commitment'
  >,
  metricNames: ReadonlyMap<string, string> = new Map(),
): PlanTerms {
  const charges: PlanCharge[] = (version.charges as StoredCharge[]).map((charge) => ({
    metric: charge.metric,
    metricName: metricNames.get(charge.metric) ?? charge.metric,
    price: charge.price,
    dimensions: charge.dimensions,
    rates: charge.rates,
    included_quantity: charge.included_quantity,
    payInAdvance: charge.pay_in_advance ?? false,
  }));
  return {
    planId: plan.id,
    versionId: version.id,
    planName: plan.name,
    basePrice: version.base_price,
    currency: plan.currency,
    feeTiming: version.fee_timing,
    minimumCommitment: version.minimum_commitment,
    trialDays: version.trial_days,
    charges,
  };
}
