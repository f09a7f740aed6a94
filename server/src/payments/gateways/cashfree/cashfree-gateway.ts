import { createHmac, timingSafeEqual } from 'node:crypto';
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
import { SIGNATURE_TOLERANCE_SECONDS } from '../../webhook-signatures.js';

/**
 * Cashfree, through the official `cashfree-pg` SDK (pinned, its error analytics off): Orders with
 * payment sessions for checkout, Payment Links, Refunds. Webhooks are checked as
 * base64(HMAC-SHA256(secret, timestamp + raw body)) in constant time within a replay window; the
 * SDK's own check compares with === and ignores the timestamp, so it is not used.
 *
 * Saving an Indian card or UPI for automatic charges needs a mandate the customer authorises
 * (Cashfree Subscriptions, ON_DEMAND); until that is built, setup checkouts and off-session charges
 * at Cashfree are refused with a clear error rather than pretended.
 */

export interface CashfreeSettings {
  clientId: string;
  clientSecret: string;
  environment: 'sandbox' | 'production';
  /** Another API address (the emulator in tests): replaces the SDK's basePath. */
  basePath?: string;
  /** Where a payment session is paid: Billfold's page that opens Cashfree's checkout, or the emulator's. */
  checkoutUrl: (paymentSessionId: string) => string;
}

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
    if (input.mode === 'setup') throw mandatesNotYet();
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
    const cashfree = await this.client();
    const order = await this.call(() => cashfree.PGFetchOrder(ref));
    return this.viewOrder(ref, order.data.payment_session_id ?? '', order.data);
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
      url: this.settings.checkoutUrl(sessionId),
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

  async chargeOffSession(_input: OffSessionChargeInput): Promise<GatewayPayment> {
    throw mandatesNotYet();
  }

  async detachPaymentMethod(_ref: string, _idempotencyKey: string): Promise<void> {
    // Nothing is saved at Cashfree without a mandate, and mandates are not taken yet.
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
      data?: { order?: { order_id?: string }; link?: { link_id?: string }; link_id?: string };
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
    // Cashfree sends no event id: the signature of the body identifies this exact event.
    const id = `${type}:${input.headers['x-webhook-signature'] ?? ''}`;
    const normalised: GatewayEvent['type'] =
      type === 'PAYMENT_SUCCESS_WEBHOOK'
        ? 'checkout.completed'
        : type === 'PAYMENT_FAILED_WEBHOOK'
          ? 'payment.failed'
          : type === 'PAYMENT_LINK_EVENT'
            ? 'link.paid'
            : 'other';
    return {
      id,
      type: normalised,
      gatewayType: type,
      checkoutRef: normalised === 'link.paid' ? null : orderId,
      linkRef: normalised === 'link.paid' ? linkId : null,
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
      throw new BillfoldError('internal', 'gateway.error', `Cashfree failed: ${message}`);
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

function mandatesNotYet() {
  return new BillfoldError(
    'invalid_request',
    'gateway.unsupported',
    'Saving a card or UPI for automatic charges at Cashfree needs a mandate, which Billfold does not take yet',
  );
}

/**
 * x-webhook-signature = base64(HMAC-SHA256(secret, x-webhook-timestamp + raw body)), compared in
 * constant time; a timestamp outside the window (in seconds or milliseconds) is a replay.
 */
export function verifyCashfreeSignature(
  signature: string | undefined,
  timestamp: string | undefined,
  rawBody: string,
  secret: string,
  nowMs: number,
): void {
  const refuse = (code: string, message: string) => new BillfoldError('invalid_request', code, message);
  if (!signature || !timestamp) throw refuse('webhook.signature_missing', 'The request carries no signature');
  if (!/^\d{10,13}$/.test(timestamp))
    throw refuse('webhook.signature_malformed', 'The timestamp is not a number');
  const expected = createHmac('sha256', secret)
    .update(timestamp + rawBody, 'utf8')
    .digest();
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refuse('webhook.signature_invalid', 'The signature does not match the body');
  }
  const sentMs = timestamp.length === 13 ? Number(timestamp) : Number(timestamp) * 1000;
  if (Math.abs(nowMs - sentMs) > SIGNATURE_TOLERANCE_SECONDS * 1000) {
    throw refuse(
      'webhook.timestamp_stale',
      'The signed timestamp is outside the tolerance: a replay is refused',
    );
  }
}

export const signCashfree = (secret: string, timestamp: string, rawBody: string) =>
  createHmac('sha256', secret)
    .update(timestamp + rawBody, 'utf8')
    .digest('base64');
