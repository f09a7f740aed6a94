import type { GatewayName, PaymentStatus } from '../db/schema.js';

/**
 * The payment gateway port, in Billfold's terms. Three adapters implement it: `test` (built in),
 * `stripe` and `cashfree`. Every call that creates something takes the caller's idempotency key, so
 * a retried call (after a timeout, a crash) creates nothing twice. Calls go over the network: callers
 * make them outside any database transaction and record the outcome afterwards.
 */

export interface GatewayCustomerInput {
  customerId: string;
  name: string;
  email: string;
  country: string;
  idempotencyKey: string;
}

/** Who pays, for gateways that take the customer with each order (Cashfree). */
export interface PayerDetails {
  id: string;
  name: string;
  email: string;
  phone: string;
}

export interface CheckoutInput {
  /** payment: pay an amount now (and keep the method); setup: only save a method. */
  mode: 'payment' | 'setup';
  gatewayCustomerRef: string;
  payer: PayerDetails;
  amount: bigint;
  currency: string;
  description: string;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
  metadata: Record<string, string>;
  idempotencyKey: string;
}

export interface GatewayPayment {
  ref: string;
  amount: bigint;
  currency: string;
  status: PaymentStatus;
  failureCode: string | null;
  failureMessage: string | null;
}

/** A saved card or mandate as the gateway describes it: never the number. */
export interface GatewayPaymentMethod {
  ref: string;
  kind: 'card' | 'upi_mandate';
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
}

export interface GatewayCheckout {
  ref: string;
  url: string;
  status: 'open' | 'complete' | 'expired';
  payment: GatewayPayment | null;
  paymentMethod: GatewayPaymentMethod | null;
}

export interface PaymentLinkInput {
  gatewayCustomerRef: string;
  payer: PayerDetails;
  amount: bigint;
  currency: string;
  description: string;
  expiresAt: Date;
  metadata: Record<string, string>;
  idempotencyKey: string;
}

/** A shareable link anyone can pay, without an account. */
export interface GatewayPaymentLink {
  ref: string;
  url: string;
  status: 'active' | 'paid' | 'cancelled' | 'expired';
  payment: GatewayPayment | null;
}

export interface OffSessionChargeInput {
  gatewayCustomerRef: string;
  paymentMethodRef: string;
  amount: bigint;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  idempotencyKey: string;
}

export interface RefundInput {
  paymentRef: string;
  amount: bigint;
  reason: string;
  idempotencyKey: string;
}

export interface GatewayRefund {
  ref: string;
  amount: bigint;
  status: 'succeeded' | 'pending' | 'failed';
}

/** The gateway did not answer in time: the call may or may not have happened. Retry with the same key. */
export class GatewayTimeoutError extends Error {
  constructor(gateway: string) {
    super(`${gateway} did not answer in time`);
    this.name = 'GatewayTimeoutError';
  }
}

/** A gateway's webhook, verified and read into our terms. */
export interface GatewayEvent {
  /** The gateway's event id: each is applied once. */
  id: string;
  type:
    | 'checkout.completed'
    | 'checkout.expired'
    | 'payment.failed'
    | 'payment.updated'
    | 'link.paid'
    | 'link.expired'
    | 'other';
  /** The gateway's own name for it, for the log. */
  gatewayType: string;
  checkoutRef: string | null;
  linkRef: string | null;
  /** A charge whose outcome arrived later (a mandate debit after its pre-debit notice). */
  paymentRef?: string | null;
  payload: unknown;
}

export interface PaymentGateway {
  readonly name: GatewayName;
  ensureCustomer(input: GatewayCustomerInput): Promise<{ ref: string }>;
  createCheckout(input: CheckoutInput): Promise<GatewayCheckout>;
  getCheckout(ref: string): Promise<GatewayCheckout>;
  /**
   * Closes an open checkout so the gateway itself refuses to take its payment (Stripe: expire the
   * session; Cashfree: terminate the order). One paid a moment before stays paid: the answer is
   * the checkout as the gateway sees it afterwards, complete or expired.
   */
  expireCheckout(ref: string, idempotencyKey: string): Promise<GatewayCheckout>;
  /** Charges a saved method with nobody present (a renewal); may need the customer's action. */
  chargeOffSession(input: OffSessionChargeInput): Promise<GatewayPayment>;
  /** A payment as the gateway sees it now: for charges whose outcome arrives later. */
  getPayment(ref: string): Promise<GatewayPayment>;
  /** Forgets a saved card or mandate at the gateway, so it can never be charged again. */
  detachPaymentMethod(ref: string, idempotencyKey: string): Promise<void>;
  /** Gives back all or part of a succeeded payment. */
  refund(input: RefundInput): Promise<GatewayRefund>;
  createPaymentLink(input: PaymentLinkInput): Promise<GatewayPaymentLink>;
  getPaymentLink(ref: string): Promise<GatewayPaymentLink>;
  cancelPaymentLink(ref: string, idempotencyKey: string): Promise<GatewayPaymentLink>;
  /**
   * Checks the signature over the raw body (and its age) before reading anything; throws when it
   * fails. Each gateway reads its own headers (lower-case names).
   */
  parseWebhook(input: {
    headers: Readonly<Record<string, string | undefined>>;
    rawBody: string;
  }): Promise<GatewayEvent>;
}

/** The gateways this Billfold can use: always the test gateway, Stripe and Cashfree when keyed. */
export interface GatewayRegistry {
  configured: ReadonlySet<GatewayName>;
  /** Whether this Billfold can call the gateway (the test gateway always; others with their keys). */
  has(name: GatewayName): boolean;
  get(name: GatewayName): PaymentGateway;
}
