import { Temporal } from 'temporal-polyfill';
import * as billing from '../billing/index.js';
import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { BillingCustomerRow, SubscriptionRow } from '../db/schema.js';
import type { BillingScope } from '../db/scope.js';
import * as invoicing from '../invoicing/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type CustomerCtx, customerContextWith, type TenantCtx } from '../tenant.js';
import { type BillingInterval, type BillingPeriod, fromDate, toDate } from '../time/index.js';
import { type BatchInvoice, issueInvoice, issueInvoices } from './invoice-ledger.js';
import { closingPeriodOf, ledgerAccount, type PricedPlan, pricedPlan } from './subscription-billing.js';
import { lateUsageAdjustments, recordClosingUsage, withLateUsage } from './usage-billing.js';

/**
 * Renewals (C18): a subscription whose period ended moves to the next period and is invoiced for it.
 * The billing run takes due subscriptions in batches: their rows are loaded and locked in a few
 * queries, each renewal is computed in memory, and the batch's invoices, lines, numbers, ledger
 * entries, statements and events are written with multi-row statements in one transaction. What a
 * batch cannot do in bulk (a cancellation, a scheduled downgrade, a trial's end, charges for a month
 * already closed) it does one at a time inside the same transaction, as `renewSubscription` does.
 *
 * A batch that fails is split in halves and each half retried alone, down to one subscription, so
 * the good ones are renewed and the bad one is set aside for the rest of the run and reported.
 */

/** Subscriptions taken per batch: one transaction, a few statements, bounded memory. */
export const RENEWAL_BATCH_SIZE = 500;

/**
 * What one run reads again and again: plan versions (immutable) and tax rules, by key. A run is
 * minutes long at most, so a rate changed meanwhile applies from the next run.
 */
export class RunMemo {
  readonly #values = new Map<string, Promise<unknown>>();

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.#values.get(key) as Promise<T> | undefined;
    if (!value) {
      value = load();
      this.#values.set(key, value);
      // A failed read is not remembered.
      value.catch(() => this.#values.delete(key));
    }
    return value;
  }
}

/**
 * A renewal's invoice lines, rated by the billing core: what the period that ended owes at its end
 * (`closing`: a fee in arrears, a minimum commitment) and the new period's fee in advance, from the
 * moment its billing begins (a trial that ended mid-period prorates it).
 */
function renewalLines(
  plan: PricedPlan,
  period: BillingPeriod,
  periodStart: Temporal.Instant,
  tax: billing.TaxRule,
  closing: billing.ClosingPeriod | undefined,
): billing.ChargeLine[] {
  return billing.rateRenewal({ plan: plan.price, period, tax, closing, from: periodStart }).lines;
}

/**
 * The period a renewal's invoice bills: the one that begins, for a fee in advance; the one that
 * ended, for a fee in arrears (its invoice bills nothing of the new period), so the invoice and its
 * lines name the same days. Either way it is the renewal at the period's end (`cycleAt`).
 */
function billedPeriod(
  plan: PricedPlan,
  renewedAt: Temporal.Instant,
  period: BillingPeriod,
  closing: billing.ClosingPeriod | undefined,
): { periodStart: Temporal.Instant; periodEnd: Temporal.Instant; cycleAt: Temporal.Instant } {
  if (plan.price.feeTiming === 'arrears' && closing) {
    return { periodStart: closing.from, periodEnd: closing.period.endInstant, cycleAt: renewedAt };
  }
  return { periodStart: renewedAt, periodEnd: period.endInstant, cycleAt: renewedAt };
}

type PlanRef = { issuerId: string; planId: string; versionId: string };

const subscriptionPlan = (sub: SubscriptionRow): PlanRef => ({
  issuerId: sub.plan_issuer_id,
  planId: sub.plan_id,
  versionId: sub.plan_version_id,
});

const planOf = (ctx: TenantCtx, memo: RunMemo, ref: PlanRef) =>
  memo.get(`plan:${ref.issuerId}:${ref.versionId}`, () => pricedPlan(ctx, ref));

const taxOf = (ctx: TenantCtx, memo: RunMemo, customer: BillingCustomerRow) =>
  memo.get(`tax:${ctx.tenant.issuerId}:${customer.country}:${customer.state}`, () =>
    invoicing.taxRuleFor(ctx, customer),
  );

/** A renewal's invoice, charged to the saved card: the one shape every renewal path issues. */
function cycleInvoice(
  sub: SubscriptionRow,
  customer: BillingCustomerRow,
  issuerId: string,
  currency: string,
  billed: { periodStart: Temporal.Instant; periodEnd: Temporal.Instant; cycleAt?: Temporal.Instant },
  lines: billing.ChargeLine[],
  tax: billing.TaxRule,
): invoicing.DraftInvoice {
  return {
    orgId: sub.org_id,
    issuerId,
    customer,
    subscriptionId: sub.id,
    reason: 'subscription_cycle',
    currency,
    ...billed,
    lines,
    tax,
    autoCharge: true,
  };
}

/**
 * Renews one subscription locked by the caller's transaction, one statement at a time: cancel if
 * asked, apply a scheduled downgrade, end a trial, move to the next period and issue its invoice
 * (usage of the period that ended is added by metering). False when it is not due on its
 * customer's clock.
 */
export async function renewLocked(
  cctx: CustomerCtx,
  locked: SubscriptionRow,
  memo: RunMemo,
): Promise<boolean> {
  let sub = locked;
  const { customer } = cctx;
  const now = cctx.clock.now();
  const periodEnd = fromDate(sub.current_period_end);
  if (Temporal.Instant.compare(periodEnd, now) > 0 || !subscriptions.RENEWABLE.includes(sub.status)) {
    return false;
  }
  // What the period that ended owes at its end (a fee in arrears, a minimum), on its own plan.
  const closing = await closingPeriodOf(cctx, sub, (ref) => planOf(cctx, memo, ref));
  // Usage counted after an earlier period's invoice: adjusted on this one, before the period moves on.
  const late = await lateUsageAdjustments(cctx, sub, (ref) => planOf(cctx, memo, ref));
  if (closing) await recordClosingUsage(cctx, [{ sub, planId: sub.plan_id, closing }]);
  await late?.record();
  if (sub.cancel_at_period_end) {
    await subscriptions.transition(cctx, sub, 'cancelled', 'Cancelled at the end of the period');
    if (closing) await invoiceFinalPeriod(cctx, memo, sub, closing, late?.lines ?? []);
    return true;
  }
  const scheduled = subscriptions.scheduledChangeOf(sub);
  if (scheduled) {
    sub = await subscriptions.changePlanVersion(
      cctx,
      sub,
      scheduled.plan,
      'Scheduled change at the end of the period',
    );
  }
  if (sub.status === 'trialing') sub = await subscriptions.transition(cctx, sub, 'active', 'Trial ended');

  const plan = await planOf(cctx, memo, subscriptionPlan(sub));
  const rule = subscriptions.periodRuleOf(sub, plan.entry.plan.billing_interval);
  const period = subscriptions.periodContaining(rule, periodEnd);
  sub = await subscriptions.advancePeriod(cctx, sub, { start: periodEnd, end: period.endInstant });
  const tax = await taxOf(cctx, memo, customer);
  const lines = [...renewalLines(plan, period, periodEnd, tax, closing), ...(late?.lines ?? [])];
  if (lines.length === 0) return true;
  const draft = await invoicing.createDraft(
    cctx,
    cycleInvoice(
      sub,
      customer,
      plan.ref.issuerId,
      plan.price.currency,
      billedPeriod(plan, periodEnd, period, closing),
      lines,
      tax,
    ),
  );
  await issueInvoice(cctx, draft.id, ledgerAccount(sub, customer));
  return true;
}

/** A subscription cancelled at the end of its period still owes what that period bills at its end. */
async function invoiceFinalPeriod(
  ctx: CustomerCtx,
  memo: RunMemo,
  sub: SubscriptionRow,
  closing: billing.ClosingPeriod,
  adjustments: readonly billing.ChargeLine[],
) {
  const { customer } = ctx;
  const issuerId = sub.plan_issuer_id;
  const tax = await taxOf(ctx, memo, customer);
  const rated = billing.rateRenewal({
    plan: closing.plan,
    period: closing.period,
    tax,
    closing,
    final: true,
  });
  const lines = [...rated.lines, ...adjustments];
  if (lines.length === 0) return;
  const draft = await invoicing.createDraft(
    ctx,
    cycleInvoice(
      sub,
      customer,
      issuerId,
      closing.plan.currency,
      {
        periodStart: closing.from,
        periodEnd: closing.period.endInstant,
        // The renewal it takes the place of: the period's end, not its start (an earlier renewal's).
        cycleAt: fromDate(sub.current_period_end),
      },
      lines,
      tax,
    ),
  );
  await issueInvoice(ctx, draft.id, ledgerAccount(sub, customer));
}

/** A renewal that needs no state change: the next period and its invoice, computed in memory. */
interface PlainRenewal {
  sub: SubscriptionRow;
  customer: BillingCustomerRow;
  closing: billing.ClosingPeriod | undefined;
  at: Temporal.Instant;
  period: { start: Temporal.Instant; end: Temporal.Instant };
  invoice: BatchInvoice | null;
}

/**
 * The batch's customers' contexts, by organization: each on its test clock's frozen time, or the
 * run's clock. The test clocks of the whole batch are read in one query, across its organizations.
 */
async function customerContextsOf(
  ctx: Ctx,
  customerRows: readonly BillingCustomerRow[],
): Promise<Map<string, CustomerCtx>> {
  const onTestClocks = customerRows.filter((c) => c.test_clock_id !== null);
  const frozen = new Map<string, Date>();
  if (onTestClocks.length > 0) {
    const rows = await ctx.db
      .selectFrom('test_clocks')
      .select(['org_id', 'id', 'frozen_time'])
      .where(
        'id',
        'in',
        onTestClocks.map((c) => c.test_clock_id as string),
      )
      .execute();
    for (const row of rows) frozen.set(row.id, row.frozen_time);
  }
  return new Map(customerRows.map((c) => [c.org_id, customerContextWith(ctx, c, frozen)]));
}

/**
 * Renews those of `candidates` still due, in one transaction. Returns how many were renewed (a
 * subscription another worker holds is skipped: it is that worker's).
 */
export async function renewBatch(
  ctx: Ctx,
  candidates: readonly { org_id: string; id: string }[],
  memo: RunMemo,
): Promise<number> {
  return withTransaction(ctx, async (tx) => {
    const locked = await subscriptions.lockDue(tx, toDate(tx.clock.now()), candidates);
    if (locked.length === 0) return 0;
    const customerRows = await customers.findCustomers(tx, [...new Set(locked.map((s) => s.org_id))]);
    const customerOf = new Map(customerRows.map((c) => [c.org_id, c]));
    const contexts = await customerContextsOf(tx, customerRows);
    // A customer with credit has it spent on the invoice as it is finalized, one at a time (rare).
    const withCredit = await customers.orgsWithCredit(tx, [...customerOf.keys()]);
    // Usage counted after an earlier period's invoice is adjusted one at a time too (rare).
    const late = await withLateUsage(tx, locked);

    // Subscriptions that share a zone, a rule and a period end share their next period: computed once.
    const periods = new Map<string, BillingPeriod>();
    const nextPeriod = (sub: SubscriptionRow, interval: BillingInterval, periodEnd: Temporal.Instant) => {
      const rule = subscriptions.periodRuleOf(sub, interval);
      const key = [
        rule.interval,
        rule.billingMode,
        rule.anchorDay,
        rule.timeZone,
        rule.startedOn.toString(),
        periodEnd.epochMilliseconds,
      ].join('|');
      let period = periods.get(key);
      if (!period) {
        period = subscriptions.periodContaining(rule, periodEnd);
        periods.set(key, period);
      }
      return period;
    };

    let renewed = 0;
    const oneByOne: SubscriptionRow[] = [];
    const plain: PlainRenewal[] = [];
    for (const sub of locked) {
      const customer = customerOf.get(sub.org_id);
      if (!customer) throw new Error(`subscription ${sub.id} of ${sub.org_id} has no billing customer`);
      const cctx = contexts.get(sub.org_id) as CustomerCtx;
      const at = cctx.clock.now();
      const periodEnd = fromDate(sub.current_period_end);
      // Due on the run's clock but not yet on its customer's own: not this run's.
      if (Temporal.Instant.compare(periodEnd, at) > 0) continue;
      // A change of state, a customer on a test clock (whose writes are dated by that clock), or credit.
      if (
        sub.cancel_at_period_end ||
        sub.pending_change_timing === 'period_end' ||
        sub.status === 'trialing' ||
        customer.test_clock_id !== null ||
        withCredit.has(sub.org_id) ||
        late.has(sub.id)
      ) {
        oneByOne.push(sub);
        continue;
      }
      const plan = await planOf(cctx, memo, subscriptionPlan(sub));
      const period = nextPeriod(sub, plan.entry.plan.billing_interval, periodEnd);
      const tax = await taxOf(cctx, memo, customer);
      const closing = await closingPeriodOf(cctx, sub, (ref) => planOf(cctx, memo, ref));
      const lines = renewalLines(plan, period, periodEnd, tax, closing);
      plain.push({
        sub,
        customer,
        closing,
        at,
        period: { start: periodEnd, end: period.endInstant },
        invoice:
          lines.length === 0
            ? null
            : {
                draft: cycleInvoice(
                  sub,
                  customer,
                  plan.ref.issuerId,
                  plan.price.currency,
                  billedPeriod(plan, periodEnd, period, closing),
                  lines,
                  tax,
                ),
                account: ledgerAccount(sub, customer),
                at,
              },
      });
    }

    const { deferred } = await issueInvoices(
      tx,
      plain.flatMap((r) => (r.invoice ? [r.invoice] : [])),
    );
    const later = new Set(deferred.map((d) => d.draft.subscriptionId));
    const done = plain.filter((r) => !later.has(r.sub.id));
    await subscriptions.advancePeriods(
      tx,
      done.map((r) => ({ row: r.sub, period: r.period })),
    );
    await recordClosingUsage(
      tx,
      done.flatMap(({ sub, closing }) => (closing ? [{ sub, planId: sub.plan_id, closing }] : [])),
    );
    renewed += plain.length - later.size;
    for (const r of plain) if (later.has(r.sub.id)) oneByOne.push(r.sub);
    for (const sub of oneByOne) {
      if (await renewLocked(contexts.get(sub.org_id) as CustomerCtx, sub, memo)) renewed++;
    }
    return renewed;
  });
}

/** What a pass over due renewals did: how many renewed, and the subscriptions that failed alone. */
export interface RenewalPass {
  renewed: number;
  setAside: { orgId: string; subscriptionId: string; error: string }[];
}

/**
 * One pass over the subscriptions due by now, batch after batch. A batch that fails is bisected;
 * a subscription that fails alone is logged, skipped for the rest of the run (`setAside`, by id), and
 * left due, so a later run tries it again.
 */
export async function renewDue(
  ctx: Ctx,
  scope: BillingScope,
  memo: RunMemo,
  setAside: Set<string>,
  batchSize = RENEWAL_BATCH_SIZE,
): Promise<RenewalPass> {
  const pass: RenewalPass = { renewed: 0, setAside: [] };
  const now = toDate(ctx.clock.now());
  let after: { periodEnd: Date; id: string } | undefined;
  for (;;) {
    const due = await subscriptions.dueForRenewal(ctx, now, scope, {
      ...(after ? { after } : {}),
      limit: batchSize,
    });
    const last = due.at(-1);
    if (!last) return pass;
    after = { periodEnd: last.current_period_end, id: last.id };
    await renewOrSplit(
      ctx,
      due.filter((d) => !setAside.has(`${d.org_id}|${d.id}`)),
      memo,
      pass,
      setAside,
    );
  }
}

async function renewOrSplit(
  ctx: Ctx,
  batch: readonly { org_id: string; id: string }[],
  memo: RunMemo,
  pass: RenewalPass,
  setAside: Set<string>,
): Promise<void> {
  if (batch.length === 0) return;
  try {
    pass.renewed += await renewBatch(ctx, batch, memo);
  } catch (error) {
    const [only] = batch;
    if (batch.length === 1 && only) {
      setAside.add(`${only.org_id}|${only.id}`);
      pass.setAside.push({ orgId: only.org_id, subscriptionId: only.id, error: String(error) });
      ctx.log.error(
        { err: error, org_id: only.org_id, subscription: only.id },
        'renewal failed; the subscription is set aside until the next run',
      );
      return;
    }
    const half = Math.ceil(batch.length / 2);
    await renewOrSplit(ctx, batch.slice(0, half), memo, pass, setAside);
    await renewOrSplit(ctx, batch.slice(half), memo, pass, setAside);
  }
}
