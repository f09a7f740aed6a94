import { recordAudit } from '../access/index.js';
import { amountJson } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { PaymentRow, RefundRow } from '../db/schema.js';
import { BillfoldError, invalid, notFound } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import { recordPayment } from './checkout-sessions.js';
import { type GatewayPayment, type GatewayRefund, GatewayTimeoutError, type PaymentGateway } from './port.js';

/**
 * Charging a saved method with nobody present, and refunds. A gateway that does not answer in time
 * may have done the work: the call is retried with the same idempotency key, so it happens once.
 */

const ATTEMPTS = 3;

/** Calls `call` until it answers, retrying timeouts; other errors are final. */
export async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof GatewayTimeoutError) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** What charging a saved method asks: at the gateway, and of the payment recorded here. */
export interface SavedMethodCharge {
  customerId: string;
  gatewayCustomerRef: string;
  paymentMethodRef: string;
  amount: bigint;
  currency: string;
  description: string;
  idempotencyKey: string;
  invoiceId?: string;
}

/**
 * The gateway charges a saved method, nobody present; nothing is recorded here. Outside any
 * transaction: the key makes a repeat (a timeout retried, a crash before the answer was recorded)
 * the same charge.
 */
export function chargeAtGateway(
  ctx: TenantCtx,
  gateway: PaymentGateway,
  input: SavedMethodCharge,
): Promise<GatewayPayment> {
  return withRetries(() =>
    gateway.chargeOffSession({
      gatewayCustomerRef: input.gatewayCustomerRef,
      paymentMethodRef: input.paymentMethodRef,
      amount: input.amount,
      currency: input.currency,
      description: input.description,
      metadata: { org_id: ctx.tenant.orgId, ...(input.invoiceId ? { invoice_id: input.invoiceId } : {}) },
      idempotencyKey: input.idempotencyKey,
    }),
  );
}

/**
 * The gateway's answer to `chargeAtGateway`, recorded in the caller's transaction (with what the
 * payment settles, when the caller does both at once). Recording the same answer twice records it once.
 */
export function recordCharge(
  ctx: TenantCtx,
  gateway: PaymentGateway,
  input: SavedMethodCharge,
  answer: GatewayPayment,
): Promise<PaymentRow> {
  return recordPayment(ctx, {
    customerId: input.customerId,
    gateway: gateway.name,
    checkoutSessionId: null,
    invoiceId: input.invoiceId ?? null,
    payment: answer,
  });
}

/** `chargeAtGateway`, then its answer recorded in a transaction of its own. */
export async function chargeSavedMethod(
  ctx: TenantCtx,
  gateway: PaymentGateway,
  input: SavedMethodCharge,
): Promise<PaymentRow> {
  const answer = await chargeAtGateway(ctx, gateway, input);
  return ctx.db.transaction().execute((tx) => recordCharge({ ...ctx, db: tx }, gateway, input, answer));
}

/** The organization's payments, newest first; the cursor is a payment's id. */
export async function listPayments(ctx: TenantCtx, page: PageRequest): Promise<Slice<PaymentRow>> {
  return listPage(
    scoped(ctx).selectFrom('payments').selectAll(),
    {
      by: [
        ['payments.created_at', 'desc'],
        ['payments.id', 'desc'],
      ],
      id: 'payments.id',
      cursorFrom: scoped(ctx).selectFrom('payments'),
      noun: 'payment',
    },
    page,
  );
}

export async function listRefunds(ctx: TenantCtx, paymentIds: string[]): Promise<RefundRow[]> {
  if (paymentIds.length === 0) return [];
  return scoped(ctx)
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', 'in', paymentIds)
    .orderBy('created_at')
    .execute();
}

/**
 * Refunds all or part of a succeeded payment (C15). What is left to refund is checked here and again
 * by the gateway; the refund's id, made before the call, is the gateway's idempotency key.
 */
export async function refundPayment(
  ctx: TenantCtx,
  gateway: PaymentGateway,
  input: { paymentId: string; amount: bigint | undefined; reason: string },
  /** Runs in the transaction that records the refund: the ledger's credit and refund entries. */
  record?: (tx: TenantCtx, refund: RefundRow, payment: PaymentRow) => Promise<void>,
): Promise<RefundRow> {
  const payment = await scoped(ctx)
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', input.paymentId)
    .executeTakeFirst();
  if (!payment) throw notFound('payment.not_found', 'No such payment');
  if (payment.status !== 'succeeded') {
    throw invalid('refund.payment_not_succeeded', 'Only a succeeded payment can be refunded');
  }
  const done = await listRefunds(ctx, [payment.id]);
  const remaining =
    payment.amount - done.reduce((sum, r) => sum + (r.status === 'failed' ? 0n : r.amount), 0n);
  const amount = input.amount ?? remaining;
  if (amount <= 0n) throw invalid('refund.nothing_left', 'This payment is refunded in full', 'amount');
  if (amount > remaining) {
    throw invalid(
      'refund.too_much',
      `At most ${amountJson(remaining)} (minor units) is left to refund`,
      'amount',
    );
  }
  const id = newId('refund');
  const refund = await withRetries(() =>
    gateway.refund({
      paymentRef: payment.gateway_payment_ref,
      amount,
      reason: input.reason,
      idempotencyKey: `refund:${id}`,
    }),
  );
  if (refund.amount !== amount) {
    throw new BillfoldError('gateway', 'refund.mismatch', 'The gateway refunded another amount than asked');
  }
  return ctx.db.transaction().execute(async (tx) => {
    const row = await recordGatewayRefund({ ...ctx, db: tx }, payment, { id, refund, reason: input.reason });
    await record?.({ ...ctx, db: tx }, row, payment);
    return row;
  });
}

/** Records a refund the gateway made of `payment` (its answer to `refund`), with its audit entry. */
export async function recordGatewayRefund(
  ctx: TenantCtx,
  payment: PaymentRow,
  input: { id: string; refund: GatewayRefund; reason: string },
): Promise<RefundRow> {
  const row: RefundRow = {
    org_id: payment.org_id,
    id: input.id,
    payment_id: payment.id,
    gateway: payment.gateway,
    gateway_refund_ref: input.refund.ref,
    amount: input.refund.amount,
    currency: payment.currency,
    reason: input.reason,
    status: input.refund.status,
    created_by: ctx.actor.id,
    created_at: toDate(ctx.clock.now()),
  };
  await ctx.db.insertInto('refunds').values(row).execute();
  await recordAudit(ctx, {
    action: 'refund.created',
    targetType: 'payment',
    targetId: payment.id,
    after: {
      refund: row.id,
      amount: row.amount.toString(),
      currency: payment.currency,
      reason: input.reason,
    },
  });
  return row;
}

export function presentRefund(row: RefundRow) {
  return {
    id: row.id,
    object: 'refund' as const,
    payment_id: row.payment_id,
    amount: amountJson(row.amount),
    currency: row.currency,
    reason: row.reason,
    status: row.status,
    created_at: row.created_at.toISOString(),
  };
}

/**
 * Asks the gateway how a payment stands now and records it: for charges whose outcome arrives later
 * (a mandate debit after its pre-debit notice). A payment Billfold never recorded is left alone.
 */
export async function refreshPayment(
  ctx: Ctx,
  gateway: PaymentGateway,
  ref: string,
): Promise<PaymentRow | undefined> {
  const row = await ctx.db
    .selectFrom('payments')
    .selectAll()
    .where('gateway', '=', gateway.name)
    .where('gateway_payment_ref', '=', ref)
    .executeTakeFirst();
  if (!row) return undefined;
  const payment = await gateway.getPayment(ref);
  return ctx.db.transaction().execute((tx) =>
    recordPayment(tenantContext({ ...ctx, db: tx }, row.org_id), {
      customerId: row.customer_id,
      gateway: gateway.name,
      checkoutSessionId: row.checkout_session_id,
      invoiceId: row.invoice_id,
      payment,
    }),
  );
}
