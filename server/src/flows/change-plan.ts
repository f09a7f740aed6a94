import { Temporal } from 'temporal-polyfill';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import { withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { BillingCustomerRow, ConflictingPaymentRow, InvoiceRow, SubscriptionRow } from '../db/schema.js';
import { conflict, invalid, paymentFailed } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as ledgerModule from '../ledger/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type CustomerCtx, scoped, type TenantCtx } from '../tenant.js';
import { type BillingInterval, type BillingPeriod, fromDate } from '../time/index.js';
import type { BillingRunDeps } from './billing-run.js';
import { closeOtherPlanCheckouts } from './checkout.js';
import { applyPayment, applyReservedCredit, issueInvoice } from './invoice-ledger.js';
import {
  conflictMessage,
  findConflictingPayment,
  owePaymentBack,
  paidPlanInForce,
  refundConflictingPayments,
} from './plan-conflicts.js';
import { ledgerAccount, type PricedPlan, pricedPlan } from './subscription-billing.js';

/**
 * Modify plan (C17). An upgrade applies now: the current plan's unused days credited (or, for a fee
 * in arrears, its used days charged) and the new plan charged for the same days, paid with the saved
 * card before the plan changes. A downgrade waits for the end of the period, or, when asked, applies
 * now the same way: its invoice totals zero or less, is paid with nothing charged, and its credit goes
 * to the customer's credit balance (R20, R22, R24). During a trial a change bills nothing (R23). The
 * summary shown before paying and the invoice issued after come from the same computation
 * (computePlanChange), so they agree to the cent.
 *
 * The change not yet applied is kept on the subscription (its pending change): a downgrade waiting
 * for the period's end, or a change now being paid for, claimed by its draft invoice (one at a time).
 * The claim takes the customer's credit balance first, up to the draft's total, keyed by the draft
 * (R28). The card is charged the rest outside any transaction with the draft's id as the key, then
 * the invoice is issued, the credit and the payment applied, and the pending change applied in one
 * transaction. A crash in between leaves the draft and the pending change, which the billing run
 * finishes with the same key and the same amount (derived from the credit recorded as taken): the
 * card is charged once. A change withdrawn gives its credit back.
 */

/** When a change takes effect: an upgrade always now; a downgrade at the period's end unless asked. */
export type ChangeTiming = 'now' | 'period_end';

export interface PlanChange {
  direction: 'upgrade' | 'downgrade';
  effective: ChangeTiming;
  from: PricedPlan;
  to: PricedPlan;
  lines: billing.ChargeLine[];
  tax: billing.TaxRule;
  totals: billing.InvoiceTotals;
  /** What the change's invoice covers: from the change to the end of the period (or the new one). */
  period: { start: Temporal.Instant; end: Temporal.Instant };
  /** The end of the new plan's first period when the change starts one (another interval). */
  newPeriodEnd: Temporal.Instant | null;
  /** When the next regular invoice is issued, and what it will be (on the new plan, with tax). */
  nextPayment: { at: Temporal.Instant; totals: billing.InvoiceTotals };
}

/** What a period on `plan` billed from `from` owes when it ends (a fee in arrears, a minimum). */
function closingOn(
  plan: billing.PlanTerms,
  period: BillingPeriod,
  from: Temporal.Instant,
): billing.ClosingPeriod | undefined {
  if (plan.feeTiming === 'advance' && plan.minimumCommitment === 0n) return undefined;
  return { period, from, plan, usage: [] };
}

/**
 * What changing `from` → `to` at `at` costs, rated by the billing core: an upgrade applies now
 * (prorated); a downgrade at the end of the period (nothing owed now) unless `timing` is 'now', when
 * it is prorated like an upgrade and its total is a credit; a move to another interval applies now
 * and starts the new plan's period (R21, R24); during a trial nothing is billed (R23).
 */
export function computePlanChange(input: {
  from: PricedPlan;
  to: PricedPlan;
  /** The current plan's period containing `at`, and when the current plan began to be billed in it. */
  period: BillingPeriod;
  billedFrom: Temporal.Instant;
  /** The period on the new plan after the one the change falls in: the next renewal's. */
  nextPeriod: BillingPeriod;
  at: Temporal.Instant;
  tax: billing.TaxRule;
  timing?: ChangeTiming | undefined;
  /**
   * A move to another interval: the new plan's period containing `at` (its first, billed from `at`).
   * Absent when the interval stays, and during a trial (the trial goes on).
   */
  newPeriod?: BillingPeriod | undefined;
  /** When the trial the subscription is in ends; absent when it is not in one. */
  trialEnd?: Temporal.Instant | undefined;
}): PlanChange {
  const { from, to, at, tax, newPeriod, trialEnd } = input;
  const dearer = to.price.basePrice > from.price.basePrice;
  // A move to another interval applies now, in a trial too (its next period is the new interval's).
  const anotherInterval = from.entry.plan.billing_interval !== to.entry.plan.billing_interval;
  const effective: ChangeTiming = anotherInterval || dearer ? 'now' : (input.timing ?? 'period_end');
  const { lines, totals } = billing.rate({
    plan: from.price,
    period: input.period,
    event: {
      kind: 'plan_change',
      to: to.price,
      at,
      timing: effective,
      from: input.billedFrom,
      ...(newPeriod ? { newPeriod } : {}),
      ...(trialEnd ? { trial: true } : {}),
    },
    tax,
    creditBalance: 0n,
  });
  // A move to another interval is an upgrade when it costs something now.
  const direction =
    newPeriod && totals.total !== 0n
      ? totals.total > 0n
        ? 'upgrade'
        : 'downgrade'
      : dearer
        ? 'upgrade'
        : 'downgrade';
  const changeEnds = newPeriod?.endInstant ?? input.period.endInstant;
  // The renewal the billing run will make next, as it will make it: at the trial's end, or when the
  // period the change falls in ends, with what that period owes then on the plan in force.
  const next = trialEnd
    ? billing.rateRenewal({ plan: to.price, period: input.nextPeriod, tax, from: trialEnd })
    : billing.rateRenewal({
        plan: to.price,
        period: input.nextPeriod,
        tax,
        closing:
          effective === 'now'
            ? closingOn(to.price, newPeriod ?? input.period, at)
            : closingOn(from.price, input.period, input.billedFrom),
      });
  return {
    direction,
    effective,
    from,
    to,
    lines,
    tax,
    totals,
    period: { start: at, end: changeEnds },
    newPeriodEnd: newPeriod && !trialEnd ? newPeriod.endInstant : null,
    nextPayment: { at: trialEnd ?? changeEnds, totals: next.totals },
  };
}

interface ChangeSetup {
  sub: SubscriptionRow;
  change: PlanChange;
}

/**
 * The billing day and month a new anniversary counts from: a move to another interval restarts an
 * anniversary subscription's periods on the day of the change (R24). Undefined when they stay.
 */
function restartedAnniversary(
  sub: SubscriptionRow,
  fromInterval: BillingInterval,
  toInterval: BillingInterval,
  at: Temporal.Instant,
): { rule: subscriptions.PeriodRule; anchor: { day: number; month: number } } | undefined {
  if (sub.billing_mode !== 'anniversary' || fromInterval === toInterval) return undefined;
  const rule = subscriptions.ruleAtStart({
    interval: toInterval,
    billingMode: 'anniversary',
    timeZone: sub.time_zone,
    at,
  });
  return { rule, anchor: { day: rule.anchorDay, month: rule.startedOn.month } };
}

/** The change as it stands now on the customer's clock, after every check the change makes. */
async function setUp(
  cctx: CustomerCtx,
  subscriptionId: string,
  planId: string,
  timing: ChangeTiming | undefined,
): Promise<ChangeSetup> {
  const { customer } = cctx;
  const sub = await subscriptions.getSubscription(cctx, subscriptionId);
  if (!['active', 'trialing'].includes(sub.status)) {
    throw conflict(
      'subscription.not_changeable',
      `A ${sub.status} subscription cannot change plan; pay what is due first`,
    );
  }
  if (sub.plan_id === planId)
    throw conflict('subscription.same_plan', 'This subscription is on that plan already');
  // Only plans this organization is offered exist for it.
  await catalog.getOffer(cctx, { currency: undefined, currentPlanId: undefined }, planId);
  const from = await pricedPlan(cctx, {
    issuerId: sub.plan_issuer_id,
    planId: sub.plan_id,
    versionId: sub.plan_version_id,
  });
  const to = await pricedPlan(cctx, { issuerId: sub.plan_issuer_id, planId });
  if (to.entry.plan.disabled_at !== null)
    throw invalid('plan.disabled', 'This plan is not available', 'plan_id');
  const oldInterval = from.entry.plan.billing_interval;
  const newInterval = to.entry.plan.billing_interval;
  const intervalChanges = newInterval !== oldInterval;
  if (
    intervalChanges &&
    sub.billing_mode === 'calendar' &&
    !subscriptions.isBillingDay(newInterval, sub.anchor_day)
  ) {
    throw invalid(
      'subscription.interval_change',
      'Moving to a plan billed at another interval needs a billing day that interval has (a weekday for weeks)',
      'plan_id',
    );
  }
  if (!billing.costsNothing(to.entry.version) && to.price.currency !== customer.currency) {
    throw invalid(
      'plan.currency_mismatch',
      `${to.price.planName} is priced in ${to.price.currency}`,
      'plan_id',
    );
  }
  const now = cctx.clock.now();
  const rule = subscriptions.periodRuleOf(sub, oldInterval);
  const period = subscriptions.periodContaining(rule, now);
  const newRule =
    restartedAnniversary(sub, oldInterval, newInterval, now)?.rule ??
    subscriptions.periodRuleOf(sub, newInterval);
  const trialEnd = sub.status === 'trialing' ? fromDate(sub.current_period_end) : undefined;
  const newFirst = intervalChanges && !trialEnd ? subscriptions.periodContaining(newRule, now) : undefined;
  const change = computePlanChange({
    from,
    to,
    period,
    billedFrom: latest(fromDate(sub.current_period_start), period.startInstant),
    nextPeriod: subscriptions.periodContaining(
      newRule,
      trialEnd ?? newFirst?.endInstant ?? period.endInstant,
    ),
    at: now,
    tax: await invoicing.taxRuleFor(cctx, customer),
    timing,
    newPeriod: newFirst,
    trialEnd,
  });
  if (intervalChanges && timing === 'period_end') {
    throw invalid(
      'subscription.interval_change_timing',
      'A move to another interval starts its new period now; it cannot wait for the end of the period',
      'timing',
    );
  }
  if (change.direction === 'upgrade' && timing === 'period_end') {
    throw invalid(
      'subscription.upgrade_timing',
      'An upgrade applies now; only a downgrade can wait for the end of the period',
      'timing',
    );
  }
  if (change.effective === 'now') refuseWhileScheduled(sub);
  return { sub, change };
}

const latest = (a: Temporal.Instant, b: Temporal.Instant) => (Temporal.Instant.compare(a, b) >= 0 ? a : b);

/**
 * A change now while a downgrade waits for the period's end: the waiting one is withdrawn first, so
 * that a declined card leaves everything as it was.
 */
function refuseWhileScheduled(sub: SubscriptionRow) {
  if (subscriptions.scheduledChangeOf(sub)) {
    throw conflict(
      'subscription.change_scheduled',
      'A move to another plan is scheduled for the end of the period; withdraw it before changing now',
    );
  }
}

export async function previewPlanChange(
  cctx: CustomerCtx,
  subscriptionId: string,
  planId: string,
  timing?: ChangeTiming,
) {
  const { change } = await setUp(cctx, subscriptionId, planId, timing);
  // What the claim would take from the balance now (R28): the same min(balance, total).
  const credit =
    change.lines.length > 0 ? creditFor(change.totals.total, await customers.creditBalance(cctx)) : 0n;
  return presentPlanChange(subscriptionId, change, credit);
}

/** How much of a change's invoice `balance` pays: all of it, up to the total (none of a credit). */
function creditFor(total: bigint, balance: bigint): bigint {
  if (total <= 0n || balance <= 0n) return 0n;
  return balance < total ? balance : total;
}

/** The balance transaction's key for the credit a change's invoice takes: the draft's, as R18's is. */
const creditKey = (draft: InvoiceRow) => `invoice:${draft.id}`;

export function presentPlanChange(subscriptionId: string, change: PlanChange, credit: bigint) {
  return {
    object: 'plan_change_preview' as const,
    subscription_id: subscriptionId,
    direction: change.direction,
    effective: change.effective,
    from_plan: { id: change.from.price.planId, name: change.from.price.planName },
    to_plan: { id: change.to.price.planId, name: change.to.price.planName },
    currency: change.to.price.currency,
    lines: change.lines.map((line) => ({
      kind: line.kind,
      description: line.description,
      amount: amountJson(line.amount),
    })),
    subtotal: amountJson(change.totals.subtotal),
    tax: amountJson(change.totals.tax),
    total_due_now: amountJson(change.totals.total),
    credited_to_balance: amountJson(change.totals.total < 0n ? -change.totals.total : 0n),
    credit_applied: amountJson(credit),
    amount_due: amountJson(change.totals.total > 0n ? change.totals.total - credit : 0n),
    next_payment_at: change.nextPayment.at.toString(),
    next_payment_amount: amountJson(change.nextPayment.totals.total),
  };
}

/**
 * Carries a change out: a downgrade at the period's end is scheduled; a change now that bills
 * nothing (during a trial, or between fees that owe nothing now) is applied; any other is invoiced
 * (and paid when something is due) and applied now.
 */
export async function changePlan(
  cctx: CustomerCtx,
  deps: BillingRunDeps,
  subscriptionId: string,
  planId: string,
  timing?: ChangeTiming,
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  const { customer } = cctx;
  const { sub, change } = await setUp(cctx, subscriptionId, planId, timing);
  /** The subscription as it was summarized, locked, with no change in progress. */
  const lockUnchanged = async (tx: CustomerCtx) => {
    const locked = await subscriptions.getSubscription(tx, sub.id, 'nowait');
    if (locked.plan_version_id !== sub.plan_version_id || locked.status !== sub.status)
      throw changedMeanwhile();
    if (subscriptions.pendingChangeOf(locked)?.timing === 'now') throw changedMeanwhile();
    return locked;
  };

  if (change.effective === 'period_end') {
    return withTransaction(cctx, async (tx) => {
      const subscription = await subscriptions.schedulePlan(
        tx,
        await lockUnchanged(tx),
        change.to.ref,
        `Downgrade to ${change.to.price.planName} at the end of the period`,
      );
      return { subscription, invoice: null };
    });
  }

  if (change.lines.length === 0) {
    // Nothing to bill now (a trial, or fees that owe nothing until the period ends): applied at once.
    const subscription = await withTransaction(cctx, async (tx) => {
      const locked = await lockUnchanged(tx);
      refuseWhileScheduled(locked);
      return applyChange(tx, locked, {
        plan: change.to.ref,
        at: change.period.start,
        periodEnd: change.newPeriodEnd,
        reason: `Moved to ${change.to.price.planName} now`,
      });
    });
    return { subscription, invoice: null };
  }

  const method = (await customers.listPaymentMethods(cctx)).find((m) => m.is_default);
  const forCard = change.totals.total - creditFor(change.totals.total, await customers.creditBalance(cctx));
  if (forCard > 0n && (!method || !deps.gateways.has(method.gateway))) {
    throw invalid(
      'subscription.payment_method_required',
      'Add a card (Update payment details) before upgrading: the difference is charged now',
    );
  }

  // Claim: the draft, named by the subscription's pending change, is the one change in progress.
  const draft = await withTransaction(cctx, async (tx) => {
    // The customer's row first, as every spender of the balance and the change's completion lock it.
    const lockedCustomer = await customers.lockCustomer(tx);
    const locked = await lockUnchanged(tx);
    refuseWhileScheduled(locked);
    const created = await invoicing.createDraft(tx, {
      orgId: tx.tenant.orgId,
      issuerId: sub.plan_issuer_id,
      customer,
      subscriptionId: sub.id,
      reason: 'subscription_update',
      currency: change.to.price.currency,
      periodStart: change.period.start,
      periodEnd: change.period.end,
      lines: change.lines,
      tax: change.tax,
      autoCharge: false,
    });
    await subscriptions.claimChange(tx, locked, {
      plan: change.to.ref,
      timing: 'now',
      at: change.period.start,
      periodEnd: change.newPeriodEnd,
      invoiceId: created.id,
    });
    // The balance pays first (R28): taken now, so a renewal or a checkout meanwhile cannot spend it.
    await customers.reserveCredit(
      tx,
      lockedCustomer,
      creditKey(created),
      created.total,
      `Applied to the plan change to ${change.to.price.planName}`,
    );
    return created;
  });
  const changed = await completePlanChange(cctx, deps, draft);
  // A paid plan is in force now: checkouts for a plan left open in other tabs can no longer be paid.
  await closeOtherPlanCheckouts(cctx, deps.gateways);
  return changed;
}

function changedMeanwhile() {
  return conflict(
    'subscription.changed',
    'This subscription changed while you were looking at it; review the new summary and try again',
  );
}

/**
 * The subscription moves to `change.plan` now. The period billed on the new plan starts at the
 * change (a fee in arrears is billed from then when the period ends); a move to another interval
 * starts the new plan's own period, and restarts an anniversary on the day of the change (R24).
 * During a trial the trial goes on to its end (R23).
 */
async function applyChange(
  tx: TenantCtx,
  sub: SubscriptionRow,
  change: {
    plan: subscriptions.PlanVersionRef;
    at: Temporal.Instant;
    periodEnd: Temporal.Instant | null;
    reason: string;
  },
): Promise<SubscriptionRow> {
  const [current, target] = await Promise.all([
    pricedPlan(tx, { issuerId: sub.plan_issuer_id, planId: sub.plan_id, versionId: sub.plan_version_id }),
    pricedPlan(tx, change.plan),
  ]);
  const restarted = restartedAnniversary(
    sub,
    current.entry.plan.billing_interval,
    target.entry.plan.billing_interval,
    change.at,
  );
  const periodEnd = change.periodEnd ?? fromDate(sub.current_period_end);
  // A change finished late (after a crash) in a period that has since renewed keeps that period.
  const inPeriod = Temporal.Instant.compare(change.at, fromDate(sub.current_period_start)) >= 0;
  return subscriptions.changePlanVersion(tx, sub, change.plan, change.reason, {
    ...(sub.status !== 'trialing' && inPeriod ? { period: { start: change.at, end: periodEnd } } : {}),
    ...(restarted ? { anchor: restarted.anchor } : {}),
  });
}

/**
 * A change's credit (an invoice of zero or less) goes to the customer's credit balance, spent before
 * the card on the next invoices (R18, R24), and out of the subscription's ledger, where the invoice
 * posted it: keyed by the invoice, so it is credited once however often the change is finished.
 */
async function creditToBalance(
  tx: TenantCtx,
  customer: BillingCustomerRow,
  invoice: InvoiceRow,
  account: ledgerModule.LedgerAccount,
): Promise<void> {
  if (invoice.total >= 0n) return;
  const credited = await customers.recordBalanceTransaction(tx, customer, {
    amount: -invoice.total,
    sourceKey: `plan_change:${invoice.id}`,
    description: `Credit from the plan change on ${invoice.number}`,
  });
  if (!credited) return;
  await ledgerModule.post(tx, account, [
    {
      kind: 'adjustment',
      amount: invoice.total,
      description: `${invoice.number}: credit moved to the customer's credit balance`,
      effectiveAt: tx.clock.now(),
      sourceKey: `balance:${invoice.id}:credited`,
      invoiceId: invoice.id,
    },
  ]);
}

/**
 * A claimed change withdrawn (its card declined, or no card): its draft goes, the credit it took goes
 * back to the balance, and nothing changed.
 */
async function withdrawClaim(ctx: TenantCtx, draft: InvoiceRow): Promise<void> {
  // In its own transaction: the error that follows must not roll the withdrawal back.
  await withTransaction(ctx, async (tx) => {
    const current = await invoicing.findInvoice(tx, draft.id);
    if (current?.status !== 'draft' || !current.subscription_id) return;
    const customer = await customers.lockCustomer(tx);
    const sub = await subscriptions.getSubscription(tx, current.subscription_id, 'wait');
    if (sub.pending_invoice_id === draft.id) await subscriptions.claimChange(tx, sub, null);
    await discardWithCredit(tx, customer, draft);
  });
}

/** A change's draft that will not be issued goes, and the credit it took goes back, once (R28). */
async function discardWithCredit(
  tx: TenantCtx,
  customer: BillingCustomerRow,
  draft: InvoiceRow,
): Promise<void> {
  const taken = await customers.reservedCredit(tx, creditKey(draft));
  await customers.releaseCredit(tx, customer, creditKey(draft), taken, 'the plan change was not made');
  await invoicing.discardDraft(tx, draft.id);
}

/**
 * Pays a claimed change and applies it, or withdraws it when the card is declined. Safe to repeat:
 * the charge's key is the draft's id, and a finished draft is finished.
 */
export async function completePlanChange(
  ctx: TenantCtx,
  deps: BillingRunDeps,
  draft: InvoiceRow,
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  const customer = await customers.getCustomer(ctx);
  // What the claim took from the balance, as recorded: the card is asked the same rest on every try.
  const credit = await customers.reservedCredit(ctx, creditKey(draft));
  const forCard = draft.total - credit;
  let payment: Awaited<ReturnType<typeof payments.chargeSavedMethod>> | undefined;
  if (forCard > 0n) {
    const method = (await customers.listPaymentMethods(ctx)).find((m) => m.is_default);
    if (!method || !deps.gateways.has(method.gateway)) {
      await withdrawClaim(ctx, draft);
      throw invalid('subscription.payment_method_required', 'Add a card before upgrading');
    }
    const gateway = deps.gateways.get(method.gateway);
    payment = await payments.chargeSavedMethod(ctx, gateway, {
      customerId: customer.id,
      gatewayCustomerRef: await payments.gatewayCustomerRef(ctx, gateway, customer),
      paymentMethodRef: method.gateway_ref,
      amount: forCard,
      currency: draft.currency,
      description: 'Plan upgrade',
      idempotencyKey: `invoice:${draft.id}`,
      invoiceId: draft.id,
    });
  }
  const paid = payment;
  if (paid && paid.status !== 'succeeded') {
    await withdrawClaim(ctx, draft);
    throw paymentFailed(
      paid.status === 'requires_action' ? 'card.authentication_required' : 'card.declined',
      paid.status === 'requires_action'
        ? 'Your bank asks you to confirm this payment; update your card and try again'
        : `The card was declined${paid.failure_message ? `: ${paid.failure_message}` : ''}. Nothing changed.`,
    );
  }
  const applied = await withTransaction(
    ctx,
    async (
      tx,
    ): Promise<
      | { owed: ConflictingPaymentRow }
      | { replacedBy: string }
      | { subscription: SubscriptionRow; invoice: InvoiceRow }
    > => {
      const current = await invoicing.findInvoice(tx, draft.id);
      if (current?.status !== 'draft' || !current.subscription_id) {
        throw conflict('subscription.changed', 'This change was finished already');
      }
      // Which plan the organization pays for is decided by one transaction at a time.
      const lockedCustomer = await customers.lockCustomer(tx);
      const sub = await subscriptions.getSubscription(tx, current.subscription_id, 'wait');
      const pending = subscriptions.pendingChangeOf(sub);
      const inForce = ['active', 'trialing'].includes(sub.status) ? undefined : await paidPlanInForce(tx);
      if (paid && inForce) {
        // A checkout in another tab replaced this subscription while its card was charged: the
        // change has nothing left to change, and its payment goes back.
        const owed = await owePaymentBack(tx, {
          payment: paid,
          source: 'plan_change',
          sourceId: draft.id,
          inForce,
        });
        // The draft and its claim go; the payment no longer pays an invoice.
        await scoped(tx)
          .updateTable('payments')
          .set({ invoice_id: null })
          .where('id', '=', paid.id)
          .execute();
        if (pending?.invoiceId === draft.id) await subscriptions.claimChange(tx, sub, null);
        await discardWithCredit(tx, lockedCustomer, draft);
        return { owed };
      }
      if (inForce) {
        // Replaced as above, with nothing charged (the balance paid it all): the credit goes back.
        if (pending?.invoiceId === draft.id) await subscriptions.claimChange(tx, sub, null);
        await discardWithCredit(tx, lockedCustomer, draft);
        return { replacedBy: inForce.planName };
      }
      if (pending?.invoiceId !== draft.id) {
        throw conflict('subscription.changed', 'This subscription has no such change pending');
      }
      const account = ledgerAccount(sub, customer);
      let invoice = await issueInvoice(tx, draft.id, account);
      // Still taken: a withdrawal gives it back only with the draft, which is here.
      invoice = await applyReservedCredit(tx, invoice.id, credit, account);
      if (paid) invoice = await applyPayment(tx, invoice.id, paid, account);
      await creditToBalance(tx, customer, invoice, account);
      const subscription = await applyChange(tx, sub, {
        plan: pending.plan,
        at: pending.at,
        periodEnd: pending.periodEnd,
        reason: `${invoice.total > 0n ? 'Upgraded' : 'Downgraded'} now (${invoice.number})`,
      });
      return { subscription, invoice };
    },
  );
  if ('replacedBy' in applied) {
    throw conflict(
      'subscription.replaced',
      `${applied.replacedBy} was paid for in another tab meanwhile; this change was not made and nothing was charged`,
    );
  }
  if ('owed' in applied) {
    await refundConflictingPayments(ctx, deps.gateways, { only: [ctx.tenant.orgId] });
    const owed = await findConflictingPayment(ctx, applied.owed.payment_id);
    throw conflict('subscription.replaced', conflictMessage(owed ?? applied.owed));
  }
  return applied;
}

/** A downgrade waiting for the end of the period is withdrawn: the subscription renews on its plan. */
export async function withdrawScheduledChange(cctx: CustomerCtx, subscriptionId: string) {
  return withTransaction(cctx, async (tx) => {
    const sub = await subscriptions.getSubscription(tx, subscriptionId, 'wait');
    if (!subscriptions.scheduledChangeOf(sub)) {
      throw conflict('subscription.no_scheduled_change', 'No plan change is scheduled for this subscription');
    }
    return subscriptions.schedulePlan(tx, sub, null, 'The scheduled change was withdrawn');
  });
}

/** Drafts of changes left behind by a crash, older than a few minutes: the billing run finishes them. */
export function isAbandoned(draft: InvoiceRow, now: Temporal.Instant): boolean {
  return Temporal.Instant.compare(fromDate(draft.created_at).add({ minutes: 10 }), now) < 0;
}
