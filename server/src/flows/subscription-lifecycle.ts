import { Temporal } from 'temporal-polyfill';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import { withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { BillingCustomerRow, SubscriptionRow } from '../db/schema.js';
import { conflict } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as ledgerModule from '../ledger/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type CustomerCtx, customerContext, scoped, type TenantCtx } from '../tenant.js';
import { fromDate } from '../time/index.js';
import { issueInvoice } from './invoice-ledger.js';
import { ledgerAccount, pricedPlan, recordRefund } from './subscription-billing.js';

/**
 * Cancel, pause and resume (C16), and the organization's billing status (C19), each in the
 * customer's own time (its test clock in test mode).
 */

async function locked(
  cctx: CustomerCtx,
  subscriptionId: string,
  work: (tx: CustomerCtx, sub: SubscriptionRow) => Promise<SubscriptionRow>,
) {
  return withTransaction(cctx, async (tx) =>
    work(tx, await subscriptions.getSubscription(tx, subscriptionId, 'wait')),
  );
}

/**
 * At the end of the period (which can still be withdrawn), or now: then the unused days of a fee
 * paid in advance are credited to the customer's balance, rated by the billing core as a
 * termination, and with `credit: 'card'` refunded from the balance to the card that paid the period.
 * Only a subscription in good standing has paid its period; one past due, unpaid, paused or trialing
 * ends with nothing credited. What the days used owe at the end of a period (a fee in arrears, the
 * minimum commitment) is invoiced now and charged to the saved card (R25). The subscription is locked and the credit keyed by it, so the same
 * cancellation sent twice credits (and refunds) once: only the request that recorded the credit
 * refunds it. The refund is a gateway call, made after the cancellation commits; if the gateway
 * refuses it, the credit stays on the balance.
 */
export async function cancelSubscription(
  cctx: CustomerCtx,
  subscriptionId: string,
  input: {
    at?: 'period_end' | 'now' | undefined;
    at_period_end?: boolean | undefined;
    credit?: 'balance' | 'card' | undefined;
    reason: string;
  },
  gateways?: payments.GatewayRegistry,
) {
  const endsNow = input.at === 'now' || input.at_period_end === false;
  const { customer } = cctx;
  let credited: bigint | null = null;
  const ended = await locked(cctx, subscriptionId, async (tx, sub) => {
    if (!endsNow) return subscriptions.setCancelAtPeriodEnd(tx, sub, true, input.reason);
    const ending = ENDS_BILLED.includes(sub.status) ? await rateTermination(tx, sub) : null;
    // Only a subscription in good standing has paid its period and is owed its unused days.
    const credit =
      ending && ending.rating.totals.total < 0n && sub.status === 'active'
        ? {
            amount: -ending.rating.totals.total,
            description: ending.rating.lines.map((line) => line.description).join('; '),
          }
        : null;
    const cancelled = await subscriptions.transition(tx, sub, 'cancelled', input.reason);
    if (ending && ending.rating.totals.total > 0n) await invoiceTermination(tx, cancelled, ending);
    if (
      credit !== null &&
      (await customers.recordBalanceTransaction(tx, customer, {
        amount: credit.amount,
        sourceKey: `termination:${sub.id}`,
        description: credit.description,
      }))
    ) {
      credited = credit.amount;
    }
    return cancelled;
  });
  if (credited !== null && input.credit === 'card' && gateways) {
    await refundToCard(cctx, ended, credited, gateways);
  }
  return ended;
}

/**
 * The credit just recorded for `sub`, back to the card: a refund of the last payment of its
 * invoices, capped at what that payment has left, taken off the balance in the refund's transaction.
 */
async function refundToCard(
  ctx: CustomerCtx,
  sub: SubscriptionRow,
  credit: bigint,
  gateways: payments.GatewayRegistry,
) {
  const entries = await ledgerModule.listEntries(ctx, { subscriptionId: sub.id });
  const paid = entries.filter((entry) => entry.kind === 'payment' && entry.payment_id !== null).at(-1);
  if (!paid?.payment_id) return;
  const payment = await scoped(ctx)
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', paid.payment_id)
    .executeTakeFirstOrThrow();
  const refunded = await payments.listRefunds(ctx, [payment.id]);
  const left =
    payment.amount - refunded.reduce((sum, r) => sum + (r.status === 'failed' ? 0n : r.amount), 0n);
  const amount = credit < left ? credit : left;
  if (amount <= 0n) return;
  await payments.refundPayment(
    ctx,
    gateways.get(payment.gateway),
    { paymentId: payment.id, amount, reason: 'Unused days of a cancelled subscription' },
    async (tx, refund, refundedPayment) => {
      await recordRefund(tx, refund, refundedPayment);
      if (refund.status === 'failed') return;
      await customers.recordBalanceTransaction(tx, ctx.customer, {
        amount: -refund.amount,
        sourceKey: `refund:${refund.id}`,
        description: 'Refunded to the card',
      });
    },
  );
}

/**
 * Statuses whose period is being billed, so ending now settles it (R17, R25): a trial has nothing to
 * bill and a paused subscription's days are not billed.
 */
const ENDS_BILLED: readonly SubscriptionRow['status'][] = ['active', 'past_due', 'unpaid'];

interface RatedTermination {
  rating: billing.Rating;
  tax: billing.TaxRule;
  issuerId: string;
  currency: string;
  from: Temporal.Instant;
  at: Temporal.Instant;
}

/**
 * What ending `sub` now settles, as the billing core rates it: a credit for the unused days of a fee
 * paid in advance, or a charge for the used days of a fee in arrears, its usage and its minimum
 * commitment. Null when the period has already ended (its renewal bills it).
 */
async function rateTermination(tx: CustomerCtx, sub: SubscriptionRow): Promise<RatedTermination | null> {
  const plan = await pricedPlan(tx, {
    issuerId: sub.plan_issuer_id,
    planId: sub.plan_id,
    versionId: sub.plan_version_id,
  });
  const now = tx.clock.now();
  const from = fromDate(sub.current_period_start);
  if (Temporal.Instant.compare(fromDate(sub.current_period_end), now) <= 0) return null;
  const period = subscriptions.periodContaining(
    subscriptions.periodRuleOf(sub, plan.entry.plan.billing_interval),
    from,
  );
  const tax = await invoicing.taxRuleFor(tx, tx.customer);
  const rating = billing.rate({
    plan: plan.price,
    period,
    event: { kind: 'termination', at: now, from, timing: 'now', usage: [] },
    tax,
    creditBalance: 0n,
  });
  return { rating, tax, issuerId: plan.ref.issuerId, currency: plan.price.currency, from, at: now };
}

/**
 * The last invoice of a subscription ended now that owes for the days it used (R25): the period it
 * bills is the part of the period it ran, and it is charged to the saved card (after the credit
 * balance) as a renewal's invoice is. It takes the place of the renewal that will not come.
 */
async function invoiceTermination(tx: CustomerCtx, sub: SubscriptionRow, ending: RatedTermination) {
  const { customer } = tx;
  const draft = await invoicing.createDraft(tx, {
    orgId: tx.tenant.orgId,
    issuerId: ending.issuerId,
    customer,
    subscriptionId: sub.id,
    reason: 'subscription_cycle',
    currency: ending.currency,
    periodStart: ending.from,
    periodEnd: ending.at,
    cycleAt: ending.at,
    lines: ending.rating.lines,
    tax: ending.tax,
    autoCharge: true,
  });
  await issueInvoice(tx, draft.id, ledgerAccount(sub, customer));
}

export async function keepSubscription(cctx: CustomerCtx, subscriptionId: string) {
  return locked(cctx, subscriptionId, (tx, sub) => {
    if (!sub.cancel_at_period_end)
      throw conflict('subscription.not_cancelling', 'This subscription is not set to end');
    return subscriptions.setCancelAtPeriodEnd(tx, sub, false, 'The customer kept the subscription');
  });
}

/** Pausing stops billing: no renewal while paused. */
export async function pauseSubscription(cctx: CustomerCtx, subscriptionId: string) {
  return locked(cctx, subscriptionId, (tx, sub) =>
    subscriptions.transition(tx, sub, 'paused', 'Paused by the customer'),
  );
}

/**
 * Resuming within the paused period changes nothing more; after it, a new period starts today and
 * its rest is invoiced, prorated, and charged to the saved card by the billing run. A subscription
 * paused by dunning resumes only when what it owes is paid.
 */
export async function resumeSubscription(cctx: CustomerCtx, subscriptionId: string) {
  return locked(cctx, subscriptionId, async (tx, sub) => {
    if (sub.status !== 'paused') throw conflict('subscription.not_paused', 'This subscription is not paused');
    if (sub.paused_for_payment && (await owesMore(tx, sub))) {
      throw conflict(
        'subscription.payment_due',
        'This subscription was paused for an unpaid invoice: it resumes when its open invoices are paid',
      );
    }
    return resumePaused(tx, sub, 'Resumed');
  });
}

/**
 * A payment (or a void) has settled an invoice: a subscription held for what it owed is active again
 * once it owes nothing overdue. Past due or unpaid, it becomes active; paused by dunning, it resumes
 * as a resume does (a new period from today, the paused days not billed). Runs inside the caller's
 * transaction, with the subscription locked; anything else is left as it is.
 */
export async function releaseIfSettled(
  ctx: TenantCtx,
  sub: SubscriptionRow,
  customer: BillingCustomerRow,
  reason: string,
): Promise<SubscriptionRow> {
  const held =
    sub.status === 'past_due' ||
    sub.status === 'unpaid' ||
    (sub.status === 'paused' && sub.paused_for_payment);
  if (!held || (await owesMore(ctx, sub))) return sub;
  if (sub.status !== 'paused') return subscriptions.transition(ctx, sub, 'active', reason);
  return resumePaused(await customerContext(ctx, customer), sub, reason);
}

/** An open invoice whose collection has failed: one just issued, not yet charged, is not overdue. */
async function owesMore(ctx: TenantCtx, sub: SubscriptionRow): Promise<boolean> {
  const open = await invoicing.listInvoices(ctx, { subscriptionId: sub.id, status: 'open' });
  return open.some((invoice) => invoice.first_failed_at !== null && invoicing.amountDue(invoice) > 0n);
}

async function resumePaused(tx: CustomerCtx, sub: SubscriptionRow, reason: string): Promise<SubscriptionRow> {
  const { customer } = tx;
  let resumed = await subscriptions.transition(tx, sub, 'active', reason);
  const now = tx.clock.now();
  if (Temporal.Instant.compare(fromDate(sub.current_period_end), now) > 0) return resumed;
  const plan = await pricedPlan(tx, {
    issuerId: sub.plan_issuer_id,
    planId: sub.plan_id,
    versionId: sub.plan_version_id,
  });
  const period = subscriptions.periodContaining(
    subscriptions.periodRuleOf(sub, plan.entry.plan.billing_interval),
    now,
  );
  resumed = await subscriptions.advancePeriod(tx, resumed, { start: now, end: period.endInstant });
  const tax = await invoicing.taxRuleFor(tx, customer);
  // The paused days are not billed: the fee from now to the end of the period, as a start would.
  const { lines } = billing.rate({
    plan: plan.price,
    period,
    event: { kind: 'start', at: now, trial: false },
    tax,
    creditBalance: 0n,
  });
  if (lines.length === 0) return resumed;
  const draft = await invoicing.createDraft(tx, {
    orgId: tx.tenant.orgId,
    issuerId: plan.ref.issuerId,
    customer,
    subscriptionId: sub.id,
    reason: 'subscription_cycle',
    currency: plan.price.currency,
    periodStart: now,
    periodEnd: period.endInstant,
    lines,
    tax,
    autoCharge: true,
  });
  await issueInvoice(tx, draft.id, ledgerAccount(resumed, customer));
  return resumed;
}

/**
 * What the product asks before letting a customer in (C19): active; past_due while a failed payment
 * is being retried; blocked once the retries are exhausted (Prism then blocks login and workspace
 * deletion and shows a way to pay), whichever last step followed: unpaid, paused for payment, or
 * cancelled with its invoice still owed. With the open invoices and their total, which one payment
 * settles (payOpenInvoices).
 */
export async function billingStatus(ctx: TenantCtx) {
  const live = await subscriptions.liveSubscriptions(ctx);
  const open = await invoicing.listInvoices(ctx, { status: 'open' });
  const liveIds = new Set(live.map((s) => s.id));
  const owedByEnded = open.some(
    (invoice) =>
      invoice.subscription_id !== null &&
      !liveIds.has(invoice.subscription_id) &&
      invoice.first_failed_at !== null,
  );
  const status =
    owedByEnded || live.some(subscriptions.blocksBilling)
      ? ('blocked' as const)
      : live.some((s) => s.status === 'past_due')
        ? ('past_due' as const)
        : ('active' as const);
  const due = open.reduce((sum, invoice) => sum + invoicing.amountDue(invoice), 0n);
  return {
    object: 'billing_status' as const,
    status,
    subscriptions: live.map((s) => ({ id: s.id, status: s.status, plan_id: s.plan_id })),
    open_invoices: open.map((invoice) => ({
      id: invoice.id,
      number: invoice.number ?? '',
      amount_due: amountJson(invoicing.amountDue(invoice)),
      currency: invoice.currency,
      next_attempt_at: invoice.next_attempt_at?.toISOString() ?? null,
    })),
    amount_due: amountJson(due),
  };
}
