// Public surface of subscriptions: the lifecycle, periods and the pure charge computations.
export {
  BILLING_ALIGNMENTS,
  type BillingAlignment,
  defaultBillingDay,
  type FirstPeriod,
  firstPeriod,
  isBillingDay,
  lastBillingDay,
  nextPeriod,
  type PeriodRule,
  periodContaining,
  ruleAtStart,
} from './billing-periods.js';
export * from './subscription.schema.js';
export {
  advancePeriod,
  changePlanVersion,
  getSubscription,
  listSubscriptions,
  liveSubscriptions,
  type PlanVersionRef,
  periodRuleOf,
  presentSubscription,
  type StartInput,
  schedulePlan,
  setCancelAtPeriodEnd,
  startSubscription,
  subscriptionHistory,
  subscriptionsToRenew,
  transition,
} from './subscriptions.js';
