import { sql } from 'kysely';
import type { ChargeInput, LimitInput } from '../catalog/index.js';
import * as catalog from '../catalog/index.js';
import type { BillingCustomerRow, MetricRow, SubscriptionRow } from '../db/schema.js';
import * as subscriptions from '../subscriptions/index.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { calendarMonthPeriod, toDate } from '../time/index.js';
import { noteUsageChanged } from './alerts.js';
import type { EntitlementObject } from './metering.schema.js';
import { periodTotals, type Span } from './totals.js';

/**
 * Limits at the moment of action (C22). A plan version's limits say, per feature, how many units an
 * organization may hold (hard: refused beyond it; soft: allowed and flagged; null: unlimited).
 * Without a live subscription the default (Free) plan's limits apply.
 *
 * What is used of a feature: the units consumed and not released (`entitlement_counters`: a project's
 * computations, members), plus, when a metric has the feature's code, this period's usage of it
 * (API calls sent as events). `consume` checks and records in ONE statement, a conditional upsert of
 * the counter row: concurrent consumers queue on that row, and each sees the others' units, so a
 * limit of 50 admits exactly 50 of 100 concurrent requests.
 */

/** What an organization's plan allows and charges, and the period its usage is counted in. */
export interface PlanAllowance {
  limits: LimitInput[];
  charges: ChargeInput[];
  /** The current period: the subscription's, or the calendar month in the customer's zone. */
  period: Span;
  subscription: SubscriptionRow | undefined;
}

/** The limits and charges of the organization's live subscriptions (or of the default plan). */
export async function allowanceOf(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
): Promise<PlanAllowance> {
  const live = await subscriptions.liveSubscriptions(ctx);
  const versions = await Promise.all(live.map((sub) => catalog.findPlanVersion(ctx, sub.plan_version_id)));
  const terms = versions.flatMap((v) => (v ? [v] : []));
  if (terms.length === 0) {
    const fallback = await catalog.findDefaultPlan(ctx);
    if (fallback) terms.push(fallback.version);
  }
  const limits = new Map<string, LimitInput>();
  for (const version of terms) {
    for (const limit of version.limits as LimitInput[]) {
      // Two subscriptions naming one feature: the more generous limit holds.
      const held = limits.get(limit.feature);
      if (!held || moreGenerous(limit, held)) limits.set(limit.feature, limit);
    }
  }
  const sub = live[0];
  const period: Span = sub
    ? { from: sub.current_period_start, to: sub.current_period_end }
    : monthOf(ctx, customer?.time_zone ?? 'UTC');
  return {
    limits: [...limits.values()],
    charges: terms.flatMap((version) => version.charges as ChargeInput[]),
    period,
    subscription: sub,
  };
}

function moreGenerous(a: LimitInput, b: LimitInput): boolean {
  if (a.limit === null) return b.limit !== null || (a.mode === 'soft' && b.mode === 'hard');
  if (b.limit === null) return false;
  return a.limit > b.limit;
}

function monthOf(ctx: TenantCtx, timeZone: string): Span {
  const period = calendarMonthPeriod(ctx.clock.now(), timeZone);
  return { from: toDate(period.startInstant), to: toDate(period.endInstant) };
}

/** This period's usage of the metric named like `feature`, in whole units (0 without one). */
async function meteredUse(ctx: TenantCtx, feature: string, period: Span): Promise<bigint> {
  const metric = await scoped(ctx, 'issuer')
    .selectFrom('metrics')
    .selectAll()
    .where('code', '=', feature)
    .executeTakeFirst();
  if (!metric) return 0n;
  const [total] = await periodTotals(
    ctx,
    ctx.tenant.orgId,
    [{ metric: metric as MetricRow, groupBy: [] }],
    period,
  );
  // Limits are whole units: a fraction used counts as a unit begun.
  return total ? ceilUnits(total.quantity) : 0n;
}

function ceilUnits(decimal: string): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.');
  return BigInt(whole) + (/[1-9]/.test(fraction) ? 1n : 0n);
}

async function consumed(ctx: TenantCtx, feature: string): Promise<bigint> {
  const row = await scoped(ctx)
    .selectFrom('entitlement_counters')
    .select('used')
    .where('feature', '=', feature)
    .executeTakeFirst();
  return row?.used ?? 0n;
}

function answer(
  feature: string,
  limit: LimitInput | undefined,
  used: bigint,
  allowed: boolean,
): EntitlementObject {
  const max = limit?.limit ?? null;
  return {
    object: 'entitlement',
    feature,
    allowed,
    mode: limit?.mode ?? null,
    limit: max,
    used: Number(used),
    remaining: max === null ? null : Math.max(0, max - Number(used)),
    over_limit: max !== null && used > BigInt(max),
  };
}

/** A feature's limit for the organization now, and this period's metered usage of it. */
async function standingOf(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
): Promise<{ limit: LimitInput | undefined; metered: bigint }> {
  const allowance = await allowanceOf(ctx, customer);
  return {
    limit: allowance.limits.find((l) => l.feature === feature),
    metered: await meteredUse(ctx, feature, allowance.period),
  };
}

/** Whether `used` units fit `limit`: always without one or under a soft one. */
const fits = (limit: LimitInput | undefined, used: bigint) =>
  limit?.limit == null || limit.mode === 'soft' || used <= BigInt(limit.limit);

/** Whether `quantity` more units of `feature` would be allowed now: a read, nothing recorded. */
export async function checkEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  const { limit, metered } = await standingOf(ctx, customer, feature);
  const used = (await consumed(ctx, feature)) + metered;
  return answer(feature, limit, used, fits(limit, used + BigInt(quantity)));
}

/**
 * Checks and records `quantity` units of `feature` in one atomic step: a hard limit refuses what
 * would go beyond it (nothing recorded), a soft one records and flags, no limit records.
 */
export async function consumeEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  const { limit, metered } = await standingOf(ctx, customer, feature);
  const now = toDate(ctx.clock.now());
  const ceiling = limit?.mode === 'hard' && limit.limit !== null ? BigInt(limit.limit) - metered : null;
  // The condition is checked against the row as it is when this statement gets its lock: a
  // concurrent consume that committed first is counted.
  const { rows } = await sql<{ used: bigint }>`
    insert into entitlement_counters as counter (org_id, feature, used, updated_at)
    select ${ctx.tenant.orgId}, ${feature}, ${quantity}, ${now}
    where ${ceiling}::int8 is null or ${quantity}::int8 <= ${ceiling}::int8
    on conflict (org_id, feature) do update set used = counter.used + ${quantity}, updated_at = ${now}
      where ${ceiling}::int8 is null or counter.used + ${quantity} <= ${ceiling}::int8
    returning used`.execute(ctx.db);
  const recorded = rows[0];
  if (recorded) {
    await noteUsageChanged(ctx);
    return answer(feature, limit, BigInt(recorded.used) + metered, true);
  }
  return answer(feature, limit, (await consumed(ctx, feature)) + metered, false);
}

/** Gives `quantity` units of `feature` back (a computation deleted); never below zero. */
export async function releaseEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  const { limit, metered } = await standingOf(ctx, customer, feature);
  const row = await scoped(ctx)
    .updateTable('entitlement_counters')
    .set({ used: sql`greatest(used - ${quantity}, 0)`, updated_at: toDate(ctx.clock.now()) })
    .where('feature', '=', feature)
    .returning('used')
    .executeTakeFirst();
  if (row) await noteUsageChanged(ctx);
  const used = (row?.used ?? 0n) + metered;
  return answer(feature, limit, used, fits(limit, used));
}
