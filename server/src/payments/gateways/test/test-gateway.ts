import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../../../db/database.js';
import { randomToken } from '../../../db/ids.js';
import type { TestGatewayObjectsTable } from '../../../db/schema.js';
import { BillfoldError, invalid, notFound } from '../../../errors.js';
import { type Clock, toDate } from '../../../time/index.js';
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
import { type CardBehaviour, type CardInput, checkCard, DECLINES } from './test-cards.js';

/**
 * The built-in test gateway, the default when no gateway keys are set. It behaves like a hosted
 * gateway: Billfold opens a checkout session, the person types a test card on the gateway's own pay
 * page (served by Billfold at /pay/test/...), and the gateway keeps only a token, the brand, the
 * last four digits and the expiry. Its state lives in its own table, apart from every tenant's.
 */

interface SessionData {
  mode: 'payment' | 'setup';
  customer: string;
  amount: string;
  currency: string;
  description: string;
  success_url: string;
  cancel_url: string;
  expires_at: string;
  metadata: Record<string, string>;
  /** A payment link is paid like a session; 'cancelled' is only for links. */
  status: 'open' | 'complete' | 'expired' | 'cancelled';
  payment: string | null;
  payment_method: string | null;
}

/** Checkout sessions and payment links are both paid on the pay page. */
type PayableKind = 'checkout_session' | 'payment_link';
const kindOf = (ref: string): PayableKind => (ref.startsWith('tlink_') ? 'payment_link' : 'checkout_session');

interface PaymentData {
  session: string | null;
  customer: string;
  payment_method: string;
  amount: string;
  currency: string;
  status: GatewayPayment['status'];
  failure_code: string | null;
  failure_message: string | null;
}

interface MethodData {
  customer: string;
  /** Removed by its owner: it can no longer be charged. */
  detached?: boolean;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  behaviour: CardBehaviour;
}

type Kind = TestGatewayObjectsTable['kind'];

export interface TestGatewayDeps {
  db: Db;
  clock: Clock;
  publicUrl: () => string;
  /** Called in the transaction that records an event: queue its delivery (an outbox). */
  onEvent?: (tx: Tx, eventId: string) => Promise<void>;
}

/** An event as the test gateway sends it, in Stripe's shape. */
export interface TestGatewayEvent {
  id: string;
  type:
    | 'checkout.session.completed'
    | 'checkout.session.expired'
    | 'payment_intent.succeeded'
    | 'payment_intent.payment_failed'
    | 'charge.refunded'
    | 'payment_link.paid'
    | 'payment_link.expired';
  created: number;
  data: { object: { id: string; metadata: Record<string, string>; failure_message?: string | null } };
}

/** What the pay page shows after a submission. */
export type PayOutcome =
  | { kind: 'completed'; redirect: string }
  | { kind: 'declined'; message: string; field?: 'number' | 'expiry' | 'cvc' }
  | { kind: 'authenticate'; payment: string }
  | { kind: 'closed'; message: string };

const prefixes: Record<Kind, string> = {
  account: 'tacct',
  refund: 'tref',
  payment_link: 'tlink',
  event: 'tevt',
  customer: 'tcus',
  checkout_session: 'tcs',
  payment: 'tpay',
  payment_method: 'tpm',
};

/**
 * Faults a test can switch on, as gateways misbehave in life: the next call fails (HTTP 500), or
 * happens but its answer is lost (a timeout); every call is slow; webhooks arrive twice, or late.
 */
export interface TestGatewayFaults {
  next?: 'error' | 'timeout';
  delayMs?: number;
  webhooks?: 'normal' | 'duplicate' | 'late';
}

export class TestGateway implements PaymentGateway {
  readonly name = 'test' as const;
  readonly signatureHeader = 'stripe-signature';
  #faults: TestGatewayFaults = {};

  constructor(private readonly deps: TestGatewayDeps) {}

  setFaults(faults: TestGatewayFaults): void {
    this.#faults = { ...faults };
  }

  get webhookFault(): TestGatewayFaults['webhooks'] {
    return this.#faults.webhooks ?? 'normal';
  }

  /** Before a call: a configured delay, and a failure that happens before anything is done. */
  private async faultBefore(): Promise<void> {
    if (this.#faults.delayMs) await new Promise((resolve) => setTimeout(resolve, this.#faults.delayMs));
    if (this.#faults.next === 'error') {
      this.#faults.next = undefined;
      throw new BillfoldError('gateway', 'gateway.error', 'The test gateway answered HTTP 500');
    }
  }

  /** After a call that happened: its answer lost on the way back. */
  private faultAfter(): void {
    if (this.#faults.next === 'timeout') {
      this.#faults.next = undefined;
      throw new GatewayTimeoutError('the test gateway');
    }
  }

  // ---- off-session charges and refunds --------------------------------------------------------

  async chargeOffSession(input: OffSessionChargeInput): Promise<GatewayPayment> {
    await this.faultBefore();
    const method = await this.load<MethodData>('payment_method', input.paymentMethodRef);
    if (method.data.detached) {
      throw invalid('test_gateway.method_detached', 'That payment method was removed and cannot be charged');
    }
    if (method.data.customer !== input.gatewayCustomerRef) {
      throw invalid('test_gateway.method_not_attached', 'That payment method belongs to another customer');
    }
    const outcome: Record<CardBehaviour, { status: PaymentData['status']; code?: string; message?: string }> =
      {
        succeeds: { status: 'succeeded' },
        declined: { status: 'failed', ...DECLINES.declined },
        fails_off_session: { status: 'failed', ...DECLINES.declined },
        insufficient_funds: { status: 'failed', ...DECLINES.insufficient_funds },
        requires_authentication: {
          status: 'requires_action',
          code: 'authentication_required',
          message: 'The bank asks the customer to authenticate this payment.',
        },
      };
    const result = outcome[method.data.behaviour];
    const data: PaymentData = {
      session: null,
      customer: input.gatewayCustomerRef,
      payment_method: method.id,
      amount: input.amount.toString(),
      currency: input.currency,
      status: result.status,
      failure_code: result.code ?? null,
      failure_message: result.message ?? null,
    };
    // The payment as it is after this call: the one just made, or the one the same key made before.
    const payment = await this.deps.db.transaction().execute(async (tx) => {
      const created = await this.insertKeyed(tx, 'payment', input.idempotencyKey, data);
      if (created.fresh) {
        await this.emit(
          tx,
          result.status === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed',
          created.id,
          input.metadata,
          result.message,
        );
      }
      return { id: created.id, data: created.data as PaymentData };
    });
    this.faultAfter();
    return presentPayment(payment.id, payment.data);
  }

  async getPayment(ref: string): Promise<GatewayPayment> {
    const payment = await this.load<PaymentData>('payment', ref);
    return presentPayment(payment.id, payment.data);
  }

  async detachPaymentMethod(ref: string, _idempotencyKey: string): Promise<void> {
    await this.faultBefore();
    await this.deps.db.transaction().execute(async (tx) => {
      const method = await this.lock<MethodData>(tx, 'payment_method', ref);
      if (!method.data.detached) await this.update(tx, ref, { ...method.data, detached: true });
    });
    this.faultAfter();
  }

  async refund(input: RefundInput): Promise<GatewayRefund> {
    await this.faultBefore();
    const refundId = await this.deps.db.transaction().execute(async (tx) => {
      const payment = await this.lock<PaymentData>(tx, 'payment', input.paymentRef);
      const existing = await tx
        .selectFrom('test_gateway_objects')
        .select('id')
        .where('kind', '=', 'refund')
        .where('idempotency_key', '=', input.idempotencyKey)
        .executeTakeFirst();
      if (existing) return existing.id;
      if (payment.data.status !== 'succeeded') {
        throw invalid('refund.payment_not_succeeded', 'Only a succeeded payment can be refunded');
      }
      const refunded = await tx
        .selectFrom('test_gateway_objects')
        .select(sql<string>`coalesce(sum((data->>'amount')::bigint), 0)::text`.as('total'))
        .where('kind', '=', 'refund')
        .where(sql<string>`data->>'payment'`, '=', payment.id)
        .executeTakeFirstOrThrow();
      const remaining = BigInt(payment.data.amount) - BigInt(refunded.total);
      if (input.amount > remaining) {
        throw invalid(
          'refund.too_much',
          `At most ${remaining} (minor units) of this payment is left to refund`,
          'amount',
        );
      }
      const created = await this.insertKeyed(tx, 'refund', input.idempotencyKey, {
        payment: payment.id,
        amount: input.amount.toString(),
        reason: input.reason,
        status: 'succeeded',
      });
      await this.emit(tx, 'charge.refunded', payment.id, {});
      return created.id;
    });
    const refund = await this.load<{ amount: string; status: GatewayRefund['status'] }>('refund', refundId);
    this.faultAfter();
    return { ref: refund.id, amount: BigInt(refund.data.amount), status: refund.data.status };
  }

  async ensureCustomer(input: GatewayCustomerInput): Promise<{ ref: string }> {
    const row = await this.insertOnce('customer', input.idempotencyKey, {
      name: input.name,
      email: input.email,
      country: input.country,
      billfold_customer: input.customerId,
    });
    return { ref: row.id };
  }

  async createCheckout(input: CheckoutInput): Promise<GatewayCheckout> {
    const data: SessionData = {
      mode: input.mode,
      customer: input.gatewayCustomerRef,
      amount: input.amount.toString(),
      currency: input.currency,
      description: input.description,
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      expires_at: input.expiresAt.toISOString(),
      metadata: input.metadata,
      status: 'open',
      payment: null,
      payment_method: null,
    };
    const row = await this.insertOnce('checkout_session', input.idempotencyKey, data);
    return this.getCheckout(row.id);
  }

  async getCheckout(ref: string): Promise<GatewayCheckout> {
    const session = await this.expireIfDue(ref);
    const payment = session.data.payment
      ? await this.load<PaymentData>('payment', session.data.payment)
      : undefined;
    const method = session.data.payment_method
      ? await this.load<MethodData>('payment_method', session.data.payment_method)
      : undefined;
    return {
      ref,
      url: this.payUrl(ref),
      status: session.data.status === 'cancelled' ? 'expired' : session.data.status,
      payment: payment ? presentPayment(payment.id, payment.data) : null,
      paymentMethod: method ? presentMethod(method.id, method.data) : null,
    };
  }

  /** Closes the pay page of an open session; a session paid a moment before stays paid. */
  async expireCheckout(ref: string, _idempotencyKey: string): Promise<GatewayCheckout> {
    await this.faultBefore();
    await this.deps.db.transaction().execute(async (tx) => {
      const session = await this.lock<SessionData>(tx, 'checkout_session', ref);
      if (session.data.status !== 'open') return;
      await this.update(tx, ref, { ...session.data, status: 'expired' });
      await this.emit(tx, 'checkout.session.expired', ref, session.data.metadata);
    });
    this.faultAfter();
    return this.getCheckout(ref);
  }

  // ---- payment links ------------------------------------------------------------------------

  async createPaymentLink(input: PaymentLinkInput): Promise<GatewayPaymentLink> {
    const data: SessionData = {
      mode: 'payment',
      customer: input.gatewayCustomerRef,
      amount: input.amount.toString(),
      currency: input.currency,
      description: input.description,
      success_url: '',
      cancel_url: '',
      expires_at: input.expiresAt.toISOString(),
      metadata: input.metadata,
      status: 'open',
      payment: null,
      payment_method: null,
    };
    const row = await this.insertOnce('payment_link', input.idempotencyKey, data);
    return this.getPaymentLink(row.id);
  }

  async getPaymentLink(ref: string): Promise<GatewayPaymentLink> {
    const link = await this.expireIfDue(ref);
    const payment = link.data.payment
      ? await this.load<PaymentData>('payment', link.data.payment)
      : undefined;
    const statuses = {
      open: 'active',
      complete: 'paid',
      expired: 'expired',
      cancelled: 'cancelled',
    } as const;
    return {
      ref,
      url: this.payUrl(ref),
      status: statuses[link.data.status],
      payment: payment ? presentPayment(payment.id, payment.data) : null,
    };
  }

  /** Cancels an active link; a paid link stays paid (as Stripe refuses to deactivate a used link's payment). */
  async cancelPaymentLink(ref: string): Promise<GatewayPaymentLink> {
    await this.deps.db.transaction().execute(async (tx) => {
      const link = await this.lock<SessionData>(tx, 'payment_link', ref);
      if (link.data.status === 'open') await this.update(tx, ref, { ...link.data, status: 'cancelled' });
    });
    return this.getPaymentLink(ref);
  }

  // ---- the pay page -------------------------------------------------------------------------

  /** The session or link as its pay page shows it. */
  async viewSession(ref: string) {
    return (await this.expireIfDue(ref)).data;
  }

  /** A card typed on the pay page. Only a token, brand, last four digits and expiry are kept. */
  async submitCard(ref: string, card: CardInput): Promise<PayOutcome> {
    const now = toDate(this.deps.clock.now());
    const checked = checkCard(card, { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 });
    if (!checked.ok) return { kind: 'declined', message: checked.message, field: checked.field };
    return this.deps.db.transaction().execute(async (tx) => {
      const session = await this.lockOpenSession(tx, ref);
      if ('closed' in session) return session.closed;
      const method = await this.insert(tx, 'payment_method', {
        customer: session.data.customer,
        brand: checked.card.brand,
        last4: checked.last4,
        exp_month: checked.expMonth,
        exp_year: checked.expYear,
        behaviour: checked.card.behaviour,
      } satisfies MethodData);
      const behaviour = checked.card.behaviour;
      if (session.data.mode === 'setup') {
        if (behaviour === 'requires_authentication') {
          return this.startAuthentication(tx, ref, session.data, method.id);
        }
        return this.complete(tx, ref, session.data, null, method.id);
      }
      // Paying now: 0341 saves fine but every charge on it fails, this one included.
      if (
        behaviour === 'declined' ||
        behaviour === 'insufficient_funds' ||
        behaviour === 'fails_off_session'
      ) {
        const decline = DECLINES[behaviour === 'insufficient_funds' ? 'insufficient_funds' : 'declined'];
        await this.insert(tx, 'payment', paymentOf(session.data, method.id, ref, 'failed', decline));
        await this.emit(tx, 'payment_intent.payment_failed', ref, session.data.metadata, decline.message);
        return { kind: 'declined', message: decline.message };
      }
      if (behaviour === 'requires_authentication')
        return this.startAuthentication(tx, ref, session.data, method.id);
      const payment = await this.insert(tx, 'payment', paymentOf(session.data, method.id, ref, 'succeeded'));
      return this.complete(tx, ref, session.data, payment.id, method.id);
    });
  }

  /** The bank's authentication step (3-D Secure), approved or failed by the person. */
  async authenticate(ref: string, paymentOrMethod: string, approve: boolean): Promise<PayOutcome> {
    return this.deps.db.transaction().execute(async (tx) => {
      const session = await this.lockOpenSession(tx, ref);
      if ('closed' in session) return session.closed;
      const failure = {
        code: 'authentication_failed',
        message: 'We are unable to authenticate your payment method.',
      };
      if (session.data.mode === 'setup') {
        if (!approve) return { kind: 'declined', message: failure.message };
        return this.complete(tx, ref, session.data, null, paymentOrMethod);
      }
      const payment = await this.lock<PaymentData>(tx, 'payment', paymentOrMethod);
      if (payment.data.session !== ref || payment.data.status !== 'requires_action') {
        return { kind: 'closed', message: 'This authentication is no longer pending.' };
      }
      const status = approve ? 'succeeded' : 'failed';
      await this.update(tx, payment.id, {
        ...payment.data,
        status,
        failure_code: approve ? null : failure.code,
        failure_message: approve ? null : failure.message,
      });
      if (!approve) return { kind: 'declined', message: failure.message };
      return this.complete(tx, ref, session.data, payment.id, payment.data.payment_method);
    });
  }

  payUrl(ref: string): string {
    return new URL(`/pay/test/${ref}`, this.deps.publicUrl()).toString();
  }

  // ---- state --------------------------------------------------------------------------------

  private async startAuthentication(
    tx: Tx,
    ref: string,
    session: SessionData,
    methodId: string,
  ): Promise<PayOutcome> {
    if (session.mode === 'setup') return { kind: 'authenticate', payment: methodId };
    const payment = await this.insert(tx, 'payment', paymentOf(session, methodId, ref, 'requires_action'));
    return { kind: 'authenticate', payment: payment.id };
  }

  private async complete(
    tx: Tx,
    ref: string,
    session: SessionData,
    paymentId: string | null,
    methodId: string,
  ): Promise<PayOutcome> {
    await this.update(tx, ref, {
      ...session,
      status: 'complete',
      payment: paymentId,
      payment_method: methodId,
    });
    const link = kindOf(ref) === 'payment_link';
    await this.emit(tx, link ? 'payment_link.paid' : 'checkout.session.completed', ref, session.metadata);
    // A link's payer has no Billfold page to return to: the gateway thanks them itself.
    return { kind: 'completed', redirect: link ? `${this.payUrl(ref)}/done` : session.success_url };
  }

  private async lockOpenSession(tx: Tx, ref: string) {
    const kind = kindOf(ref);
    const noun = kind === 'payment_link' ? 'payment link' : 'checkout';
    const session = await this.lock<SessionData>(tx, kind, ref);
    const closed = (message: string) => ({ closed: { kind: 'closed', message } as PayOutcome });
    if (session.data.status === 'complete') return closed(`This ${noun} is already paid.`);
    if (session.data.status === 'cancelled')
      return closed(`This ${noun} was cancelled: it can no longer be paid.`);
    if (session.data.status === 'expired' || this.isDue(session.data.expires_at)) {
      if (session.data.status !== 'expired') {
        await this.update(tx, ref, { ...session.data, status: 'expired' });
        await this.emit(tx, expiredEvent(kind), ref, session.data.metadata);
      }
      return closed(`This ${noun} has expired.`);
    }
    return session;
  }

  private async expireIfDue(ref: string) {
    const kind = kindOf(ref);
    const session = await this.load<SessionData>(kind, ref);
    if (session.data.status !== 'open' || !this.isDue(session.data.expires_at)) return session;
    return this.deps.db.transaction().execute(async (tx) => {
      const locked = await this.lock<SessionData>(tx, kind, ref);
      if (locked.data.status !== 'open') return locked;
      const expired = { ...locked.data, status: 'expired' as const };
      await this.update(tx, ref, expired);
      await this.emit(tx, expiredEvent(kind), ref, expired.metadata);
      return { ...locked, data: expired };
    });
  }

  // ---- webhooks -----------------------------------------------------------------------------

  /** The signing secret of this gateway's webhooks, made on first use and kept with its state. */
  async webhookSecret(): Promise<string> {
    const row = await this.insertOnce('account', 'webhook', { webhook_secret: `whsec_${randomToken(32)}` });
    const account = await this.load<{ webhook_secret: string }>('account', row.id);
    return account.data.webhook_secret;
  }

  /** An event's body and signature header, signed now, as the gateway would POST them. */
  async signedEvent(eventId: string): Promise<{ body: string; signature: string }> {
    const event = await this.load<TestGatewayEvent>('event', eventId);
    const body = JSON.stringify(event.data);
    const now = Math.floor(this.deps.clock.now().epochMilliseconds / 1000);
    // Signed here in Stripe's scheme by hand, as the gateway's side: parseWebhook checks it with
    // Billfold's verifier, which must not be the code that made it.
    const v1 = createHmac('sha256', await this.webhookSecret())
      .update(`${now}.${body}`, 'utf8')
      .digest('hex');
    return { body, signature: `t=${now},v1=${v1}` };
  }

  /** Verifies and reads a webhook this gateway sent; see webhook-signatures.ts for the checks. */
  async parseWebhook(input: {
    headers: Readonly<Record<string, string | undefined>>;
    rawBody: string;
  }): Promise<GatewayEvent> {
    const now = Math.floor(this.deps.clock.now().epochMilliseconds / 1000);
    verifyStripeStyle(input.headers[this.signatureHeader], input.rawBody, await this.webhookSecret(), now);
    let event: TestGatewayEvent;
    try {
      event = JSON.parse(input.rawBody) as TestGatewayEvent;
    } catch {
      throw invalid('webhook.malformed', 'The signed body is not JSON');
    }
    const normalised: Record<TestGatewayEvent['type'], GatewayEvent['type']> = {
      'checkout.session.completed': 'checkout.completed',
      'checkout.session.expired': 'checkout.expired',
      'payment_intent.payment_failed': 'payment.failed',
      'payment_intent.succeeded': 'other',
      'charge.refunded': 'other',
      'payment_link.paid': 'link.paid',
      'payment_link.expired': 'link.expired',
    };
    const ref = event.data?.object?.id ?? null;
    const aboutLink = ref !== null && kindOf(ref) === 'payment_link';
    return {
      id: event.id,
      type: normalised[event.type] ?? 'other',
      gatewayType: event.type,
      checkoutRef: aboutLink ? null : ref,
      linkRef: aboutLink ? ref : null,
      payload: event,
    };
  }

  private async emit(
    tx: Tx,
    type: TestGatewayEvent['type'],
    sessionRef: string,
    metadata: Record<string, string>,
    failureMessage?: string,
  ) {
    const id = `${prefixes.event}_${randomToken(20)}`;
    const event: TestGatewayEvent = {
      id,
      type,
      created: Math.floor(this.deps.clock.now().epochMilliseconds / 1000),
      data: {
        object: { id: sessionRef, metadata, ...(failureMessage ? { failure_message: failureMessage } : {}) },
      },
    };
    const now = toDate(this.deps.clock.now());
    await tx
      .insertInto('test_gateway_objects')
      .values({
        id,
        kind: 'event',
        idempotency_key: null,
        data: JSON.stringify(event),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await this.deps.onEvent?.(tx, id);
  }

  /** Whether an ISO timestamp (as this gateway writes them, UTC) has passed on the gateway's clock. */
  private isDue(iso: string): boolean {
    return toDate(this.deps.clock.now()).toISOString() >= iso;
  }

  /** Inserts under an idempotency key; the same key again finds the object the first call made. */
  private async insertOnce(kind: Kind, idempotencyKey: string, data: object) {
    return this.deps.db.transaction().execute((tx) => this.insertKeyed(tx, kind, idempotencyKey, data));
  }

  /** insertOnce inside the caller's transaction, saying whether the object is new. */
  private async insertKeyed(tx: Tx, kind: Kind, idempotencyKey: string, data: object) {
    const now = toDate(this.deps.clock.now());
    const id = `${prefixes[kind]}_${randomToken(20)}`;
    const inserted = await tx
      .insertInto('test_gateway_objects')
      .values({
        id,
        kind,
        idempotency_key: idempotencyKey,
        data: JSON.stringify(data),
        created_at: now,
        updated_at: now,
      })
      .onConflict((c) => c.columns(['kind', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, fresh: true, data: data as unknown };
    const existing = await tx
      .selectFrom('test_gateway_objects')
      .select(['id', 'data'])
      .where('kind', '=', kind)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirstOrThrow();
    return { id: existing.id, fresh: false, data: existing.data as unknown };
  }

  private async insert(tx: Tx, kind: Kind, data: object) {
    const now = toDate(this.deps.clock.now());
    const id = `${prefixes[kind]}_${randomToken(20)}`;
    await tx
      .insertInto('test_gateway_objects')
      .values({
        id,
        kind,
        idempotency_key: null,
        data: JSON.stringify(data),
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { id };
  }

  private async update(tx: Tx, id: string, data: object) {
    await tx
      .updateTable('test_gateway_objects')
      .set({ data: JSON.stringify(data), updated_at: toDate(this.deps.clock.now()) })
      .where('id', '=', id)
      .execute();
  }

  private async load<T>(kind: Kind, id: string): Promise<{ id: string; data: T }> {
    const row = await this.deps.db
      .selectFrom('test_gateway_objects')
      .select(['id', 'data'])
      .where('id', '=', id)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (!row)
      throw notFound('test_gateway.not_found', `No ${kind.replace('_', ' ')} ${id} at the test gateway`);
    return { id: row.id, data: row.data as T };
  }

  private async lock<T>(tx: Tx, kind: Kind, id: string): Promise<{ id: string; data: T }> {
    const row = await tx
      .selectFrom('test_gateway_objects')
      .select(['id', 'data'])
      .where('id', '=', id)
      .where('kind', '=', kind)
      .forUpdate()
      .executeTakeFirst();
    if (!row)
      throw notFound('test_gateway.not_found', `No ${kind.replace('_', ' ')} ${id} at the test gateway`);
    return { id: row.id, data: row.data as T };
  }
}

function paymentOf(
  session: SessionData,
  methodId: string,
  ref: string,
  status: PaymentData['status'],
  failure?: { code: string; message: string },
): PaymentData {
  return {
    session: ref,
    customer: session.customer,
    payment_method: methodId,
    amount: session.amount,
    currency: session.currency,
    status,
    failure_code: failure?.code ?? null,
    failure_message: failure?.message ?? null,
  };
}

function presentPayment(id: string, data: PaymentData): GatewayPayment {
  return {
    ref: id,
    amount: BigInt(data.amount),
    currency: data.currency,
    status: data.status,
    failureCode: data.failure_code,
    failureMessage: data.failure_message,
  };
}

function presentMethod(id: string, data: MethodData): GatewayPaymentMethod {
  return {
    ref: id,
    kind: 'card',
    brand: data.brand,
    last4: data.last4,
    expMonth: data.exp_month,
    expYear: data.exp_year,
  };
}

const expiredEvent = (kind: PayableKind): TestGatewayEvent['type'] =>
  kind === 'payment_link' ? 'payment_link.expired' : 'checkout.session.expired';
