// Public surface of payments (C11–C15): the gateway port, its adapters, checkout sessions, payments.

export {
  chargeAtGateway,
  chargeSavedMethod,
  listPayments,
  listRefunds,
  presentRefund,
  recordCharge,
  recordGatewayRefund,
  refreshPayment,
  refundPayment,
  type SavedMethodCharge,
  withRetries,
} from './charges.js';
export {
  attachGatewaySession,
  claimGatewayEvent,
  findCheckoutByGatewayRef,
  findPayment,
  GATEWAY_EVENT_LEASE_MS,
  gatewayCustomerRef,
  getCheckoutSession,
  insertCheckoutSession,
  knownGatewayCustomerRefs,
  markCheckout,
  markGatewayEventProcessed,
  presentCheckoutSession,
  presentPayment,
  recordPayment,
  recordPayments,
  releaseGatewayEvent,
} from './checkout-sessions.js';
export type { StripeSettings } from './gateways/stripe/stripe-gateway.js';
export { type PayOutcome, TestGateway, type TestGatewayFaults } from './gateways/test/test-gateway.js';
export {
  findPaymentLinkByGatewayRef,
  getPaymentLink,
  insertPaymentLink,
  listPaymentLinks,
  markPaymentLink,
  presentPaymentLink,
} from './payment-links.js';
export * from './payments.schema.js';
export type {
  GatewayCheckout,
  GatewayEvent,
  GatewayPayment,
  GatewayPaymentLink,
  GatewayPaymentMethod,
  GatewayRegistry,
  PaymentGateway,
} from './port.js';
export { GatewayTimeoutError } from './port.js';
export { type CashfreeConfig, createGatewayRegistry } from './registry.js';
export { signStripeStyle, verifyStripeStyle } from './webhook-signatures.js';
