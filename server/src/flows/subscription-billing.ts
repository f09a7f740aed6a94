import type { Temporal } from 'temporal-polyfill';
import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import * as customers from '../customers/index.js';
import type { BillingCustomerRow, InvoiceRow, PaymentRow, RefundRow, SubscriptionRow } from '../db/schema.js';
import { invalid } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as ledgerModule from '../ledger/index.js';
import * as metering from '../metering/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type CustomerCtx, customerContext, type TenantCtx } from '../tenant.js';
import { fromDate, toDate } from '../time/index.js';
import { applyPayment, applyReservedCredit, issueInvoice } from './invoice-ledger.js';
import { lateUsageAdjustments } from './usage-billing.js';

/**
 * What starting, renewing and changing a subscription bills: the pieces the checkout, the billing run
 * and plan changes share. Written as setup → compute → execute: loaders here build a snapshot (the
 * plan's terms, the period, the tax rule), the rating core in billing/ turns it into lines and
 * totals, then one transaction issues the invoice.
 */

/**
 * The tenant's billing customer in its own time (its test clock's, in test mode): what every step
 * that bills with time takes.
 */
export async function billingCustomerContext(ctx: TenantCtx): Promise<CustomerCtx> {
  return customerContext(ctx, await customers.getCustomer(ctx));
}

export function ledgerAccount(
  sub: SubscriptionRow,
  customer: BillingCustomerRow,
): ledgerModule.LedgerAccount {
  return { orgId: sub.org_id, subscriptionId: sub.id, timeZone: sub.time_zone, currency: customer.currency };
}

export interface PricedPlan {
  entry: catalog.PlanWithVersion;
  /** The plan version's terms, as the rating core reads them. */
  price: billing.PlanTerms;
  ref: subscriptions.PlanVersionRef;
}

/**
 * A plan of the tenant's issuer with its terms. `issuerId`, when the caller read it from a row (a
 * subscription's plan), must be that issuer.
 */
export async function pricedPlan(
  ctx: TenantCtx,
  ref: { issuerId?: string; planId: string; versionId?: string },
): Promise<PricedPlan> {
  if (ref.issuerId !== undefined && ref.issuerId !== ctx.tenant.issuerId) {
    throw new Error(`plan ${ref.planId} belongs to ${ref.issuerId}, not to this tenant's issuer`);
  }
  const entry = await catalog.getPlan(ctx, ref.planId, {
    ...(ref.versionId ? { versionId: ref.versionId } : {}),
  });
  return {
    entry,
    price: billing.planTerms(entry.plan, entry.version, await metricNamesOf(ctx, entry.version)),
    ref: { issuerId: entry.plan.org_id, planId: entry.plan.id, versionId: entry.version.id },
  };
}

/** The names of the metrics a plan version charges for (its usage lines say them): none read without charges. */
async function metricNamesOf(ctx: TenantCtx, version: { charges: unknown }): Promise<Map<string, string>> {
  const codes = (version.charges as { metric: string }[]).map((charge) => charge.metric);
  if (codes.length === 0) return new Map();
  const metrics = await metering.metricsByCode(ctx, codes);
  return new Map([...metrics.values()].map((metric) => [metric.code, metric.name]));
}

export interface FirstInvoiceQuote {
  period: { start: Temporal.Instant; end: Temporal.Instant };
  /** The subscription's billing day, as chosen or by default at the time of the quote. */
  billingDay: number;
  lines: billing.ChargeLine[];
  tax: billing.TaxRule;
  totals: billing.InvoiceTotals;
  /** The part of the total the customer's credit balance pays (R27), and what is left for the card. */
  creditApplied: bigint;
  amountDue: bigint;
  trialing: boolean;
  /** What follows the first invoice, for the sentence a checkout shows ("then $49.00 a month from Dec 1"). */
  recurring: RecurringCharge;
}

/**
 * What each whole period bills at least, with tax, from the first period's end (or the trial's): the
 * plan's fee, or its minimum commitment when that is more; usage charges, when the plan has any, come
 * on top and are billed as used.
 */
export interface RecurringCharge {
  from: Temporal.Instant;
  totals: billing.InvoiceTotals;
  usageCharges: boolean;
}

/** What subscribing to `plan` at `at` costs now: the rest of the first period, prorated by days. */
export async function quoteFirstInvoice(
  ctx: CustomerCtx,
  plan: PricedPlan,
  at: Temporal.Instant,
  billingMode: subscriptions.BillingAlignment = 'calendar',
  billingDay: number | null = null,
  creditBalance = 0n,
): Promise<FirstInvoiceQuote> {
  const { customer } = ctx;
  const interval = plan.entry.plan.billing_interval;
  if (billingDay !== null && !subscriptions.isBillingDay(interval, billingDay)) {
    throw invalid(
      'checkout.billing_day_out_of_range',
      interval === 'week'
        ? 'A weekly plan bills on a weekday: give billing_day from 1 (Monday) to 7 (Sunday)'
        : 'Give billing_day from 1 to 31 (a day past the end of a month bills on its last day)',
      'billing_day',
    );
  }
  const rule = subscriptions.ruleAtStart({
    interval,
    billingMode,
    billingDay,
    timeZone: customer.time_zone,
    at,
  });
  const period = subscriptions.periodContaining(rule, at);
  const tax = await invoicing.taxRuleFor(ctx, customer);
  const trialing = plan.entry.version.trial_days > 0;
  const { lines, totals, creditApplied, amountDue } = billing.rate({
    plan: plan.price,
    period,
    event: { kind: 'start', at, trial: trialing },
    tax,
    creditBalance,
  });
  const trialEnd = trialing
    ? subscriptions.trialEndOf(rule.startedOn, plan.entry.version.trial_days, customer.time_zone)
    : null;
  return {
    period: { start: at, end: period.endInstant },
    billingDay: rule.anchorDay,
    lines,
    tax,
    totals,
    creditApplied,
    amountDue,
    trialing,
    recurring: {
      from: trialEnd ?? period.endInstant,
      // A minimum commitment above the fee is what each period bills at least.
      totals: billing.invoiceTotals(
        [
          plan.price.basePrice > plan.price.minimumCommitment
            ? plan.price.basePrice
            : plan.price.minimumCommitment,
        ],
        tax,
      ),
      usageCharges: plan.price.charges.length > 0,
    },
  };
}

/**
 * The organization pays for `plan` from now on: what it subscribed to before is cancelled, the new
 * subscription starts, and its first invoice (quoted at `quotedAt`, when the person saw the price)
 * is issued, paid by what the checkout took (`credit` from the balance, `payment` at the gateway)
 * when it took anything, else charged to the saved card (after the balance) by the billing run.
 */
export async function subscribeToPlan(
  ctx: CustomerCtx,
  input: {
    plan: PricedPlan;
    quotedAt: Temporal.Instant;
    reason: string;
    payment?: PaymentRow;
    /** Taken from the credit balance by the checkout for this invoice (R27). */
    credit?: bigint;
    billingMode?: subscriptions.BillingAlignment;
    billingDay?: number | null;
    /** One more subscription beside the current ones (another license), rather than a replacement. */
    additional?: boolean;
  },
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  const { plan } = input;
  const { customer } = ctx;
  const billingMode = input.billingMode ?? 'calendar';
  if (!input.additional) {
    for (const live of await subscriptions.liveSubscriptions(ctx)) {
      const locked = await subscriptions.getSubscription(ctx, live.id, 'wait');
      await subscriptions.transition(ctx, locked, 'cancelled', `Replaced by ${plan.entry.plan.name}`);
    }
  }
  const quote = await quoteFirstInvoice(ctx, plan, input.quotedAt, billingMode, input.billingDay ?? null);
  let subscription = await subscriptions.startSubscription(ctx, {
    customerId: customer.id,
    timeZone: customer.time_zone,
    plan: plan.ref,
    interval: plan.entry.plan.billing_interval,
    status: quote.trialing ? 'trialing' : 'active',
    trialDays: plan.entry.version.trial_days,
    billingMode,
    // The day of the quote, not of the payment: a payment that comes the next day keeps the quoted period.
    billingDay: quote.billingDay,
    quotedAt: input.quotedAt,
    reason: input.reason,
  });
  if (!quote.trialing) {
    // The first period is the one the quote was made in, even when the payment came a little later.
    subscription = await subscriptions.advancePeriod(ctx, subscription, {
      start: fromDate(subscription.started_at),
      end: quote.period.end,
    });
  }
  if (quote.lines.length === 0) return { subscription, invoice: null };
  const draft = await invoicing.createDraft(ctx, {
    orgId: customer.org_id,
    issuerId: plan.ref.issuerId,
    customer,
    subscriptionId: subscription.id,
    reason: 'subscription_create',
    currency: plan.price.currency,
    periodStart: quote.period.start,
    periodEnd: quote.period.end,
    lines: quote.lines,
    tax: quote.tax,
    // Paid now by what the checkout took, or charged to the saved card by the billing run.
    autoCharge: input.payment === undefined && !input.credit,
  });
  const account = ledgerAccount(subscription, customer);
  let invoice = await issueInvoice(ctx, draft.id, account);
  if (input.credit) invoice = await applyReservedCredit(ctx, invoice.id, input.credit, account);
  if (input.payment) invoice = await applyPayment(ctx, invoice.id, input.payment, account);
  return { subscription, invoice };
}

/**
 * Money paid for no invoice (a payment link for an amount): credit in the ledger of the subscription
 * the organization pays for now.
 */
export async function recordAccountPayment(
  ctx: CustomerCtx,
  payment: PaymentRow,
  description: string,
): Promise<void> {
  const [current] = await subscriptions.liveSubscriptions(ctx);
  if (!current || payment.status !== 'succeeded') return;
  await ledgerModule.post(ctx, ledgerAccount(current, ctx.customer), [
    {
      kind: 'payment',
      amount: payment.amount,
      description,
      effectiveAt: ctx.clock.now(),
      sourceKey: `payment:${payment.id}`,
      paymentId: payment.id,
    },
  ]);
}

/**
 * A refund in the ledger of the subscription the payment was for: the money going back (a refund
 * entry) and the credit that makes up for the charge it paid (a credit entry), so the balance is
 * unchanged and the statement shows both (C15, C26).
 */
export async function recordRefund(ctx: TenantCtx, refund: RefundRow, payment: PaymentRow): Promise<void> {
  if (refund.status === 'failed') return;
  const [paid] = await ledgerModule.listEntries(ctx, { paymentId: payment.id });
  const sub = paid
    ? await subscriptions.getSubscription(ctx, paid.subscription_id)
    : (await subscriptions.liveSubscriptions(ctx))[0];
  if (!sub) return;
  const cctx = await billingCustomerContext(ctx);
  const now = cctx.clock.now();
  await ledgerModule.post(cctx, ledgerAccount(sub, cctx.customer), [
    {
      kind: 'credit',
      amount: refund.amount,
      description: `Credit: ${refund.reason}`,
      effectiveAt: now,
      sourceKey: `refund:${refund.id}:credit`,
      paymentId: payment.id,
      refundId: refund.id,
      ...(paid?.invoice_id ? { invoiceId: paid.invoice_id } : {}),
    },
    {
      kind: 'refund',
      amount: -refund.amount,
      description: `Refund to the card: ${refund.reason}`,
      effectiveAt: now,
      sourceKey: `refund:${refund.id}`,
      paymentId: payment.id,
      refundId: refund.id,
    },
  ]);
}

/**
 * The period `ended` has just finished (or is about to), as the rating core bills it at the renewal:
 * its fee in arrears, its usage and its minimum commitment. Undefined when nothing of it is billed
 * at its end: a trial, or a plan whose fee was paid in advance and has no minimum (usage totals are
 * not fed until metering exists; it will pass them here).
 */
export async function closingPeriodOf(
  ctx: TenantCtx,
  ended: SubscriptionRow,
  load: (ref: { issuerId: string; planId: string; versionId: string }) => Promise<PricedPlan> = (ref) =>
    pricedPlan(ctx, ref),
): Promise<billing.ClosingPeriod | undefined> {
  if (ended.status === 'trialing') return undefined;
  const plan = await load({
    issuerId: ended.plan_issuer_id,
    planId: ended.plan_id,
    versionId: ended.plan_version_id,
  });
  const closing = closingPeriodFor(ended, plan.entry.plan, plan.price);
  if (!closing) return undefined;
  const usage = await usageOfCharges(ctx, closing.plan.charges, {
    from: toDate(closing.from),
    to: toDate(closing.period.endInstant),
  });
  return { ...closing, usage };
}

/**
 * The usage totals a plan's charges billed in arrears price over `span`: each charge's metric split
 * by the charge's dimensions (its rate card's), from metering's rollups (a percentage's with each
 * event's value; a recurring metric's with the level it held).
 */
export async function usageOfCharges(
  ctx: TenantCtx,
  charges: readonly billing.PlanCharge[],
  span: metering.Span,
): Promise<billing.UsageTotal[]> {
  return chargeTotals(
    ctx,
    charges.filter((charge) => !charge.payInAdvance),
    span,
  );
}

/** The usage totals of `charges` over `span`, whenever they are billed (flows/usage-billing.ts). */
export async function chargeTotals(
  ctx: TenantCtx,
  charges: readonly billing.PlanCharge[],
  span: metering.Span,
): Promise<billing.UsageTotal[]> {
  if (charges.length === 0) return [];
  const metrics = await metering.metricsByCode(
    ctx,
    charges.map((charge) => charge.metric),
  );
  return metering.periodTotals(
    ctx,
    ctx.tenant.orgId,
    charges.flatMap((charge) => {
      const metric = metrics.get(charge.metric);
      // A percentage bounds each transaction's fee: its charge is priced from the events' values.
      const events = charge.price.model === 'percentage';
      return metric ? [{ metric, groupBy: charge.dimensions, events }] : [];
    }),
    span,
  );
}

/** closingPeriodOf with the subscription's plan (and the period's usage, when read) at hand: pure. */
function closingPeriodFor(
  ended: SubscriptionRow,
  plan: Pick<catalog.PlanWithVersion['plan'], 'billing_interval'>,
  terms: billing.PlanTerms,
  usage: readonly billing.UsageTotal[] = [],
): billing.ClosingPeriod | undefined {
  if (ended.status === 'trialing') return undefined;
  const billedAtEnd =
    terms.feeTiming === 'arrears' ||
    terms.minimumCommitment > 0n ||
    terms.charges.some((charge) => !charge.payInAdvance);
  if (!billedAtEnd) return undefined;
  const from = fromDate(ended.current_period_start);
  const period = subscriptions.periodContaining(
    subscriptions.periodRuleOf(ended, plan.billing_interval),
    from,
  );
  return { period, from, plan: terms, usage };
}

/** What rating needs of a plan and its version. */
interface RatedPlan {
  plan: Pick<catalog.PlanWithVersion['plan'], 'id' | 'name' | 'currency' | 'billing_interval'>;
  version: Parameters<typeof billing.planTerms>[1];
}

export interface UpcomingInvoice {
  at: Temporal.Instant;
  total: bigint;
  currency: string;
  lines: readonly billing.ChargeLine[];
  subtotal: bigint;
  tax: bigint;
}

/**
 * The next regular invoice, as the billing run will issue it at the end of the period: what the
 * period owes at its end, and the plan's fee in advance (a scheduled downgrade's, when there is one),
 * with tax. When the subscription ends then, only what the period owes at its end; null if nothing.
 * Pure: the subscription's plan, the plan it renews on (the same unless a downgrade waits) and the
 * customer's tax rule are loaded by the caller, one at a time or for a whole page.
 */
export function upcomingRenewal(
  sub: SubscriptionRow,
  current: RatedPlan,
  renewsOn: RatedPlan,
  tax: billing.TaxRule,
  /** The current period's usage so far, priced by its charges in arrears, and its metrics' names. */
  usage: readonly billing.UsageTotal[] = [],
  metricNames: ReadonlyMap<string, string> = new Map(),
  /** Adjustments for usage counted after an earlier period's invoice (flows/usage-billing.ts). */
  adjustments: readonly billing.ChargeLine[] = [],
): UpcomingInvoice | null {
  if (!subscriptions.RENEWABLE.includes(sub.status)) return null;
  const terms = billing.planTerms(renewsOn.plan, renewsOn.version, metricNames);
  const at = fromDate(sub.current_period_end);
  const period = subscriptions.periodContaining(
    subscriptions.periodRuleOf(sub, renewsOn.plan.billing_interval),
    at,
  );
  // The same rating the billing run makes when the period ends.
  const closing = closingPeriodFor(
    sub,
    current.plan,
    billing.planTerms(current.plan, current.version, metricNames),
    usage,
  );
  const renewal = billing.rateRenewal({
    plan: terms,
    period,
    tax,
    closing,
    final: sub.cancel_at_period_end,
    from: at,
  });
  const lines = [...renewal.lines, ...adjustments];
  const totals =
    adjustments.length === 0
      ? renewal.totals
      : billing.invoiceTotals(
          lines.map((line) => line.amount),
          tax,
        );
  if (lines.length === 0 && sub.cancel_at_period_end) return null;
  return {
    at,
    total: totals.total,
    currency: terms.currency,
    lines,
    subtotal: totals.subtotal,
    tax: totals.tax,
  };
}

/** upcomingRenewal for one subscription of the customer, loading what it needs. */
export async function upcomingInvoice(
  ctx: CustomerCtx,
  sub: SubscriptionRow,
): Promise<UpcomingInvoice | null> {
  if (!subscriptions.RENEWABLE.includes(sub.status)) return null;
  const current = await pricedPlan(ctx, {
    issuerId: sub.plan_issuer_id,
    planId: sub.plan_id,
    versionId: sub.plan_version_id,
  });
  const scheduled = subscriptions.scheduledChangeOf(sub);
  const renewsOn = scheduled ? await pricedPlan(ctx, scheduled.plan) : current;
  const tax = await invoicing.taxRuleFor(ctx, ctx.customer);
  const usage = await usageOfCharges(ctx, current.price.charges, {
    from: sub.current_period_start,
    to: sub.current_period_end,
  });
  const names = new Map(current.price.charges.map((charge) => [charge.metric, charge.metricName]));
  const late = await lateUsageAdjustments(ctx, sub, (ref) => pricedPlan(ctx, ref));
  return upcomingRenewal(sub, current.entry, renewsOn.entry, tax, usage, names, late?.lines);
}
