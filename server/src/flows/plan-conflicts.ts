import { recordAudit } from '../access/index.js';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import { type Ctx, withTransaction } from '../context.js';
import { newId } from '../db/ids.js';
import type { ConflictingPaymentRow, PaymentRow, SubscriptionRow } from '../db/schema.js';
import { type BillingScope, inScope } from '../db/scope.js';
import { conflict } from '../errors.js';
import * as events from '../events/index.js';
import * as ledgerModule from '../ledger/index.js';
import { formatMoney, parseCurrencyCode } from '../money/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { scoped, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import { billingCustomerContext, ledgerAccount } from './subscription-billing.js';

/**
 * One paid plan, paid once. Two browser tabs, the back button, a plan link paid late or a plan change
 * overtaken by a checkout can each bring a payment for a plan when another paid plan is already in
 * force. Such a payment is never kept: the transaction that applies it (under the lock on the
 * organization's billing customer, so two applications never decide on the same state) records it as
 * owed back instead of starting a plan; then the refund is asked of the gateway outside any
 * transaction, with a key derived from the payment, and recorded in one transaction: the refund, the
 * payment and its refund in the ledger, an audit entry and a `payment.refunded` event.
 *
 * A crash between the two leaves the payment owed: the next sync, webhook or billing run asks the
 * gateway again under the same key, which answers with the refund it made, so nobody is refunded twice.
 */

export type ConflictSource = ConflictingPaymentRow['source'];

/** A subscription to a paid plan, live now, and its plan's name: what a second paid plan conflicts with. */
export async function paidPlanInForce(
  ctx: TenantCtx,
): Promise<{ subscription: SubscriptionRow; planName: string } | undefined> {
  for (const sub of await subscriptions.liveSubscriptions(ctx)) {
    const version = await catalog.findPlanVersion(ctx, sub.plan_version_id);
    if (version && !billing.costsNothing(version)) {
      const { plan } = await catalog.getPlan(ctx, sub.plan_id, { versionId: version.id });
      return { subscription: sub, planName: plan.name };
    }
  }
  return undefined;
}

/**
 * A subscription to a paid plan is changed with proration (Modify plan); a second checkout or plan
 * link for another plan would bill the same days twice, so opening one is refused. (Other tabs are
 * not seen here: what they still pay is refunded when it arrives.)
 */
export async function refuseSecondPaidPlan(ctx: TenantCtx): Promise<void> {
  if (await paidPlanInForce(ctx)) {
    throw conflict(
      'subscription.use_modify_plan',
      'This organization pays for a plan already: change it with Modify plan, which credits the unused days',
      'plan_id',
    );
  }
}

/**
 * In the transaction that found the conflict: `payment` is owed back in full. Refunded by
 * `refundConflictingPayments` once the transaction has committed.
 */
export async function owePaymentBack(
  ctx: TenantCtx,
  input: {
    payment: PaymentRow;
    source: ConflictSource;
    sourceId: string;
    inForce: { subscription: SubscriptionRow; planName: string };
  },
): Promise<ConflictingPaymentRow> {
  const { payment } = input;
  const row: ConflictingPaymentRow = {
    org_id: ctx.tenant.orgId,
    payment_id: payment.id,
    source: input.source,
    source_id: input.sourceId,
    subscription_id: input.inForce.subscription.id,
    plan_name: input.inForce.planName,
    amount: payment.amount,
    currency: payment.currency,
    refund_id: null,
    created_at: toDate(ctx.clock.now()),
    refunded_at: null,
  };
  await ctx.db
    .insertInto('conflicting_payments')
    .values(row)
    .onConflict((c) => c.columns(['org_id', 'payment_id']).doNothing())
    .execute();
  await recordAudit(ctx, {
    action: 'payment.conflicts_with_plan',
    targetType: 'payment',
    targetId: payment.id,
    after: {
      source: input.source,
      source_id: input.sourceId,
      plan_in_force: input.inForce.planName,
      subscription_id: input.inForce.subscription.id,
      amount: payment.amount.toString(),
      currency: payment.currency,
    },
  });
  return row;
}

/** What the person returning from the gateway reads about a payment that was owed back. */
export async function findConflictingPayment(
  ctx: TenantCtx,
  paymentId: string | null,
): Promise<ConflictingPaymentRow | undefined> {
  if (!paymentId) return undefined;
  return scoped(ctx)
    .selectFrom('conflicting_payments')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .executeTakeFirst();
}

/**
 * Refunds every payment still owed back of the organizations in `scope` (one, after a checkout; all,
 * in the billing run): a query across tenants, each payment then refunded in its own. A gateway that fails is logged and left
 * for the next sync, webhook or billing run: the payment stays owed, and the same key is used again.
 */
export async function refundConflictingPayments(
  ctx: Ctx,
  gateways: payments.GatewayRegistry,
  scope: BillingScope,
): Promise<number> {
  const owed = await ctx.db
    .selectFrom('conflicting_payments')
    .selectAll()
    .where('refund_id', 'is', null)
    .where(inScope(scope))
    .orderBy('created_at')
    .execute();
  let refunded = 0;
  for (const row of owed) {
    try {
      if (await refundConflictingPayment(tenantContext(ctx, row.org_id), gateways, row)) refunded++;
    } catch (error) {
      ctx.log.warn(
        { err: error, org: row.org_id, payment: row.payment_id },
        'a payment owed back could not be refunded yet; it is retried with the same key',
      );
    }
  }
  return refunded;
}

async function refundConflictingPayment(
  ctx: TenantCtx,
  gateways: payments.GatewayRegistry,
  owed: ConflictingPaymentRow,
): Promise<boolean> {
  const payment = await payments.findPayment(ctx, owed.payment_id);
  if (!payment) return false;
  const reason = `Already subscribed to ${owed.plan_name}`;
  const gateway = gateways.get(payment.gateway);
  // Derived from the payment, not from a row we make: a retry after a crash is the same refund.
  const refund = await payments.withRetries(() =>
    gateway.refund({
      paymentRef: payment.gateway_payment_ref,
      amount: owed.amount,
      reason,
      idempotencyKey: `refund:conflict:${payment.id}`,
    }),
  );
  const cctx = await billingCustomerContext(ctx);
  return withTransaction(cctx, async (tx) => {
    const current = await scoped(tx)
      .selectFrom('conflicting_payments')
      .selectAll()
      .where('payment_id', '=', owed.payment_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (current.refund_id !== null) return false;
    const row = await payments.recordGatewayRefund(tx, payment, { id: newId('refund'), refund, reason });
    const sub = await subscriptions.getSubscription(tx, owed.subscription_id);
    const now = tx.clock.now();
    // The money came in and went back: the statement shows both, and the balance is unchanged.
    await ledgerModule.post(tx, ledgerAccount(sub, tx.customer), [
      {
        kind: 'payment',
        amount: payment.amount,
        description: `Payment for another plan while on ${owed.plan_name}`,
        effectiveAt: now,
        sourceKey: `payment:${payment.id}`,
        paymentId: payment.id,
      },
      {
        kind: 'refund',
        amount: -row.amount,
        description: `Refund to the card: ${reason}`,
        effectiveAt: now,
        sourceKey: `refund:${row.id}`,
        paymentId: payment.id,
        refundId: row.id,
      },
    ]);
    await scoped(tx)
      .updateTable('conflicting_payments')
      .set({ refund_id: row.id, refunded_at: toDate(now) })
      .where('payment_id', '=', owed.payment_id)
      .execute();
    await events.emit(tx, 'payment.refunded', {
      ...payments.presentRefund(row),
      payment: payments.presentPayment(payment),
    });
    return true;
  });
}

/** The sentence a person whose payment was owed back reads (the Billing page writes the same). */
export function conflictMessage(row: ConflictingPaymentRow): string {
  const paid = formatMoney({ amount: row.amount, currency: parseCurrencyCode(row.currency) });
  return `You already subscribed to ${row.plan_name} in another tab; your payment of ${paid} ${
    row.refund_id ? 'was refunded' : 'is being refunded'
  }`;
}

/** The conflict as the API shows it on a checkout or a link. */
export function presentConflict(row: ConflictingPaymentRow) {
  return {
    plan_name: row.plan_name,
    amount: amountJson(row.amount),
    currency: row.currency,
    refund_status: row.refund_id ? ('refunded' as const) : ('pending' as const),
  };
}
