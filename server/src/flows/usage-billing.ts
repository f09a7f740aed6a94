import { sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import * as billing from '../billing/index.js';
import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { Tx } from '../db/database.js';
import type { BilledUsageGroup, InvoiceRow, SubscriptionRow, UsageBilledTable } from '../db/schema.js';
import { type BillingScope, inScope } from '../db/scope.js';
import * as invoicing from '../invoicing/index.js';
import { enqueue } from '../jobs/queue.js';
import * as metering from '../metering/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type CustomerCtx, customerContext, scoped, type TenantCtx, tenantContext } from '../tenant.js';
import { type BillingPeriod, fromDate, toDate } from '../time/index.js';
import { issueInvoice } from './invoice-ledger.js';
import { chargeTotals, ledgerAccount, type PricedPlan, pricedPlan } from './subscription-billing.js';

/**
 * Usage billed outside the period's closing invoice (docs/billing-rules.md, R30 and R31):
 *
 * - A charge paid in advance is billed as its usage arrives: the ingest's transaction leaves an
 *   `advance` hint, and a job (or the billing run, should the job be lost) rates what the usage
 *   added since the last bill, each group from the quantity already billed (`usage_event`), on an
 *   invoice of its own charged to the saved card.
 * - Usage that arrives for a period already invoiced (a late event) leaves a `late` hint; the next
 *   renewal invoice of the subscription carries the difference as an adjustment line: the period's
 *   usage priced now less what was billed for it.
 *
 * What was billed is recorded per subscription, period and charge (`usage_billed`), and every bill
 * is the difference from it, written in the transaction that issues the invoice under the
 * subscription's row lock. So a hint read twice, a job run twice or a renewal racing a late event
 * bills nothing twice; hints commit with the events they are about, so none is missing.
 */

/** Subscriptions whose usage is billed: paid for, not in a trial, not ended. */
const BILLED: readonly SubscriptionRow['status'][] = ['active', 'past_due', 'unpaid'];

/** The job that bills a subscription's usage in advance once the ingest has committed. */
export const USAGE_IN_ADVANCE_JOB = 'usage.bill_in_advance';

/**
 * How close to its end a period's usage may be racing its renewal: an ingest that reads the period as
 * current this close to its end (or after it) may commit after the renewal read the period's usage,
 * so its events are hinted late too, and the next renewal looks again (and finds no difference when
 * the renewal saw them). A batch's transaction lasts milliseconds; clocks of processes differ by less.
 */
const RENEWAL_RACE_MARGIN = '1 minute';

/**
 * Leaves the hints a batch of counted events calls for, in the ingest's transaction: per live
 * subscription of their customers, `advance` when an event is of a charge paid in advance, `late`
 * when one of a charge in arrears falls before the current period (its invoice is issued) or the
 * period is ending on the customer's clock (its renewal may already have read its usage). One
 * statement, which takes no lock and writes nothing for usage that neither concerns; a job per
 * subscription with an `advance` hint bills it at once.
 */
export async function markUsageToBill(ctx: Ctx, counted: readonly metering.CountedEvent[]): Promise<void> {
  if (counted.length === 0) return;
  const now = toDate(ctx.clock.now());
  // Events are taken per customer and code (their first and last times), and a subscription's
  // charges are unfolded only when it may need a hint: its plan has a charge paid in advance, or the
  // batch holds usage from before its current period, or that period is ending. So a batch of current
  // usage for plans billed in arrears, the common case, costs one indexed lookup per customer. A
  // customer's first event before its subscription began makes `since` the subscription's start:
  // earlier than needed at worst, which bills nothing more (billing is the difference from what was
  // billed).
  const { rows } = await sql<{ org_id: string; subscription_id: string; kind: HintKind }>`
    with counted as (
      select org_id, code, min(occurred_at) as first_at, max(occurred_at) as last_at
      from unnest(${counted.map((e) => e.orgId)}::text[], ${counted.map((e) => e.code)}::text[],
        ${counted.map((e) => e.occurredAt)}::timestamptz[]) as e(org_id, code, occurred_at)
      group by org_id, code
    ),
    candidates as materialized (
      select s.org_id, s.id as subscription_id, counted.code, v.charges,
        greatest(counted.first_at, s.started_at) as since,
        greatest(counted.first_at, s.started_at) < s.current_period_start
          or s.current_period_end <= coalesce(clock.frozen_time, ${now}::timestamptz) + ${RENEWAL_RACE_MARGIN}::interval
          as late_or_ending
      from counted
      join subscriptions s on s.org_id = counted.org_id
        and s.status in (${sql.join(BILLED)}) and counted.last_at >= s.started_at
      join billing_customers customer on customer.org_id = s.org_id
      left join test_clocks clock on clock.org_id = customer.org_id and clock.id = customer.test_clock_id
      join plan_versions v on v.org_id = s.plan_issuer_id and v.id = s.plan_version_id
    ),
    due as (
      select org_id, subscription_id, since, late_or_ending,
        case when coalesce((c.charge->>'pay_in_advance')::boolean, false) then 'advance' else 'late' end as kind
      from candidates
      cross join lateral jsonb_array_elements(candidates.charges) as c(charge)
      where (late_or_ending or candidates.charges @> '[{"pay_in_advance": true}]'::jsonb)
        and c.charge->>'metric' = candidates.code
    )
    insert into usage_billing_due (org_id, subscription_id, kind, since)
    select org_id, subscription_id, kind, min(since) from due
    where kind = 'advance' or late_or_ending
    group by org_id, subscription_id, kind
    returning org_id, subscription_id, kind`.execute(ctx.db);
  for (const row of rows) {
    if (row.kind !== 'advance') continue;
    await enqueue(ctx.db as Tx, USAGE_IN_ADVANCE_JOB, {
      org_id: row.org_id,
      subscription_id: row.subscription_id,
    });
  }
}

/** Usage events in (metering) and the billing they call for marked, in the caller's transaction. */
export async function ingestUsage(
  ctx: TenantCtx,
  events: readonly unknown[],
): Promise<metering.IngestResult> {
  const { counted, ...result } = await metering.ingestEvents(ctx, events);
  await markUsageToBill(ctx, counted);
  return result;
}

type HintKind = 'advance' | 'late';

/**
 * The hints of one kind a subscription has (those of events before `before`, when given), and the
 * earliest event they name.
 */
async function hintsOf(ctx: TenantCtx, subscriptionId: string, kind: HintKind, before?: Date) {
  const rows = await scoped(ctx)
    .selectFrom('usage_billing_due')
    .select(['seq', 'since'])
    .where('subscription_id', '=', subscriptionId)
    .where('kind', '=', kind)
    .$if(before !== undefined, (q) => q.where('since', '<', before as Date))
    .execute();
  const [first, ...rest] = rows;
  if (!first) return null;
  const since = rest.reduce((earliest, row) => (row.since < earliest ? row.since : earliest), first.since);
  return { seqs: rows.map((row) => row.seq), since: fromDate(since) };
}

/** Forgets hints read: those written meanwhile (by a batch not yet committed) stay for next time. */
async function clearHints(ctx: TenantCtx, subscriptionId: string, seqs: readonly bigint[]) {
  await scoped(ctx)
    .deleteFrom('usage_billing_due')
    .where('subscription_id', '=', subscriptionId)
    .where('seq', 'in', seqs)
    .execute();
}

const groupKey = (dimensions: Record<string, string>) =>
  JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

type BilledRow = Pick<UsageBilledTable, 'metric' | 'plan_id' | 'plan_version_id'> & {
  period_start: Date;
  period_end: Date;
  groups: BilledUsageGroup[];
};

async function billedRows(
  ctx: TenantCtx,
  subscriptionId: string,
  where: { periodStart?: Date; endsAfter?: Date; endsBy?: Date; inAdvance: boolean },
): Promise<BilledRow[]> {
  return scoped(ctx)
    .selectFrom('usage_billed')
    .select(['metric', 'plan_id', 'plan_version_id', 'period_start', 'period_end', 'groups'])
    .where('subscription_id', '=', subscriptionId)
    .where('pay_in_advance', '=', where.inAdvance)
    .$if(where.periodStart !== undefined, (q) => q.where('period_start', '=', where.periodStart as Date))
    .$if(where.endsAfter !== undefined, (q) => q.where('period_end', '>', where.endsAfter as Date))
    .$if(where.endsBy !== undefined, (q) => q.where('period_end', '<=', where.endsBy as Date))
    .execute() as Promise<BilledRow[]>;
}

/** What a period's charge has been billed, as written. */
type BilledRecord = Omit<UsageBilledTable, 'groups' | 'updated_at' | 'period_start' | 'period_end'> & {
  period_start: Date;
  period_end: Date;
  groups: BilledUsageGroup[];
};

/** Writes what a period's charge has now been billed (the whole of it, replacing the record). */
async function recordBilled(
  ctx: Ctx,
  rows: readonly BilledRecord[],
  onConflict: 'replace' | 'keep',
): Promise<void> {
  if (rows.length === 0) return;
  const now = toDate(ctx.clock.now());
  await ctx.db
    .insertInto('usage_billed')
    .values(rows.map((row) => ({ ...row, groups: JSON.stringify(row.groups), updated_at: now })))
    .onConflict((oc) => {
      const target = oc.columns(['org_id', 'subscription_id', 'period_start', 'metric']);
      return onConflict === 'keep'
        ? target.doNothing()
        : target.doUpdateSet((eb) => ({ groups: eb.ref('excluded.groups'), updated_at: now }));
    })
    .execute();
}

const groupOf = (line: billing.UsageLine): BilledUsageGroup => ({
  dimensions: line.dimensions,
  quantity: line.quantity,
  amount: line.amount.toString(),
});

/**
 * Records what the invoices closing periods billed for usage in arrears: one row per charge, empty
 * when the period had no usage of it, so usage arriving later is a difference from a known record.
 */
export async function recordClosingUsage(
  ctx: Ctx,
  closed: readonly { sub: SubscriptionRow; planId: string; closing: billing.ClosingPeriod }[],
): Promise<void> {
  await recordBilled(
    ctx,
    closed.flatMap(({ sub, planId, closing }) => {
      const span = { start: closing.from, end: closing.period.endInstant };
      const lines = billing.usageLines(closing.plan, closing.usage, span, { includeAdvanceCharges: false });
      return closing.plan.charges
        .filter((charge) => !charge.payInAdvance)
        .map((charge) => ({
          org_id: sub.org_id,
          subscription_id: sub.id,
          period_start: toDate(span.start),
          period_end: toDate(span.end),
          metric: charge.metric,
          plan_id: planId,
          plan_version_id: closing.plan.versionId,
          pay_in_advance: false,
          groups: lines.filter((line) => line.metric === charge.metric).map(groupOf),
        }));
    }),
    'keep',
  );
}

/**
 * The periods usage from `since` falls in, up to the current one: each with when the subscription
 * began to be billed in it (its start, or the subscription's for the first).
 */
function periodsSince(
  sub: SubscriptionRow,
  plan: PricedPlan,
  since: Temporal.Instant,
): { period: BillingPeriod; from: Temporal.Instant }[] {
  const rule = subscriptions.periodRuleOf(sub, plan.entry.plan.billing_interval);
  const current = fromDate(sub.current_period_start);
  const started = fromDate(sub.started_at);
  const spans: { period: BillingPeriod; from: Temporal.Instant }[] = [];
  let at = Temporal.Instant.compare(since, started) < 0 ? started : since;
  while (Temporal.Instant.compare(at, current) < 0) {
    const period = subscriptions.periodContaining(rule, at);
    spans.push({
      period,
      from: Temporal.Instant.compare(period.startInstant, started) < 0 ? started : period.startInstant,
    });
    at = period.endInstant;
  }
  spans.push({ period: subscriptions.periodContaining(rule, current), from: current });
  return spans;
}

/**
 * What one group of a charge paid in advance owes now: its usage in the period less what was billed
 * (`before`), rated as one usage event. A percentage prices each transaction on its own, so it is
 * the fee of the period's transactions less what was billed of it.
 */
function advanceLine(
  plan: billing.PlanTerms,
  charge: billing.PlanCharge,
  { period, from }: { period: BillingPeriod; from: Temporal.Instant },
  at: Temporal.Instant,
  usage: billing.UsageTotal,
  billed: BilledUsageGroup | undefined,
): { line: billing.ChargeLine | null; group: BilledUsageGroup } {
  const before = billed?.quantity ?? '0';
  const billedAmount = BigInt(billed?.amount ?? '0');
  const perTransaction = charge.price.model === 'percentage';
  const { lines } = billing.rate({
    plan,
    period,
    tax: billing.NO_TAX,
    creditBalance: 0n,
    event: {
      kind: 'usage_event',
      at,
      before,
      usage: perTransaction
        ? usage
        : { ...usage, quantity: billing.subtractQuantities(usage.quantity, before) },
    },
  });
  const [rated] = lines;
  const amount = (rated?.amount ?? 0n) - (perTransaction ? billedAmount : 0n);
  const group = {
    dimensions: usage.dimensions,
    quantity: usage.quantity,
    amount: (billedAmount + amount).toString(),
  };
  if (!rated || amount === 0n) return { line: null, group };
  // Usage of a period that has ended (a late event) is billed for that period.
  const ended = Temporal.Instant.compare(at, period.endInstant) >= 0;
  return {
    line: { ...rated, amount, unitAmount: amount.toString(), ...(ended ? { periodStart: from } : {}) },
    group,
  };
}

/**
 * Bills a subscription's usage of charges paid in advance that arrived since its last bill: one
 * invoice for all of it, charged to the saved card by the billing run's collection. Null when there
 * was nothing to bill (no hint: another worker billed it, or nothing changed the price).
 */
export async function billUsageInAdvance(
  ctx: CustomerCtx,
  subscriptionId: string,
): Promise<InvoiceRow | null> {
  return withTransaction(ctx, async (tx) => {
    const sub = await subscriptions.getSubscription(tx, subscriptionId, 'wait');
    const hints = await hintsOf(tx, sub.id, 'advance');
    if (!hints) return null;
    await clearHints(tx, sub.id, hints.seqs);
    if (!BILLED.includes(sub.status)) return null;
    const plan = await pricedPlan(tx, {
      issuerId: sub.plan_issuer_id,
      planId: sub.plan_id,
      versionId: sub.plan_version_id,
    });
    const charges = plan.price.charges.filter((charge) => charge.payInAdvance);
    if (charges.length === 0) return null;
    const now = tx.clock.now();
    const lines: billing.ChargeLine[] = [];
    const records: BilledRecord[] = [];
    for (const span of periodsSince(sub, plan, hints.since)) {
      const { period, from } = span;
      const usage = await chargeTotals(tx, charges, { from: toDate(from), to: toDate(period.endInstant) });
      const billed = new Map(
        (await billedRows(tx, sub.id, { periodStart: toDate(from), inAdvance: true })).map((row) => [
          row.metric,
          row.groups,
        ]),
      );
      for (const charge of charges) {
        const was = billed.get(charge.metric) ?? [];
        const groups = new Map(was.map((group) => [groupKey(group.dimensions), group]));
        let changed = false;
        for (const total of usage.filter((u) => u.metric === charge.metric)) {
          const key = groupKey(total.dimensions);
          const { line, group } = advanceLine(plan.price, charge, span, now, total, groups.get(key));
          if (!line) continue;
          lines.push(line);
          groups.set(key, group);
          changed = true;
        }
        if (!changed) continue;
        records.push({
          org_id: sub.org_id,
          subscription_id: sub.id,
          period_start: toDate(from),
          period_end: toDate(period.endInstant),
          metric: charge.metric,
          plan_id: plan.ref.planId,
          plan_version_id: plan.ref.versionId,
          pay_in_advance: true,
          groups: [...groups.values()],
        });
      }
    }
    // Nothing owed, or less than nothing (a metric that can go down): what was billed stands, and
    // the next increase is rated from it.
    if (lines.reduce((sum, line) => sum + line.amount, 0n) <= 0n) return null;
    const { customer } = tx;
    const draft = await invoicing.createDraft(tx, {
      orgId: sub.org_id,
      issuerId: plan.ref.issuerId,
      customer,
      subscriptionId: sub.id,
      reason: 'usage_in_advance',
      currency: plan.price.currency,
      periodStart: lines
        .map((l) => l.periodStart)
        .reduce((a, b) => (Temporal.Instant.compare(a, b) <= 0 ? a : b)),
      periodEnd: lines
        .map((l) => l.periodEnd)
        .reduce((a, b) => (Temporal.Instant.compare(a, b) >= 0 ? a : b)),
      lines,
      tax: await invoicing.taxRuleFor(tx, customer),
      autoCharge: true,
    });
    await recordBilled(tx, records, 'replace');
    return issueInvoice(tx, draft.id, ledgerAccount(sub, customer));
  });
}

/** billUsageInAdvance for a subscription named by its organization (a job, the billing run). */
export async function billSubscriptionUsageInAdvance(
  ctx: Ctx,
  due: { org_id: string; subscription_id: string },
): Promise<InvoiceRow | null> {
  const tenant = tenantContext(ctx, due.org_id);
  const cctx = await customerContext(ctx, await customers.getCustomer(tenant));
  return billUsageInAdvance(cctx, due.subscription_id);
}

/**
 * The billing run's sweep: usage in advance whose job has not billed it yet (a crash after the
 * ingest, a job still queued). Each subscription in its own transaction; one that fails is logged
 * and left hinted for the next run.
 */
export async function billDueUsageInAdvance(ctx: Ctx, scope: BillingScope): Promise<number> {
  const due = await ctx.db
    .selectFrom('usage_billing_due')
    .select(['org_id', 'subscription_id'])
    .distinct()
    .where('kind', '=', 'advance')
    .where(inScope(scope))
    .execute();
  let invoiced = 0;
  for (const row of due) {
    try {
      if (await billSubscriptionUsageInAdvance(ctx, row)) invoiced++;
    } catch (error) {
      ctx.log.error(
        { err: error, org_id: row.org_id, subscription: row.subscription_id },
        'usage in advance not billed',
      );
    }
  }
  return invoiced;
}

/** Subscriptions of a renewal batch with usage counted after an earlier period's invoice. */
export async function withLateUsage(ctx: Ctx, subs: readonly SubscriptionRow[]): Promise<Set<string>> {
  if (subs.length === 0) return new Set();
  const rows = await ctx.db
    .selectFrom('usage_billing_due')
    .select(['subscription_id', (eb) => eb.fn.min('since').as('since')])
    .where('kind', '=', 'late')
    .where(
      sql<boolean>`(org_id, subscription_id) in (select * from unnest(${subs.map((s) => s.org_id)}::text[], ${subs.map((s) => s.id)}::text[]))`,
    )
    .groupBy('subscription_id')
    .execute();
  const earliest = new Map(rows.map((row) => [row.subscription_id, row.since]));
  return new Set(
    subs
      .filter((sub) => (earliest.get(sub.id) ?? sub.current_period_start) < sub.current_period_start)
      .map((sub) => sub.id),
  );
}

/**
 * The adjustment lines for usage counted after its period was invoiced, to add to the renewal
 * invoice of `sub` (locked by the caller, whose period has not moved yet): for each period already
 * closed that a late event falls in, the period's usage in arrears priced now less what was billed
 * for it, one line per charge and group that changed. `record` writes the new billed amounts and
 * clears the hints: to be called in the transaction that issues the invoice.
 */
export async function lateUsageAdjustments(
  ctx: TenantCtx,
  sub: SubscriptionRow,
  load: (ref: { issuerId: string; planId: string; versionId: string }) => Promise<PricedPlan>,
): Promise<{ lines: billing.ChargeLine[]; record: () => Promise<void> } | null> {
  // Hints of the period ending now (its usage raced this renewal) wait for the next renewal.
  const hints = await hintsOf(ctx, sub.id, 'late', sub.current_period_start);
  if (!hints) return null;
  const rows = await billedRows(ctx, sub.id, {
    inAdvance: false,
    endsAfter: toDate(hints.since),
    endsBy: sub.current_period_start,
  });
  const lines: billing.ChargeLine[] = [];
  const records: BilledRecord[] = [];
  const periods = new Map<number, BilledRow[]>();
  for (const row of rows) {
    const key = row.period_start.getTime();
    periods.set(key, [...(periods.get(key) ?? []), row]);
  }
  for (const billedCharges of periods.values()) {
    const [first] = billedCharges;
    if (!first) continue;
    const plan = await load({
      issuerId: sub.plan_issuer_id,
      planId: first.plan_id,
      versionId: first.plan_version_id,
    });
    const span = { start: fromDate(first.period_start), end: fromDate(first.period_end) };
    const charges = plan.price.charges.filter(
      (charge) => !charge.payInAdvance && billedCharges.some((row) => row.metric === charge.metric),
    );
    const usage = await chargeTotals(ctx, charges, { from: first.period_start, to: first.period_end });
    const now = billing.usageLines(plan.price, usage, span, { includeAdvanceCharges: false });
    const day = span.start.toZonedDateTimeISO(sub.time_zone).toPlainDate().toString();
    for (const row of billedCharges) {
      const priced = now.filter((line) => line.metric === row.metric);
      const was = new Map(row.groups.map((group) => [groupKey(group.dimensions), group]));
      let changed = false;
      for (const line of priced) {
        const before = was.get(groupKey(line.dimensions));
        const amount = line.amount - BigInt(before?.amount ?? '0');
        if (amount === 0n) continue;
        changed = true;
        lines.push({
          kind: 'adjustment',
          description: `Usage counted late for the period from ${day}: ${line.description}`,
          periodStart: span.start,
          periodEnd: span.end,
          quantity: billing.subtractQuantities(line.quantity, before?.quantity ?? '0'),
          unitAmount: amount.toString(),
          amount,
          planVersionId: plan.ref.versionId,
        });
      }
      if (!changed) continue;
      records.push({
        org_id: sub.org_id,
        subscription_id: sub.id,
        period_start: first.period_start,
        period_end: first.period_end,
        metric: row.metric,
        plan_id: row.plan_id,
        plan_version_id: row.plan_version_id,
        pay_in_advance: false,
        groups: priced.map(groupOf),
      });
    }
  }
  return {
    lines,
    record: async () => {
      await recordBilled(ctx, records, 'replace');
      await clearHints(ctx, sub.id, hints.seqs);
    },
  };
}
