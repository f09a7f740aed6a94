import { createHmac } from 'node:crypto';
import type { Cashfree as CashfreeClient } from 'cashfree-pg';
import { BillfoldError, invalid } from '../../../errors.js';
import { fromDecimalString, parseCurrencyCode, toDecimalString } from '../../../money/index.js';
import type { Clock } from '../../../time/index.js';
import type {
  CheckoutInput,
  GatewayCheckout,
  GatewayCustomerInput,
  GatewayEvent,
  GatewayPayment,
  GatewayPaymentLink,
  GatewayRefund,
  OffSessionChargeInput,
  PayerDetails,
  PaymentGateway,
  PaymentLinkInput,
  RefundInput,
} from '../../port.js';
import { GatewayTimeoutError } from '../../port.js';
import { verifyCashfreeSignature } from '../../webhook-signatures.js';

/**
 * Cashfree, through the official `cashfree-pg` SDK (pinned, its error analytics off): Orders with
 * payment sessions for checkout, Payment Links, Refunds. Webhooks are checked as
 * base64(HMAC-SHA256(secret, timestamp + raw body)) in constant time within a replay window; the
 * SDK's own check compares with === and ignores the timestamp, so it is not used.
 *
 * Automatic charges on Indian cards and UPI go through a mandate the customer authorises: a setup
 * checkout is a Cashfree Subscription on an ON_DEMAND plan (one per currency, capped), authorised
 * on Cashfree's page; the saved "method" is the subscription. A charge is scheduled a day ahead, so
 * Cashfree can send the pre-debit notice Indian rules require, and its outcome arrives later (by
 * webhook or by asking): it starts as 'processing'.
 */

export interface CashfreeSettings {
  clientId: string;
  clientSecret: string;
  environment: 'sandbox' | 'production';
  /** Another API address (the emulator in tests): replaces the SDK's basePath. */
  basePath?: string;
  /**
   * Where a session is paid or a mandate authorised: Billfold's page that opens Cashfree's checkout,
   * or the emulator's.
   */
  checkoutUrl: (sessionId: string, kind: 'order' | 'subscription') => string;
  /** The most one mandate debit may take, in major units (the ON_DEMAND plan's cap). */
  mandateMaxAmount?: number;
}

/** Charges on a mandate wait this long, so the customer gets the pre-debit notice first. */
const PRE_DEBIT_NOTICE_HOURS = 24;

// Cashfree's amounts are JSON numbers in major units; they are written from, and read into, exact
// decimal strings, never computed on as floats.
const toCashfreeAmount = (amount: bigint, currency: string) =>
  Number(toDecimalString({ amount, currency: parseCurrencyCode(currency) }));
const fromCashfreeAmount = (amount: number | undefined, currency: string) =>
  fromDecimalString(String(amount ?? 0), parseCurrencyCode(currency), 'half_up').amount;

/** Cashfree ids: letters, digits, - and _; at most 45 characters. */
const cashfreeId = (prefix: string, key: string) =>
  `${prefix}_${createHmac('sha256', 'billfold').update(key).digest('hex').slice(0, 32)}`;

export class CashfreeGateway implements PaymentGateway {
  readonly name = 'cashfree' as const;
  #client: Promise<CashfreeClient> | undefined;

  constructor(
    private readonly settings: CashfreeSettings,
    private readonly clock: Clock,
  ) {}

  /** The SDK (and the analytics package it imports) loads on the first Cashfree call, not at start-up. */
  private client(): Promise<CashfreeClient> {
    this.#client ??= import('cashfree-pg').then(({ Cashfree, CFEnvironment }) => {
      const environment =
        this.settings.environment === 'production' ? CFEnvironment.PRODUCTION : CFEnvironment.SANDBOX;
      const client = new Cashfree(
        environment,
        this.settings.clientId,
        this.settings.clientSecret,
        undefined,
        undefined,
        undefined,
        false,
      );
      if (this.settings.basePath) client.basePath = this.settings.basePath;
      return client;
    });
    return this.#client;
  }

  async ensureCustomer(input: GatewayCustomerInput): Promise<{ ref: string }> {
    // Cashfree takes the customer with each order; our customer id is its customer_id.
    return { ref: input.customerId };
  }

  async createCheckout(input: CheckoutInput): Promise<GatewayCheckout> {
    if (input.mode === 'setup') return this.createMandate(input);
    const cashfree = await this.client();
    const orderId = cashfreeId('bf', input.idempotencyKey);
    const order = await this.call(() =>
      cashfree.PGCreateOrder(
        {
          order_id: orderId,
          order_amount: toCashfreeAmount(input.amount, input.currency),
          order_currency: input.currency,
          customer_details: customerDetails(input.payer),
          order_meta: { return_url: input.successUrl },
          order_expiry_time: input.expiresAt.toISOString(),
          order_note: input.description,
          order_tags: input.metadata,
        },
        undefined,
        input.idempotencyKey,
      ),
    );
    return this.viewOrder(order.data.order_id ?? orderId, order.data.payment_session_id ?? '');
  }

  async getCheckout(ref: string): Promise<GatewayCheckout> {
    if (ref.startsWith('bfsub_')) return this.viewMandate(ref);
    const cashfree = await this.client();
    const order = await this.call(() => cashfree.PGFetchOrder(ref));
    return this.viewOrder(ref, order.data.payment_session_id ?? '', order.data);
  }

  async expireCheckout(ref: string, idempotencyKey: string): Promise<GatewayCheckout> {
    if (ref.startsWith('bfsub_')) return this.viewMandate(ref);
    const cashfree = await this.client();
    try {
      await this.call(() =>
        cashfree.PGTerminateOrder(ref, { order_status: 'TERMINATED' }, undefined, idempotencyKey),
      );
    } catch (error) {
      // Refused when the order is paid or over already: what it is now is the answer.
      if (!(error instanceof BillfoldError && error.code === 'gateway.refused')) throw error;
    }
    return this.getCheckout(ref);
  }

  private async viewOrder(
    orderId: string,
    sessionId: string,
    known?: { order_status?: string; order_currency?: string },
  ): Promise<GatewayCheckout> {
    const cashfree = await this.client();
    const order = known ?? (await this.call(() => cashfree.PGFetchOrder(orderId))).data;
    const paid = order.order_status === 'PAID';
    const payments = paid ? (await this.call(() => cashfree.PGOrderFetchPayments(orderId))).data : [];
    const success = payments.find((p) => p.payment_status === 'SUCCESS');
    return {
      ref: orderId,
      url: this.settings.checkoutUrl(sessionId, 'order'),
      status: paid ? 'complete' : order.order_status === 'ACTIVE' ? 'open' : 'expired',
      payment: success
        ? {
            ref: orderId,
            amount: fromCashfreeAmount(success.payment_amount, order.order_currency ?? 'INR'),
            currency: order.order_currency ?? 'INR',
            status: 'succeeded',
            failureCode: null,
            failureMessage: null,
          }
        : null,
      // Cards paid at Cashfree are not kept for later charges without a mandate.
      paymentMethod: null,
    };
  }

  // ---- mandates (Cashfree Subscriptions) ------------------------------------------------------

  private async ensurePlan(currency: string): Promise<string> {
    const cashfree = await this.client();
    const planId = `billfold_on_demand_${currency.toLowerCase()}`;
    try {
      await cashfree.SubsFetchPlan(planId);
      return planId;
    } catch (error) {
      if ((error as { response?: { status?: number } }).response?.status !== 404)
        return this.call(() => Promise.reject(error));
    }
    await this.call(() =>
      cashfree.SubsCreatePlan(
        {
          plan_id: planId,
          plan_name: `Billfold on-demand charges (${currency})`,
          plan_type: 'ON_DEMAND',
          plan_currency: currency,
          plan_max_amount: this.settings.mandateMaxAmount ?? 100_000,
          plan_note: 'Monthly charges for the plan and its usage',
        },
        undefined,
        `plan:${planId}`,
      ),
    );
    return planId;
  }

  private async createMandate(input: CheckoutInput): Promise<GatewayCheckout> {
    const cashfree = await this.client();
    const planId = await this.ensurePlan(input.currency);
    const subscriptionId = cashfreeId('bfsub', input.idempotencyKey);
    const payer = customerDetails(input.payer);
    await this.call(() =>
      cashfree.SubsCreateSubscription(
        {
          subscription_id: subscriptionId,
          customer_details: {
            customer_name: payer.customer_name,
            customer_email: payer.customer_email,
            customer_phone: payer.customer_phone,
          },
          plan_details: { plan_id: planId },
          authorization_details: { authorization_amount: 1, authorization_amount_refund: true },
          subscription_meta: { return_url: input.successUrl },
          subscription_expiry_time: input.expiresAt.toISOString(),
          subscription_tags: input.metadata,
        },
        undefined,
        input.idempotencyKey,
      ),
    );
    return this.viewMandate(subscriptionId);
  }

  private async viewMandate(subscriptionId: string): Promise<GatewayCheckout> {
    const cashfree = await this.client();
    const subscription = (await this.call(() => cashfree.SubsFetchSubscription(subscriptionId))).data;
    const status = subscription.subscription_status ?? 'INITIALIZED';
    const authorised = status === 'ACTIVE';
    const method = subscription.authorisation_details?.payment_group ?? 'upi';
    return {
      ref: subscriptionId,
      url: this.settings.checkoutUrl(subscription.subscription_session_id ?? '', 'subscription'),
      status: authorised
        ? 'complete'
        : status === 'INITIALIZED' || status === 'BANK_APPROVAL_PENDING'
          ? 'open'
          : 'expired',
      payment: null,
      paymentMethod: authorised
        ? {
            ref: subscriptionId,
            kind: method === 'upi' ? 'upi_mandate' : 'card',
            brand: method,
            last4: '',
            expMonth: null,
            expYear: null,
          }
        : null,
    };
  }

  async chargeOffSession(input: OffSessionChargeInput): Promise<GatewayPayment> {
    const cashfree = await this.client();
    const paymentId = cashfreeId('bfpay', input.idempotencyKey);
    const schedule = this.clock.now().add({ hours: PRE_DEBIT_NOTICE_HOURS });
    await this.call(() =>
      cashfree.SubsCreatePayment(
        {
          subscription_id: input.paymentMethodRef,
          payment_id: paymentId,
          payment_amount: toCashfreeAmount(input.amount, input.currency),
          payment_type: 'CHARGE',
          payment_schedule_date: schedule.toString({ smallestUnit: 'second' }),
          payment_remarks: input.description,
        },
        undefined,
        input.idempotencyKey,
      ),
    );
    return this.getPayment(`${input.paymentMethodRef}:${paymentId}`);
  }

  async getPayment(ref: string): Promise<GatewayPayment> {
    const [subscriptionId = '', paymentId = ''] = ref.split(':');
    const cashfree = await this.client();
    const subscription = (await this.call(() => cashfree.SubsFetchSubscription(subscriptionId))).data;
    const currency = subscription.plan_details?.plan_currency ?? 'INR';
    const payment = (await this.call(() => cashfree.SubsFetchSubscriptionPayment(subscriptionId, paymentId)))
      .data;
    const status =
      payment.payment_status === 'SUCCESS'
        ? 'succeeded'
        : payment.payment_status === 'FAILED'
          ? 'failed'
          : 'processing';
    return {
      ref,
      amount: fromCashfreeAmount(payment.payment_amount, currency),
      currency,
      status,
      failureCode: status === 'failed' ? 'payment_failed' : null,
      failureMessage:
        status === 'failed' ? (payment.failure_details?.failure_reason ?? 'The mandate debit failed') : null,
    };
  }

  async detachPaymentMethod(ref: string, idempotencyKey: string): Promise<void> {
    // A mandate is forgotten by cancelling its subscription.
    const cashfree = await this.client();
    await this.call(() =>
      cashfree.SubsManageSubscription(
        ref,
        { subscription_id: ref, action: 'CANCEL' },
        undefined,
        idempotencyKey,
      ),
    );
  }

  async refund(input: RefundInput): Promise<GatewayRefund> {
    const cashfree = await this.client();
    const order = await this.call(() => cashfree.PGFetchOrder(input.paymentRef));
    const currency = order.data.order_currency ?? 'INR';
    const refundId = cashfreeId('rf', input.idempotencyKey);
    const refund = await this.call(() =>
      cashfree.PGOrderCreateRefund(
        input.paymentRef,
        {
          refund_amount: toCashfreeAmount(input.amount, currency),
          refund_id: refundId,
          refund_note: input.reason,
        },
        undefined,
        input.idempotencyKey,
      ),
    );
    const status =
      refund.data.refund_status === 'SUCCESS'
        ? 'succeeded'
        : refund.data.refund_status === 'CANCELLED'
          ? 'failed'
          : 'pending';
    return {
      ref: refund.data.refund_id ?? refundId,
      amount: fromCashfreeAmount(refund.data.refund_amount, currency),
      status,
    };
  }

  async createPaymentLink(input: PaymentLinkInput): Promise<GatewayPaymentLink> {
    const cashfree = await this.client();
    const linkId = cashfreeId('bflink', input.idempotencyKey);
    await this.call(() =>
      cashfree.PGCreateLink(
        {
          link_id: linkId,
          link_amount: toCashfreeAmount(input.amount, input.currency),
          link_currency: input.currency,
          link_purpose: input.description,
          customer_details: customerDetails(input.payer),
          link_expiry_time: input.expiresAt.toISOString(),
          link_notes: input.metadata,
        },
        undefined,
        input.idempotencyKey,
      ),
    );
    return this.getPaymentLink(linkId);
  }

  async getPaymentLink(ref: string): Promise<GatewayPaymentLink> {
    const cashfree = await this.client();
    const link = (await this.call(() => cashfree.PGFetchLink(ref))).data;
    const statuses: Record<string, GatewayPaymentLink['status']> = {
      ACTIVE: 'active',
      PAID: 'paid',
      EXPIRED: 'expired',
      CANCELLED: 'cancelled',
    };
    const status = statuses[link.link_status ?? ''] ?? 'active';
    const currency = link.link_currency ?? 'INR';
    return {
      ref,
      url: link.link_url ?? '',
      status,
      payment:
        status === 'paid'
          ? {
              ref,
              amount: fromCashfreeAmount(link.link_amount_paid, currency),
              currency,
              status: 'succeeded',
              failureCode: null,
              failureMessage: null,
            }
          : null,
    };
  }

  async cancelPaymentLink(ref: string, idempotencyKey: string): Promise<GatewayPaymentLink> {
    const cashfree = await this.client();
    await this.call(() => cashfree.PGCancelLink(ref, undefined, idempotencyKey));
    return this.getPaymentLink(ref);
  }

  async parseWebhook(input: {
    headers: Readonly<Record<string, string | undefined>>;
    rawBody: string;
  }): Promise<GatewayEvent> {
    verifyCashfreeSignature(
      input.headers['x-webhook-signature'],
      input.headers['x-webhook-timestamp'],
      input.rawBody,
      this.settings.clientSecret,
      this.clock.now().epochMilliseconds,
    );
    let event: {
      type?: string;
      event_time?: string;
      data?: {
        order?: { order_id?: string };
        link?: { link_id?: string };
        link_id?: string;
        subscription_id?: string;
        payment_id?: string;
      };
    };
    try {
      event = JSON.parse(input.rawBody);
    } catch {
      throw invalid('webhook.malformed', 'The signed body is not JSON');
    }
    const type = event.type ?? 'UNKNOWN';
    const orderId = event.data?.order?.order_id ?? null;
    // Payment events carry the order; link events carry the link's fields at the top of `data`.
    const linkId = event.data?.link_id ?? event.data?.link?.link_id ?? null;
    const mandatePayment =
      event.data?.subscription_id && event.data.payment_id
        ? `${event.data.subscription_id}:${event.data.payment_id}`
        : null;
    // Cashfree sends no event id: the signature of the body identifies this exact event.
    const id = `${type}:${input.headers['x-webhook-signature'] ?? ''}`;
    const normalised: GatewayEvent['type'] =
      type === 'PAYMENT_SUCCESS_WEBHOOK'
        ? 'checkout.completed'
        : type === 'PAYMENT_FAILED_WEBHOOK'
          ? 'payment.failed'
          : type === 'PAYMENT_LINK_EVENT'
            ? 'link.paid'
            : type === 'SUBSCRIPTION_PAYMENT_SUCCESS' || type === 'SUBSCRIPTION_PAYMENT_FAILED'
              ? 'payment.updated'
              : 'other';
    return {
      id,
      type: normalised,
      gatewayType: type,
      checkoutRef: normalised === 'link.paid' ? null : orderId,
      linkRef: normalised === 'link.paid' ? linkId : null,
      paymentRef: normalised === 'payment.updated' ? mandatePayment : null,
      payload: event,
    };
  }

  /** The SDK's network failures become timeouts (retried with the same key); refusals become ours. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const failure = error as { code?: string; response?: { status?: number; data?: { message?: string } } };
      if (!failure.response) {
        if (
          failure.code === 'ECONNABORTED' ||
          failure.code === 'ECONNREFUSED' ||
          failure.code === 'ETIMEDOUT'
        ) {
          throw new GatewayTimeoutError('Cashfree');
        }
        throw error;
      }
      const message = failure.response.data?.message ?? `HTTP ${failure.response.status}`;
      if ((failure.response.status ?? 500) < 500) {
        throw new BillfoldError(
          'invalid_request',
          'gateway.refused',
          `Cashfree refused the request: ${message}`,
        );
      }
      throw new BillfoldError('gateway', 'gateway.error', `Cashfree failed: ${message}`);
    }
  }
}

function customerDetails(payer: PayerDetails) {
  // Cashfree requires a phone number with every order and link.
  if (!payer.phone) {
    throw invalid(
      'cashfree.phone_required',
      'Payments in India need the billing phone number: add it to the billing details',
      'phone',
    );
  }
  return {
    customer_id: payer.id,
    customer_name: payer.name,
    customer_email: payer.email,
    customer_phone: payer.phone.replace(/^\+91/, ''),
  };
}
