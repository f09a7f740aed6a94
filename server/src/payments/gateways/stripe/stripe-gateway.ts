import Stripe from 'stripe';
import { BillfoldError, invalid } from '../../../errors.js';
import type { Clock } from '../../../time/index.js';
import type {
  CheckoutInput,
  GatewayCheckout,
  GatewayCustomerInput,
  GatewayEvent,
  GatewayPayment,
  GatewayPaymentLink,
  GatewayPaymentMethod,
  GatewayRefund,
  OffSessionChargeInput,
  PaymentGateway,
  PaymentLinkInput,
  RefundInput,
} from '../../port.js';
import { GatewayTimeoutError } from '../../port.js';
import { verifyStripeStyle } from '../../webhook-signatures.js';

/**
 * Stripe, through the official SDK (pinned). Checkout Sessions in payment and setup mode, Payment
 * Links (a Price made for the amount; deactivated to cancel), off-session PaymentIntents with
 * error_on_requires_action, Refunds. Every call carries the caller's idempotency key. Webhooks are
 * checked with Stripe's scheme (t=, v1=, 300 s) on Billfold's clock, so test clocks work.
 */

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** The emulator in tests; Stripe's own API otherwise. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

const CHECKOUT_EXPANSIONS = [
  'payment_intent',
  'payment_intent.payment_method',
  'setup_intent.payment_method',
];

export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe' as const;
  readonly signatureHeader = 'stripe-signature';
  readonly #stripe: Stripe;

  constructor(
    private readonly settings: StripeSettings,
    private readonly clock: Clock,
  ) {
    this.#stripe = new Stripe(settings.secretKey, {
      // Our own callers retry with the same idempotency key; the SDK retrying too would hide timeouts.
      maxNetworkRetries: 0,
      timeout: 15_000,
      ...(settings.host ? { host: settings.host } : {}),
      ...(settings.port ? { port: settings.port } : {}),
      ...(settings.protocol ? { protocol: settings.protocol } : {}),
      appInfo: { name: 'Billfold' },
    });
  }

  async ensureCustomer(input: GatewayCustomerInput): Promise<{ ref: string }> {
    const customer = await this.call(() =>
      this.#stripe.customers.create(
        {
          name: input.name,
          email: input.email,
          address: { country: input.country },
          metadata: { billfold_customer: input.customerId },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return { ref: customer.id };
  }

  async createCheckout(input: CheckoutInput): Promise<GatewayCheckout> {
    const common = {
      customer: input.gatewayCustomerRef,
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      expires_at: Math.floor(input.expiresAt.getTime() / 1000),
      metadata: input.metadata,
    };
    const params: Stripe.Checkout.SessionCreateParams =
      input.mode === 'payment'
        ? {
            ...common,
            mode: 'payment',
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: input.currency.toLowerCase(),
                  unit_amount: toStripeAmount(input.amount),
                  product_data: { name: input.description },
                },
              },
            ],
            // Keep the card for the monthly charges.
            payment_intent_data: { setup_future_usage: 'off_session', metadata: input.metadata },
          }
        : { ...common, mode: 'setup', currency: input.currency.toLowerCase() };
    const session = await this.call(() =>
      this.#stripe.checkout.sessions.create(params, { idempotencyKey: input.idempotencyKey }),
    );
    return this.getCheckout(session.id);
  }

  async getCheckout(ref: string): Promise<GatewayCheckout> {
    const session = await this.call(() =>
      this.#stripe.checkout.sessions.retrieve(ref, { expand: CHECKOUT_EXPANSIONS }),
    );
    return presentSession(session);
  }

  async expireCheckout(ref: string, idempotencyKey: string): Promise<GatewayCheckout> {
    try {
      await this.call(() => this.#stripe.checkout.sessions.expire(ref, {}, { idempotencyKey }));
    } catch (error) {
      // Stripe refuses to expire a session that is complete or expired already: that is the answer.
      if (!(error instanceof BillfoldError && error.code === 'gateway.refused')) throw error;
    }
    return this.getCheckout(ref);
  }

  async chargeOffSession(input: OffSessionChargeInput): Promise<GatewayPayment> {
    try {
      const intent = await this.call(() =>
        this.#stripe.paymentIntents.create(
          {
            amount: toStripeAmount(input.amount),
            currency: input.currency.toLowerCase(),
            customer: input.gatewayCustomerRef,
            payment_method: input.paymentMethodRef,
            off_session: true,
            confirm: true,
            error_on_requires_action: true,
            description: input.description,
            metadata: input.metadata,
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return presentIntent(intent);
    } catch (error) {
      // A declined or authentication-needing card is a payment that failed, not a broken call.
      if (error instanceof Stripe.errors.StripeCardError) {
        const raw = error.raw as { payment_intent?: Stripe.PaymentIntent };
        const intent = raw.payment_intent;
        return {
          ref: intent?.id ?? `failed:${input.idempotencyKey}`,
          amount: input.amount,
          currency: input.currency,
          status: error.code === 'authentication_required' ? 'requires_action' : 'failed',
          failureCode: error.code ?? 'card_declined',
          failureMessage: error.message,
        };
      }
      throw error;
    }
  }

  async getPayment(ref: string): Promise<GatewayPayment> {
    return presentIntent(await this.call(() => this.#stripe.paymentIntents.retrieve(ref)));
  }

  async detachPaymentMethod(ref: string, idempotencyKey: string): Promise<void> {
    await this.call(() => this.#stripe.paymentMethods.detach(ref, {}, { idempotencyKey }));
  }

  async refund(input: RefundInput): Promise<GatewayRefund> {
    const refund = await this.call(() =>
      this.#stripe.refunds.create(
        {
          payment_intent: input.paymentRef,
          amount: toStripeAmount(input.amount),
          metadata: { reason: input.reason },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    const status =
      refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' ? 'failed' : 'pending';
    return { ref: refund.id, amount: BigInt(refund.amount), status };
  }

  async createPaymentLink(input: PaymentLinkInput): Promise<GatewayPaymentLink> {
    // A Payment Link sells Prices: one is made for this amount, under the same key.
    const price = await this.call(() =>
      this.#stripe.prices.create(
        {
          currency: input.currency.toLowerCase(),
          unit_amount: toStripeAmount(input.amount),
          product_data: { name: input.description },
        },
        { idempotencyKey: `${input.idempotencyKey}:price` },
      ),
    );
    const link = await this.call(() =>
      this.#stripe.paymentLinks.create(
        {
          line_items: [{ price: price.id, quantity: 1 }],
          metadata: input.metadata,
          payment_intent_data: { metadata: input.metadata },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return this.getPaymentLink(link.id);
  }

  async getPaymentLink(ref: string): Promise<GatewayPaymentLink> {
    const link = await this.call(() => this.#stripe.paymentLinks.retrieve(ref));
    // Stripe's links stay active after a payment: a completed session through the link is the payment.
    const sessions = await this.call(() =>
      this.#stripe.checkout.sessions.list({
        payment_link: ref,
        status: 'complete',
        limit: 1,
        expand: ['data.payment_intent'],
      }),
    );
    const paid = sessions.data[0];
    const intent = paid && typeof paid.payment_intent === 'object' ? paid.payment_intent : null;
    return {
      ref,
      url: link.url,
      status: paid ? 'paid' : link.active ? 'active' : 'cancelled',
      payment: intent ? presentIntent(intent) : null,
    };
  }

  async cancelPaymentLink(ref: string, idempotencyKey: string): Promise<GatewayPaymentLink> {
    await this.call(() => this.#stripe.paymentLinks.update(ref, { active: false }, { idempotencyKey }));
    return this.getPaymentLink(ref);
  }

  async parseWebhook(input: {
    headers: Readonly<Record<string, string | undefined>>;
    rawBody: string;
  }): Promise<GatewayEvent> {
    const now = Math.floor(this.clock.now().epochMilliseconds / 1000);
    verifyStripeStyle(input.headers[this.signatureHeader], input.rawBody, this.settings.webhookSecret, now);
    let event: Stripe.Event;
    try {
      event = JSON.parse(input.rawBody) as Stripe.Event;
    } catch {
      throw invalid('webhook.malformed', 'The signed body is not JSON');
    }
    if (event.type === 'checkout.session.completed' || event.type === 'checkout.session.expired') {
      const session = event.data.object;
      const link =
        typeof session.payment_link === 'string' ? session.payment_link : (session.payment_link?.id ?? null);
      return {
        id: event.id,
        type: link
          ? event.type === 'checkout.session.completed'
            ? 'link.paid'
            : 'other'
          : event.type === 'checkout.session.completed'
            ? 'checkout.completed'
            : 'checkout.expired',
        gatewayType: event.type,
        checkoutRef: link ? null : session.id,
        linkRef: link,
        payload: event,
      };
    }
    return {
      id: event.id,
      type: 'other',
      gatewayType: event.type,
      checkoutRef: null,
      linkRef: null,
      payload: event,
    };
  }

  /** Turns the SDK's connection failures into timeouts (retry with the same key) and the rest into ours. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof Stripe.errors.StripeConnectionError) throw new GatewayTimeoutError('Stripe');
      // 409: another request with this key is still running at Stripe (the SDK reports it as an API
      // error). Its outcome is not known yet, as after a timeout; a retry with the key gets it.
      if (error instanceof Stripe.errors.StripeError && error.statusCode === 409) {
        throw new GatewayTimeoutError('Stripe');
      }
      if (error instanceof Stripe.errors.StripeCardError) throw error;
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        throw new BillfoldError(
          'invalid_request',
          'gateway.refused',
          `Stripe refused the request: ${error.message}`,
        );
      }
      if (error instanceof Stripe.errors.StripeError) {
        throw new BillfoldError('gateway', 'gateway.error', `Stripe failed: ${error.message}`);
      }
      throw error;
    }
  }
}

/** Stripe takes amounts as JavaScript numbers of minor units; refuse what a number cannot carry. */
function toStripeAmount(amount: bigint): number {
  if (amount < 0n || amount > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalid('amount.out_of_range', 'Amount out of range');
  return Number(amount);
}

function presentIntent(intent: Stripe.PaymentIntent): GatewayPayment {
  const status =
    intent.status === 'succeeded'
      ? 'succeeded'
      : intent.status === 'processing'
        ? 'processing'
        : intent.status === 'requires_action'
          ? 'requires_action'
          : 'failed';
  return {
    ref: intent.id,
    amount: BigInt(intent.amount),
    currency: intent.currency.toUpperCase(),
    status,
    failureCode: intent.last_payment_error?.code ?? null,
    failureMessage: intent.last_payment_error?.message ?? null,
  };
}

function presentMethod(method: Stripe.PaymentMethod): GatewayPaymentMethod {
  return {
    ref: method.id,
    kind: 'card',
    brand: method.card?.brand ?? 'card',
    last4: method.card?.last4 ?? '',
    expMonth: method.card?.exp_month ?? null,
    expYear: method.card?.exp_year ?? null,
  };
}

function presentSession(session: Stripe.Checkout.Session): GatewayCheckout {
  const intent = typeof session.payment_intent === 'object' ? session.payment_intent : null;
  const setup = typeof session.setup_intent === 'object' ? session.setup_intent : null;
  const method = intent?.payment_method ?? setup?.payment_method ?? null;
  return {
    ref: session.id,
    url: session.url ?? '',
    status: session.status === 'complete' ? 'complete' : session.status === 'expired' ? 'expired' : 'open',
    payment: intent ? presentIntent(intent) : null,
    paymentMethod: method && typeof method === 'object' ? presentMethod(method) : null,
  };
}
