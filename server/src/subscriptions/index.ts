// Public surface of subscriptions: the lifecycle, periods and the pure charge computations.
export { type PeriodRule, periodContaining } from './billing-periods.js';
export { type ChargeLine, licenseLine, type PlanPrice, planChangeLines, prorate } from './compute-charges.js';
export * from './subscription.schema.js';
export {
  advancePeriod,
  advancePeriods,
  changePlanVersion,
  dueForRenewal,
  getSubscription,
  listSubscriptions,
  liveSubscriptions,
  lockDue,
  type PlanVersionRef,
  periodRuleOf,
  presentSubscription,
  RENEWABLE,
  type StartInput,
  schedulePlan,
  setCancelAtPeriodEnd,
  startSubscription,
  subscriptionHistory,
  transition,
} from './subscriptions.js';
