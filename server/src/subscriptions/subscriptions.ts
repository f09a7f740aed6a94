import { sql } from 'kysely';
import type { Temporal } from 'temporal-polyfill';
import { recordAudit } from '../access/index.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type {
  PendingChangeTiming,
  SubscriptionEventRow,
  SubscriptionRow,
  SubscriptionStatus,
} from '../db/schema.js';
import { type BillingScope, inScope, refsIn } from '../db/scope.js';
import { conflict, notFound } from '../errors.js';
import * as events from '../events/index.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { type BillingInterval, fromDate, localDate, toDate } from '../time/index.js';
import { type BillingAlignment, type PeriodRule, periodContaining, ruleAtStart } from './billing-periods.js';
import type { SubscriptionObject } from './subscription.schema.js';

/**
 * A subscription (C16): the plan version a customer is billed by, its current period, and its state.
 * The version never changes under a subscriber by itself (C7): it changes by an upgrade, a downgrade
 * at the end of a period, or an operator's move. Every change of state is a row in its history.
 *
 * incomplete ─► active ◄─► past_due ─► unpaid
 *    trialing ─┘  │  ▲          │         │
 *                 ▼  │          ▼         ▼
 *               paused ◄──── (dunning's last step)
 *
 * and every live state can be cancelled.
 *
 * A subscription is paused by its customer, or by dunning when the last retry of an invoice fails
 * (`paused_for_payment`): only the second resumes by itself, once everything it owes is paid.
 */

export interface PlanVersionRef {
  issuerId: string;
  planId: string;
  versionId: string;
}

/** Statuses of a subscription that still holds its plan (its limits apply, its usage counts). */
export const LIVE: readonly SubscriptionStatus[] = [
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'paused',
];

const allowed: Record<SubscriptionStatus, readonly SubscriptionStatus[]> = {
  incomplete: ['active', 'trialing', 'cancelled'],
  trialing: ['active', 'past_due', 'paused', 'cancelled'],
  active: ['past_due', 'paused', 'cancelled'],
  past_due: ['active', 'unpaid', 'paused', 'cancelled'],
  unpaid: ['active', 'paused', 'cancelled'],
  paused: ['active', 'cancelled'],
  cancelled: [],
};

export function periodRuleOf(row: SubscriptionRow, interval: BillingInterval): PeriodRule {
  return {
    billingMode: row.billing_mode,
    anchorDay: row.anchor_day,
    timeZone: row.time_zone,
    interval,
    startedOn: anniversaryFrom(row),
  };
}

/** Where anniversary periods are counted from: the start, in the month the subscription was quoted in. */
function anniversaryFrom(row: SubscriptionRow): Temporal.PlainDate {
  const startedOn = localDate(fromDate(row.started_at), row.time_zone);
  return row.anchor_month === null ? startedOn : startedOn.with({ month: row.anchor_month });
}

/**
 * Whether a live subscription holds its customer's billing blocked: the retries of a payment are
 * exhausted and dunning's last step kept it unpaid or paused it until paid.
 */
export const blocksBilling = (sub: SubscriptionRow): boolean =>
  sub.status === 'unpaid' || (sub.status === 'paused' && sub.paused_for_payment);

/** Subscriptions not cancelled, newest first: what the organization pays for now. */
export async function liveSubscriptions(ctx: TenantCtx): Promise<SubscriptionRow[]> {
  return scoped(ctx)
    .selectFrom('subscriptions')
    .selectAll()
    .where('status', 'in', LIVE)
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .execute();
}

/** The organization's subscriptions, the latest started first; the cursor is a subscription's id. */
export async function listSubscriptions(ctx: TenantCtx, page: PageRequest): Promise<Slice<SubscriptionRow>> {
  return listPage(
    scoped(ctx).selectFrom('subscriptions').selectAll(),
    {
      by: [
        ['subscriptions.started_at', 'desc'],
        ['subscriptions.id', 'desc'],
      ],
      id: 'subscriptions.id',
      cursorFrom: scoped(ctx).selectFrom('subscriptions'),
      noun: 'subscription',
    },
    page,
  );
}

export async function getSubscription(
  ctx: TenantCtx,
  id: string,
  lock: 'none' | 'wait' | 'nowait' = 'none',
): Promise<SubscriptionRow> {
  let query = scoped(ctx).selectFrom('subscriptions').selectAll().where('id', '=', id);
  if (lock === 'wait') query = query.forUpdate();
  if (lock === 'nowait') query = query.forUpdate().noWait();
  try {
    const row = await query.executeTakeFirst();
    if (!row) throw notFound('subscription.not_found', 'No such subscription');
    return row;
  } catch (error) {
    // 55P03: another change holds the subscription right now.
    if ((error as { code?: string }).code === '55P03') {
      throw conflict('subscription.busy', 'Another change to this subscription is in progress; try again');
    }
    throw error;
  }
}

async function recordEvent(
  ctx: TenantCtx,
  row: SubscriptionRow,
  event: Pick<SubscriptionEventRow, 'kind' | 'from_status' | 'to_status' | 'plan_version_id' | 'reason'>,
) {
  await ctx.db
    .insertInto('subscription_events')
    .values({
      org_id: row.org_id,
      id: newId('subscriptionEvent'),
      subscription_id: row.id,
      ...event,
      occurred_at: toDate(ctx.clock.now()),
    })
    .execute();
}

export interface StartInput {
  customerId: string;
  timeZone: string;
  plan: PlanVersionRef;
  interval: BillingInterval;
  status: 'incomplete' | 'trialing' | 'active';
  billingMode?: BillingAlignment;
  /** The day (or for weeks the weekday) periods start on; the billing mode's default when absent. */
  billingDay?: number | null;
  /**
   * When the price was quoted (a checkout opened a little before it was paid): the first period and
   * the anniversary are counted from then. Default: now.
   */
  quotedAt?: Temporal.Instant;
  trialDays?: number;
  reason: string;
}

/** A trial of `days` days begun on `startedOn` ends at the start of the day after its last, in the customer's zone. */
export function trialEndOf(startedOn: Temporal.PlainDate, days: number, timeZone: string): Temporal.Instant {
  return startedOn.add({ days }).toZonedDateTime({ timeZone }).toInstant();
}

/**
 * Starts a subscription now. Its first period runs to the next boundary (the 1st, in the customer's
 * zone, for calendar months; the next billing day when one is chosen) and is billed by the caller,
 * prorated; a trial runs to its last day.
 */
export async function startSubscription(ctx: TenantCtx, input: StartInput): Promise<SubscriptionRow> {
  const instant = ctx.clock.now();
  const now = toDate(instant);
  const mode = input.billingMode ?? 'calendar';
  const rule = ruleAtStart({
    interval: input.interval,
    billingMode: mode,
    billingDay: input.billingDay,
    timeZone: input.timeZone,
    at: input.quotedAt ?? instant,
  });
  const { startedOn } = rule;
  const trialEnd =
    input.status === 'trialing' && input.trialDays
      ? trialEndOf(startedOn, input.trialDays, input.timeZone)
      : null;
  const periodEnd = trialEnd ?? periodContaining(rule, instant).endInstant;
  const row: SubscriptionRow = {
    org_id: ctx.tenant.orgId,
    id: newId('subscription'),
    customer_id: input.customerId,
    plan_issuer_id: input.plan.issuerId,
    plan_id: input.plan.planId,
    plan_version_id: input.plan.versionId,
    status: input.status,
    started_at: now,
    ended_at: null,
    created_at: now,
    billing_mode: mode,
    anchor_day: rule.anchorDay,
    anchor_month: rule.startedOn.month,
    time_zone: input.timeZone,
    current_period_start: now,
    current_period_end: toDate(periodEnd),
    trial_end: trialEnd ? toDate(trialEnd) : null,
    cancel_at_period_end: false,
    cancelled_at: null,
    paused_at: null,
    paused_for_payment: false,
    ...NO_PENDING_CHANGE,
    updated_at: now,
  };
  await ctx.db.insertInto('subscriptions').values(row).execute();
  await recordEvent(ctx, row, {
    kind: 'created',
    from_status: null,
    to_status: row.status,
    plan_version_id: row.plan_version_id,
    reason: input.reason,
  });
  await recordAudit(ctx, {
    action: 'subscription.started',
    targetType: 'subscription',
    targetId: row.id,
    after: { plan_id: row.plan_id, plan_version_id: row.plan_version_id, status: row.status },
  });
  await events.emit(ctx, 'subscription.created', presentSubscription(row));
  return row;
}

/**
 * Moves a subscription to another state, if the lifecycle allows it, with the reason in its history.
 * `forPayment` marks a pause made by dunning, which paying what is owed lifts.
 */
export async function transition(
  ctx: TenantCtx,
  row: SubscriptionRow,
  to: SubscriptionStatus,
  reason: string,
  options: { forPayment?: boolean } = {},
): Promise<SubscriptionRow> {
  if (row.status === to) return row;
  if (!allowed[row.status].includes(to)) {
    throw conflict('subscription.invalid_transition', `A ${row.status} subscription cannot become ${to}`);
  }
  const now = toDate(ctx.clock.now());
  const updated = await scoped(ctx)
    .updateTable('subscriptions')
    .set({
      status: to,
      updated_at: now,
      ...(to === 'cancelled' ? { cancelled_at: now, ended_at: now, cancel_at_period_end: false } : {}),
      ...(to === 'paused' ? { paused_at: now, paused_for_payment: options.forPayment === true } : {}),
      ...(row.status === 'paused' ? { paused_at: null, paused_for_payment: false } : {}),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(ctx, row, {
    kind: 'status_changed',
    from_status: row.status,
    to_status: to,
    plan_version_id: row.plan_version_id,
    reason,
  });
  await recordAudit(ctx, {
    action: `subscription.${to}`,
    targetType: 'subscription',
    targetId: row.id,
    before: { status: row.status },
    after: { status: to, reason },
  });
  await events.emit(
    ctx,
    to === 'cancelled' ? 'subscription.cancelled' : 'subscription.updated',
    presentSubscription(updated),
  );
  return updated;
}

/**
 * A plan change not applied yet (C17), kept on the subscription: a change now being paid for (its
 * draft invoice claims the subscription until it is issued or withdrawn), or a downgrade waiting for
 * the end of the period. One at a time.
 */
export interface PendingChange {
  plan: PlanVersionRef;
  timing: PendingChangeTiming;
  /** When it takes effect: the instant of a change now, the period's end for a waiting one. */
  at: Temporal.Instant;
  /** The end of the new plan's first period when the change starts one (another interval). */
  periodEnd: Temporal.Instant | null;
  /** The draft invoice of a change now. */
  invoiceId: string | null;
}

const NO_PENDING_CHANGE = {
  pending_plan_id: null,
  pending_plan_version_id: null,
  pending_change_timing: null,
  pending_change_at: null,
  pending_period_end: null,
  pending_invoice_id: null,
} as const;

export function pendingChangeOf(row: SubscriptionRow): PendingChange | null {
  if (!row.pending_plan_id || !row.pending_plan_version_id || !row.pending_change_timing) return null;
  if (!row.pending_change_at) return null;
  return {
    plan: {
      issuerId: row.plan_issuer_id,
      planId: row.pending_plan_id,
      versionId: row.pending_plan_version_id,
    },
    timing: row.pending_change_timing,
    at: fromDate(row.pending_change_at),
    periodEnd: row.pending_period_end ? fromDate(row.pending_period_end) : null,
    invoiceId: row.pending_invoice_id,
  };
}

/** The downgrade waiting for the end of the period, if one is. */
export function scheduledChangeOf(row: SubscriptionRow): PendingChange | null {
  const pending = pendingChangeOf(row);
  return pending?.timing === 'period_end' ? pending : null;
}

/**
 * The subscription is billed by another plan version from now on; whatever change was pending is
 * done. `period`: the current period from now on (a new interval's first period, or the rest of the
 * same one from the change); `anchor`: the billing day and month a restarted anniversary counts from.
 */
export async function changePlanVersion(
  ctx: TenantCtx,
  row: SubscriptionRow,
  plan: PlanVersionRef,
  reason: string,
  moves: {
    period?: { start: Temporal.Instant; end: Temporal.Instant };
    anchor?: { day: number; month: number };
  } = {},
): Promise<SubscriptionRow> {
  const { period, anchor } = moves;
  const updated = await scoped(ctx)
    .updateTable('subscriptions')
    .set({
      ...(period
        ? { current_period_start: toDate(period.start), current_period_end: toDate(period.end) }
        : {}),
      ...(anchor ? { anchor_day: anchor.day, anchor_month: anchor.month } : {}),
      plan_issuer_id: plan.issuerId,
      plan_id: plan.planId,
      plan_version_id: plan.versionId,
      ...NO_PENDING_CHANGE,
      updated_at: toDate(ctx.clock.now()),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(ctx, row, {
    kind: 'plan_changed',
    from_status: row.status,
    to_status: row.status,
    plan_version_id: plan.versionId,
    reason,
  });
  await recordAudit(ctx, {
    action: 'subscription.plan_changed',
    targetType: 'subscription',
    targetId: row.id,
    before: { plan_id: row.plan_id, plan_version_id: row.plan_version_id },
    after: { plan_id: plan.planId, plan_version_id: plan.versionId, reason },
  });
  await events.emit(ctx, 'subscription.updated', presentSubscription(updated));
  return updated;
}

/** A downgrade (or its withdrawal, with null) to apply when the current period ends. */
export async function schedulePlan(
  ctx: TenantCtx,
  row: SubscriptionRow,
  plan: PlanVersionRef | null,
  reason: string,
): Promise<SubscriptionRow> {
  const updated = await writePendingChange(
    ctx,
    row,
    plan
      ? { plan, timing: 'period_end', at: fromDate(row.current_period_end), periodEnd: null, invoiceId: null }
      : null,
  );
  await recordEvent(ctx, row, {
    kind: plan ? 'plan_scheduled' : 'schedule_cleared',
    from_status: row.status,
    to_status: row.status,
    plan_version_id: plan?.versionId ?? null,
    reason,
  });
  await recordAudit(ctx, {
    action: plan ? 'subscription.plan_scheduled' : 'subscription.schedule_cleared',
    targetType: 'subscription',
    targetId: row.id,
    after: { plan_id: plan?.planId ?? null, plan_version_id: plan?.versionId ?? null, reason },
  });
  await events.emit(ctx, 'subscription.updated', presentSubscription(updated));
  return updated;
}

/**
 * A change now is claimed by its draft invoice (`change.invoiceId`), or the claim is withdrawn (null)
 * when its card is declined. Neither is a change the customer sees: no history, no event; the
 * change, once paid, is (changePlanVersion).
 */
export async function claimChange(
  ctx: TenantCtx,
  row: SubscriptionRow,
  change: (PendingChange & { timing: 'now'; invoiceId: string }) | null,
): Promise<SubscriptionRow> {
  return writePendingChange(ctx, row, change, { touch: false });
}

async function writePendingChange(
  ctx: TenantCtx,
  row: SubscriptionRow,
  change: PendingChange | null,
  options: { touch: boolean } = { touch: true },
): Promise<SubscriptionRow> {
  return scoped(ctx)
    .updateTable('subscriptions')
    .set({
      ...(change
        ? {
            pending_plan_id: change.plan.planId,
            pending_plan_version_id: change.plan.versionId,
            pending_change_timing: change.timing,
            pending_change_at: toDate(change.at),
            pending_period_end: change.periodEnd ? toDate(change.periodEnd) : null,
            pending_invoice_id: change.invoiceId,
          }
        : NO_PENDING_CHANGE),
      ...(options.touch ? { updated_at: toDate(ctx.clock.now()) } : {}),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Cancel at the end of the period (or keep it going again). */
export async function setCancelAtPeriodEnd(
  ctx: TenantCtx,
  row: SubscriptionRow,
  cancel: boolean,
  reason: string,
): Promise<SubscriptionRow> {
  if (row.status === 'cancelled') throw conflict('subscription.cancelled', 'This subscription has ended');
  const updated = await scoped(ctx)
    .updateTable('subscriptions')
    .set({ cancel_at_period_end: cancel, updated_at: toDate(ctx.clock.now()) })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(ctx, row, {
    kind: cancel ? 'cancel_scheduled' : 'cancel_withdrawn',
    from_status: row.status,
    to_status: row.status,
    plan_version_id: row.plan_version_id,
    reason,
  });
  await recordAudit(ctx, {
    action: cancel ? 'subscription.cancel_scheduled' : 'subscription.cancel_withdrawn',
    targetType: 'subscription',
    targetId: row.id,
    after: { cancel_at_period_end: cancel, reason },
  });
  await events.emit(ctx, 'subscription.updated', presentSubscription(updated));
  return updated;
}

/** The next period has begun: the subscription's current period moves on. */
export async function advancePeriod(
  ctx: TenantCtx,
  row: SubscriptionRow,
  period: { start: Temporal.Instant; end: Temporal.Instant },
): Promise<SubscriptionRow> {
  return scoped(ctx)
    .updateTable('subscriptions')
    .set({
      current_period_start: toDate(period.start),
      current_period_end: toDate(period.end),
      updated_at: toDate(ctx.clock.now()),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * `advancePeriod` for many subscriptions in one statement (the billing run's batches). Returns the
 * rows as they now are, in no particular order.
 */
export async function advancePeriods(
  ctx: Ctx,
  moves: readonly { row: SubscriptionRow; period: { start: Temporal.Instant; end: Temporal.Instant } }[],
): Promise<SubscriptionRow[]> {
  if (moves.length === 0) return [];
  const now = toDate(ctx.clock.now());
  // Four arrays rather than four parameters a row: one statement whatever the batch's size.
  const { rows } = await sql<SubscriptionRow>`
    update subscriptions s
    set current_period_start = v.period_start, current_period_end = v.period_end, updated_at = ${now}
    from unnest(
      ${moves.map((m) => m.row.org_id)}::text[], ${moves.map((m) => m.row.id)}::text[],
      ${moves.map((m) => m.period.start.toString())}::timestamptz[],
      ${moves.map((m) => m.period.end.toString())}::timestamptz[]
    ) as v (org_id, id, period_start, period_end)
    where s.org_id = v.org_id and s.id = v.id
    returning s.*`.execute(ctx.db);
  return rows;
}

/** The statuses whose periods renew: a paused or cancelled subscription is not billed. */
export const RENEWABLE: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due', 'unpaid'];

/**
 * Subscriptions whose period ended by `now`, in the order the billing run takes them, after
 * `after` (the last one of the previous batch), without locking: a batch's candidates, across the
 * organizations in `scope` on purpose.
 */
export async function dueForRenewal(
  ctx: Ctx,
  now: Date,
  scope: BillingScope,
  options: { after?: { periodEnd: Date; id: string }; limit: number },
): Promise<{ org_id: string; id: string; current_period_end: Date }[]> {
  let query = ctx.db
    .selectFrom('subscriptions')
    .select(['org_id', 'id', 'current_period_end'])
    .where('status', 'in', RENEWABLE)
    .where('current_period_end', '<=', now)
    .where(inScope(scope));
  const { after } = options;
  if (after) query = query.where(sql<boolean>`(current_period_end, id) > (${after.periodEnd}, ${after.id})`);
  return query.orderBy('current_period_end').orderBy('id').limit(options.limit).execute();
}

/**
 * Several subscriptions (a batch of the billing run, across organizations), locked until the
 * transaction ends, in the order of their keys: two batches wait for each other, never deadlock.
 */
export async function lockSubscriptions(
  ctx: Ctx,
  refs: readonly { org_id: string; id: string }[],
): Promise<SubscriptionRow[]> {
  if (refs.length === 0) return [];
  return ctx.db
    .selectFrom('subscriptions')
    .selectAll()
    .where(refsIn(refs))
    .orderBy('org_id')
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * Locks those of `candidates` that are still due, skipping any another worker holds: the batch's
 * subscriptions, for the rest of its transaction.
 */
export async function lockDue(
  ctx: Ctx,
  now: Date,
  candidates: readonly { org_id: string; id: string }[],
): Promise<SubscriptionRow[]> {
  if (candidates.length === 0) return [];
  return ctx.db
    .selectFrom('subscriptions')
    .selectAll()
    .where(refsIn(candidates))
    .where('status', 'in', RENEWABLE)
    .where('current_period_end', '<=', now)
    .orderBy('current_period_end')
    .orderBy('id')
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function subscriptionHistory(
  ctx: TenantCtx,
  subscriptionId: string,
): Promise<SubscriptionEventRow[]> {
  return scoped(ctx)
    .selectFrom('subscription_events')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .orderBy('occurred_at')
    .orderBy('seq')
    .execute();
}

export function presentSubscription(row: SubscriptionRow): SubscriptionObject {
  return {
    id: row.id,
    object: 'subscription',
    org_id: row.org_id,
    customer_id: row.customer_id,
    plan_id: row.plan_id,
    plan_version_id: row.plan_version_id,
    status: row.status,
    billing_mode: row.billing_mode,
    billing_day: row.anchor_day,
    time_zone: row.time_zone,
    current_period_start: row.current_period_start.toISOString(),
    current_period_end: row.current_period_end.toISOString(),
    trial_end: row.trial_end?.toISOString() ?? null,
    cancel_at_period_end: row.cancel_at_period_end,
    scheduled_plan_id: row.pending_change_timing === 'period_end' ? row.pending_plan_id : null,
    started_at: row.started_at.toISOString(),
    paused_at: row.paused_at?.toISOString() ?? null,
    paused_for_payment: row.paused_for_payment,
    cancelled_at: row.cancelled_at?.toISOString() ?? null,
    ended_at: row.ended_at?.toISOString() ?? null,
  };
}
