import { Temporal } from 'temporal-polyfill';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { BillingCustomerRow, ConflictingPaymentRow, InvoiceRow, SubscriptionRow } from '../db/schema.js';
import { conflict, invalid, paymentFailed } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type BillingPeriod, fromDate } from '../time/index.js';
import type { BillingRunDeps } from './billing-run.js';
import { closeOtherPlanCheckouts } from './checkout.js';
import { applyPayment, issueInvoice } from './invoice-ledger.js';
import {
  conflictMessage,
  findConflictingPayment,
  owePaymentBack,
  paidPlanInForce,
  refundConflictingPayments,
} from './plan-conflicts.js';
import { customerContext, ledgerAccount, type PricedPlan, pricedPlan } from './subscription-billing.js';

/**
 * Modify plan (C17). An upgrade applies now: a credit for the unused days of the current plan and a
 * charge for the same days on the new one, paid with the saved card before the plan changes. A
 * downgrade waits for the end of the period, or, when asked, applies now the same way: its invoice
 * totals zero or less, is paid with nothing charged, and its credit stays in the ledger (R20). The summary shown before paying and the invoice issued
 * after come from the same computation (computePlanChange), so they agree to the cent.
 *
 * An upgrade claims the subscription with a draft invoice (one per subscription at a time), charges
 * the card outside any transaction with the draft's id as the key, then issues the invoice and
 * changes the plan in one transaction. A crash in between leaves the draft, which the billing run
 * finishes with the same key: the card is charged once either way.
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
  period: { start: Temporal.Instant; end: Temporal.Instant };
  /** When the next regular invoice is issued, and what it will be (the new plan's fee with tax). */
  nextPayment: { at: Temporal.Instant; totals: billing.InvoiceTotals };
}

/**
 * What changing `from` → `to` at `at` costs, rated by the billing core: an upgrade applies now
 * (prorated); a downgrade at the end of the period (nothing owed now) unless `timing` is 'now', when
 * it is prorated like an upgrade and its total is a credit.
 */
export function computePlanChange(input: {
  from: PricedPlan;
  to: PricedPlan;
  period: BillingPeriod;
  nextPeriod: BillingPeriod;
  at: Temporal.Instant;
  tax: billing.TaxRule;
  timing?: ChangeTiming | undefined;
  /**
   * A move to another interval: the new plan's period containing `at` (its first, billed from `at`)
   * and the one after it. Absent when the interval stays.
   */
  newPeriods?: { first: BillingPeriod; next: BillingPeriod } | undefined;
}): PlanChange {
  if (input.newPeriods) return computeIntervalChange({ ...input, newPeriods: input.newPeriods });
  const direction = input.to.price.basePrice > input.from.price.basePrice ? 'upgrade' : 'downgrade';
  const effective: ChangeTiming = direction === 'upgrade' ? 'now' : (input.timing ?? 'period_end');
  const { lines, totals } = billing.rate({
    plan: input.from.price,
    period: input.period,
    event: {
      kind: 'plan_change',
      to: input.to.price,
      at: input.at,
      timing: effective,
    },
    tax: input.tax,
    creditBalance: 0n,
  });
  // The renewal the billing run will make when the period ends, on the new plan.
  const next = billing.rateRenewal({ plan: input.to.price, period: input.nextPeriod, tax: input.tax });
  return {
    direction,
    effective,
    from: input.from,
    to: input.to,
    lines,
    tax: input.tax,
    totals,
    period: { start: input.at, end: input.period.endInstant },
    nextPayment: { at: input.period.endInstant, totals: next.totals },
  };
}

/**
 * A move to another interval (R21) starts a new period at once: the unused days of the old period
 * are credited (the credit of a change now), and the new plan's first period is charged from `at` as
 * a start would be. The net is charged now when positive, credited when not.
 */
function computeIntervalChange(input: {
  from: PricedPlan;
  to: PricedPlan;
  period: BillingPeriod;
  at: Temporal.Instant;
  tax: billing.TaxRule;
  newPeriods: { first: BillingPeriod; next: BillingPeriod };
}): PlanChange {
  const change = billing.rate({
    plan: input.from.price,
    period: input.period,
    event: { kind: 'plan_change', to: input.to.price, at: input.at, timing: 'now' },
    tax: billing.NO_TAX,
    creditBalance: 0n,
  });
  const credit = change.lines.filter((line) => line.kind === 'proration_credit');
  const start = billing.rate({
    plan: input.to.price,
    period: input.newPeriods.first,
    event: { kind: 'start', at: input.at, trial: false },
    tax: billing.NO_TAX,
    creditBalance: 0n,
  });
  const lines = [...credit, ...start.lines];
  const totals = billing.invoiceTotals(
    lines.map((line) => line.amount),
    input.tax,
  );
  const next = billing.rateRenewal({ plan: input.to.price, period: input.newPeriods.next, tax: input.tax });
  return {
    direction: totals.total > 0n ? 'upgrade' : 'downgrade',
    effective: 'now',
    from: input.from,
    to: input.to,
    lines,
    tax: input.tax,
    totals,
    period: { start: input.at, end: input.newPeriods.first.endInstant },
    nextPayment: { at: input.newPeriods.first.endInstant, totals: next.totals },
  };
}

interface ChangeSetup {
  customer: BillingCustomerRow;
  ctx: Ctx;
  sub: SubscriptionRow;
  change: PlanChange;
}

async function setUp(
  ctx: Ctx,
  orgId: string,
  subscriptionId: string,
  planId: string,
  timing: ChangeTiming | undefined,
): Promise<ChangeSetup> {
  const customer = await customers.getCustomer(ctx, orgId);
  const cctx = await customerContext(ctx, customer);
  const sub = await subscriptions.getSubscription(cctx, orgId, subscriptionId);
  if (!['active', 'trialing'].includes(sub.status)) {
    throw conflict(
      'subscription.not_changeable',
      `A ${sub.status} subscription cannot change plan; pay what is due first`,
    );
  }
  if (sub.plan_id === planId)
    throw conflict('subscription.same_plan', 'This subscription is on that plan already');
  // Only plans this organization is offered exist for it.
  await catalog.getOffer(cctx, { orgId, currency: undefined, currentPlanId: undefined }, planId);
  const from = await pricedPlan(cctx, {
    issuerId: sub.plan_issuer_id,
    planId: sub.plan_id,
    versionId: sub.plan_version_id,
  });
  const to = await pricedPlan(cctx, { issuerId: sub.plan_issuer_id, planId });
  if (to.entry.plan.disabled_at !== null)
    throw invalid('plan.disabled', 'This plan is not available', 'plan_id');
  const newInterval = to.entry.plan.billing_interval;
  const intervalChanges = newInterval !== from.entry.plan.billing_interval;
  if (
    intervalChanges &&
    (sub.billing_mode !== 'calendar' || !subscriptions.isBillingDay(newInterval, sub.anchor_day))
  ) {
    // Anniversary periods count from the start; starting them again at the change is not built yet.
    throw invalid(
      'subscription.interval_change',
      'Moving to a plan billed at another interval is supported for calendar billing on a billing day that interval has',
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
  const rule = subscriptions.periodRuleOf(sub, from.entry.plan.billing_interval);
  const period = subscriptions.periodContaining(rule, now);
  const newRule = subscriptions.periodRuleOf(sub, newInterval);
  const newFirst = subscriptions.periodContaining(newRule, now);
  const change = computePlanChange({
    newPeriods: intervalChanges
      ? { first: newFirst, next: subscriptions.periodContaining(newRule, newFirst.endInstant) }
      : undefined,
    from,
    to,
    period,
    nextPeriod: subscriptions.periodContaining(rule, period.endInstant),
    at: now,
    tax: await invoicing.taxRuleFor(cctx, sub.plan_issuer_id, customer),
    timing,
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
  return { customer, ctx: cctx, sub, change };
}

export async function previewPlanChange(
  ctx: Ctx,
  orgId: string,
  subscriptionId: string,
  planId: string,
  timing?: ChangeTiming,
) {
  const { change } = await setUp(ctx, orgId, subscriptionId, planId, timing);
  return presentPlanChange(subscriptionId, change);
}

export function presentPlanChange(subscriptionId: string, change: PlanChange) {
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
    next_payment_at: change.nextPayment.at.toString(),
    next_payment_amount: amountJson(change.nextPayment.totals.total),
  };
}

/**
 * Carries a change out: a downgrade at the period's end is scheduled; an upgrade, or a downgrade
 * now, is invoiced (and paid when something is due) and applied now.
 */
export async function changePlan(
  ctx: Ctx,
  deps: BillingRunDeps,
  orgId: string,
  subscriptionId: string,
  planId: string,
  timing?: ChangeTiming,
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  const { customer, ctx: cctx, sub, change } = await setUp(ctx, orgId, subscriptionId, planId, timing);

  if (change.effective === 'period_end') {
    return withTransaction(cctx, async (tx) => {
      const locked = await subscriptions.getSubscription(tx, orgId, sub.id, 'nowait');
      if (locked.plan_version_id !== sub.plan_version_id) throw changedMeanwhile();
      const subscription = await subscriptions.schedulePlan(
        tx,
        locked,
        change.to.ref,
        `Downgrade to ${change.to.price.planName} at the end of the period`,
      );
      return { subscription, invoice: null };
    });
  }

  const method = (await customers.listPaymentMethods(cctx, orgId)).find((m) => m.is_default);
  if (change.totals.total > 0n && (!method || !deps.gateways.has(method.gateway))) {
    throw invalid(
      'subscription.payment_method_required',
      'Add a card (Update payment details) before upgrading: the difference is charged now',
    );
  }

  // Claim: the draft is the one change in progress for this subscription.
  const draft = await withTransaction(cctx, async (tx) => {
    const locked = await subscriptions.getSubscription(tx, orgId, sub.id, 'nowait');
    if (locked.plan_version_id !== sub.plan_version_id) throw changedMeanwhile();
    const pending = await invoicing.listInvoices(tx, orgId, { subscriptionId: sub.id, status: 'draft' });
    if (pending.some((invoice) => invoice.billing_reason === 'subscription_update')) throw changedMeanwhile();
    return invoicing.createDraft(tx, {
      orgId,
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
  });
  const changed = await completePlanChange(cctx, deps, draft);
  // A paid plan is in force now: checkouts for a plan left open in other tabs can no longer be paid.
  await closeOtherPlanCheckouts(cctx, orgId, deps.gateways);
  return changed;
}

function changedMeanwhile() {
  return conflict(
    'subscription.changed',
    'This subscription changed while you were looking at it; review the new summary and try again',
  );
}

/**
 * Pays a claimed change and applies it, or withdraws it when the card is declined. Safe to repeat:
 * the charge's key is the draft's id, and a finished draft is finished.
 */
export async function completePlanChange(
  ctx: Ctx,
  deps: BillingRunDeps,
  draft: InvoiceRow,
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  const orgId = draft.org_id;
  const customer = await customers.getCustomer(ctx, orgId);
  let payment: Awaited<ReturnType<typeof payments.chargeSavedMethod>> | undefined;
  if (draft.total > 0n) {
    const method = (await customers.listPaymentMethods(ctx, orgId)).find((m) => m.is_default);
    if (!method || !deps.gateways.has(method.gateway)) {
      await withTransaction(ctx, (tx) => invoicing.discardDraft(tx, orgId, draft.id));
      throw invalid('subscription.payment_method_required', 'Add a card before upgrading');
    }
    const gateway = deps.gateways.get(method.gateway);
    payment = await payments.chargeSavedMethod(ctx, gateway, {
      orgId,
      customerId: customer.id,
      gatewayCustomerRef: await payments.gatewayCustomerRef(ctx, gateway, customer),
      paymentMethodRef: method.gateway_ref,
      amount: draft.total,
      currency: draft.currency,
      description: 'Plan upgrade',
      idempotencyKey: `invoice:${draft.id}`,
      invoiceId: draft.id,
    });
  }
  const paid = payment;
  if (paid && paid.status !== 'succeeded') {
    // Withdrawn in its own transaction: the error that follows must not roll the withdrawal back.
    await withTransaction(ctx, async (tx) => {
      const current = await invoicing.findInvoice(tx, orgId, draft.id);
      if (current?.status === 'draft') await invoicing.discardDraft(tx, orgId, draft.id);
    });
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
    ): Promise<{ owed: ConflictingPaymentRow } | { subscription: SubscriptionRow; invoice: InvoiceRow }> => {
      const current = await invoicing.findInvoice(tx, orgId, draft.id);
      if (current?.status !== 'draft' || !current.subscription_id) {
        throw conflict('subscription.changed', 'This change was finished already');
      }
      // Which plan the organization pays for is decided by one transaction at a time.
      await customers.lockCustomer(tx, orgId);
      const sub = await subscriptions.getSubscription(tx, orgId, current.subscription_id, 'wait');
      const inForce = ['active', 'trialing'].includes(sub.status)
        ? undefined
        : await paidPlanInForce(tx, orgId);
      if (paid && inForce) {
        // A checkout in another tab replaced this subscription while its card was charged: the
        // change has nothing left to change, and its payment goes back.
        const owed = await owePaymentBack(tx, {
          payment: paid,
          source: 'plan_change',
          sourceId: draft.id,
          inForce,
        });
        // The draft goes; the payment no longer pays an invoice.
        await tx.db
          .updateTable('payments')
          .set({ invoice_id: null })
          .where('org_id', '=', orgId)
          .where('id', '=', paid.id)
          .execute();
        await invoicing.discardDraft(tx, orgId, draft.id);
        return { owed };
      }
      // The new plan's line: the charge for the rest of the period, or the first period of a new interval.
      const charge = (await invoicing.invoiceLines(tx, orgId, draft.id)).find(
        (l) => l.kind === 'proration_charge' || l.kind === 'license',
      );
      const target = charge?.plan_version_id
        ? await catalog.findPlanVersion(tx, sub.plan_issuer_id, charge.plan_version_id)
        : undefined;
      if (!target) throw conflict('subscription.changed', 'The plan of this change no longer exists');
      const account = ledgerAccount(sub, customer);
      let invoice = await issueInvoice(tx, orgId, draft.id, account);
      if (paid) invoice = await applyPayment(tx, { orgId, invoiceId: invoice.id }, paid, account);
      const subscription = await subscriptions.changePlanVersion(
        tx,
        sub,
        { issuerId: sub.plan_issuer_id, planId: target.plan_id, versionId: target.id },
        `${invoice.total > 0n ? 'Upgraded' : 'Downgraded'} now (${invoice.number})`,
        // A change of interval starts the new plan's period now: its invoice covers that period.
        charge?.kind === 'license'
          ? { start: fromDate(current.period_start), end: fromDate(current.period_end) }
          : undefined,
      );
      return { subscription, invoice };
    },
  );
  if ('owed' in applied) {
    await refundConflictingPayments(ctx, deps.gateways, { only: [orgId] });
    const owed = await findConflictingPayment(ctx, orgId, applied.owed.payment_id);
    throw conflict('subscription.replaced', conflictMessage(owed ?? applied.owed));
  }
  return applied;
}

/** Drafts of changes left behind by a crash, older than a few minutes: the billing run finishes them. */
export function isAbandoned(draft: InvoiceRow, now: Temporal.Instant): boolean {
  return Temporal.Instant.compare(fromDate(draft.created_at).add({ minutes: 10 }), now) < 0;
}
