import type { Temporal } from 'temporal-polyfill';
import type { CurrencyCode } from '../money/index.js';
import { type BillingPeriod, daysInPeriod } from '../time/index.js';
import { unitDaysHeld } from './held.js';
import { addQuantities, type PricedGroup, priceRatedCharge, type TierBreakdown } from './pricing.js';
import type { ChargeLine } from './proration.js';
import type { PlanCharge, PlanTerms, UsageTotal } from './snapshot.js';

/**
 * Usage lines: a period's usage totals priced by the plan's charges (pricing.ts), one line per
 * charge and combination of its dimensions. Charges paid in arrears are billed from the period's
 * totals when it ends; charges paid in advance are billed per event, each event owing what it adds
 * to the period's price so far, so the events of a period always sum to the price of its total.
 */

/** A usage line with the detail a price preview shows. */
export interface UsageLine extends ChargeLine {
  metric: string;
  dimensions: Record<string, string>;
  billableQuantity: string;
  tiers: TierBreakdown[];
}

function describe(charge: PlanCharge, dimensions: Record<string, string>): string {
  const labels = Object.values(dimensions).filter((v) => v !== '');
  return [charge.metricName, ...labels].join(' · ');
}

function toLine(
  plan: PlanTerms,
  charge: PlanCharge,
  priced: PricedGroup,
  span: { start: Temporal.Instant; end: Temporal.Instant },
): UsageLine {
  return {
    kind: 'usage',
    description: describe(charge, priced.dimensions),
    periodStart: span.start,
    periodEnd: span.end,
    quantity: priced.quantity,
    // The line's amount is the priced total, rounded once; a unit amount would be a second rounding.
    unitAmount: priced.amount.toString(),
    amount: priced.amount,
    planVersionId: plan.versionId,
    metric: charge.metric,
    dimensions: priced.dimensions,
    billableQuantity: priced.billable_quantity,
    tiers: priced.tiers,
  };
}

/**
 * The usage lines of a period: every charge of `plan` that `usage` has totals for (and, with
 * `inAdvance` false, only the charges billed in arrears). A charge without usage has no line.
 * A recurring metric's level (`held`) in `period` is priced by the unit-days of `span` over the
 * period's days; without a period, at the level it ends with.
 */
export function usageLines(
  plan: PlanTerms,
  usage: readonly UsageTotal[],
  span: { start: Temporal.Instant; end: Temporal.Instant },
  options: { includeAdvanceCharges: boolean; period?: BillingPeriod },
): UsageLine[] {
  const currency = plan.currency as CurrencyCode;
  const { period } = options;
  const lines: UsageLine[] = [];
  for (const charge of plan.charges) {
    if (charge.payInAdvance && !options.includeAdvanceCharges) continue;
    const totals = usage.filter((u) => u.metric === charge.metric);
    if (totals.length === 0) continue;
    const byDays = period !== undefined && totals.some((u) => u.held);
    const groups = totals.map((u) => ({
      dimensions: u.dimensions,
      quantity: byDays && u.held ? unitDaysHeld(u.held, period, span) : u.quantity,
      events: u.events,
    }));
    const days = byDays ? { days_in_period: daysInPeriod(period) } : {};
    for (const priced of priceRatedCharge(charge, groups, { currency, ...days })) {
      lines.push(toLine(plan, charge, priced, span));
    }
  }
  return lines;
}

/**
 * One event of a charge paid in advance: what the period's price grows by when `event.quantity` is
 * added to the `before` already billed (with the same dimensions). Tiers and the included quantity
 * apply to the period's running total, as they would to the total in arrears.
 */
export function usageEventLine(
  plan: PlanTerms,
  event: UsageTotal,
  before: string,
  at: Temporal.Instant,
  periodEnd: Temporal.Instant,
): UsageLine | null {
  const charge = plan.charges.find((c) => c.metric === event.metric && c.payInAdvance);
  if (!charge) return null;
  const currency = plan.currency as CurrencyCode;
  if (charge.price.model === 'percentage') {
    // Each transaction's fee stands alone (its minimum and maximum are its own): nothing before it
    // changes what it owes.
    const [own] = priceRatedCharge(charge, [event], { currency });
    return own
      ? { ...toLine(plan, charge, own, { start: at, end: periodEnd }), quantity: own.quantity }
      : null;
  }
  const priceOf = (quantity: string) =>
    priceRatedCharge(charge, [{ dimensions: event.dimensions, quantity }], { currency })[0];
  const after = priceOf(addQuantities(before, event.quantity));
  const already = priceOf(before);
  if (!after || !already) return null;
  const amount = after.amount - already.amount;
  return {
    ...toLine(plan, charge, { ...after, amount }, { start: at, end: periodEnd }),
    quantity: event.quantity,
  };
}
