// Public surface of billing: the one place that decides what a subscription owes. Pure: no database,
// no clock; loaders in flows/ build the snapshot and write what comes out. Where each rule lives:
//   snapshot.ts  what rating reads, and the enums (fee timings, events, change and termination timings)
//   rate.ts      which lines each event owes; canonical line order; credit balance applied last
//   proration.ts the fee for part of a period, by days in the customer's zone, rounded once per line
//   pricing.ts   the usage pricing models (per_unit, graduated, volume, package), rate cards, checks
//   usage.ts     usage totals to lines, in arrears or per event for charges paid in advance
//   held.ts      a recurring metric's level by the days it is held (seats), carried across periods
//   tax.ts       tax once per invoice, exclusive or inclusive, half-up
//   terms.ts     a plan version as rating reads it; the one definition of a plan that costs nothing
// docs/billing-rules.md states the rules with worked examples.
export { type HeldUnits, unitDaysHeld } from './held.js';
export {
  addQuantities,
  type ChargePrice,
  isDecimalString,
  type PercentagePrice,
  PRICING_MODELS,
  type PricedGroup,
  type PricedQuantity,
  type PriceProblem,
  type PriceTier,
  type PricingModel,
  percentageFee,
  priceQuantity,
  priceRatedCharge,
  type RatedCharge,
  type TierBreakdown,
  type UsageGroup,
  validateChargePrice,
  validateRatedCharge,
  volumeCliffs,
} from './pricing.js';
export { type ChargeLine, type PlanPrice, prorate } from './proration.js';
export { type Rating, rate, rateRenewal } from './rate.js';
export {
  CHANGE_TIMINGS,
  type ChangeTiming,
  type ClosingPeriod,
  FEE_TIMINGS,
  type FeeTiming,
  type PlanCharge,
  type PlanTerms,
  RATING_EVENTS,
  type RatingEvent,
  type RatingEventKind,
  type RatingSnapshot,
  TERMINATION_TIMINGS,
  type TerminationTiming,
  type UsageTotal,
} from './snapshot.js';
export { type InvoiceTotals, invoiceTotals, NO_TAX, type TaxRule } from './tax.js';
export { costsNothing, planTerms } from './terms.js';
export { type UsageLine, usageLines } from './usage.js';
