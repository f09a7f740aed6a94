// Public surface of subscriptions: the plan version each customer is billed by.
export * from './subscription.schema.js';
export {
  activeSubscriptions,
  listSubscriptions,
  moveToPlan,
  type PlanVersionRef,
  presentSubscription,
  startSubscription,
} from './subscriptions.js';
