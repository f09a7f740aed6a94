// Public surface of billing: the one place that decides what a subscription owes. A snapshot goes in
// (snapshot.ts), lines and totals come out (rate.ts); pricing models (pricing.ts), proration
// (proration.ts), usage lines (usage.ts) and tax (tax.ts) are its parts. Pure: no database, no clock.
export {
  addQuantities,
  type ChargePrice,
  isDecimalString,
  PRICING_MODELS,
  type PricedGroup,
  type PricedQuantity,
  type PriceProblem,
  type PriceTier,
  type PricingModel,
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
  CREDIT_DESTINATIONS,
  type CreditDestination,
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
