import { recordAudit } from '../access/index.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { SubscriptionRow } from '../db/schema.js';
import { toDate } from '../time/index.js';
import type { SubscriptionObject } from './subscription.schema.js';

/**
 * A subscription holds the plan version a customer is billed by. The version is fixed when the
 * subscription starts and never changes under it (C7): a customer moves to another plan or a newer
 * version by ending this subscription and starting the next.
 */

export interface PlanVersionRef {
  issuerId: string;
  planId: string;
  versionId: string;
}

export async function activeSubscriptions(ctx: Ctx, orgId: string): Promise<SubscriptionRow[]> {
  return ctx.db
    .selectFrom('subscriptions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('status', '=', 'active')
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .execute();
}

export async function listSubscriptions(ctx: Ctx, orgId: string): Promise<SubscriptionRow[]> {
  return ctx.db
    .selectFrom('subscriptions')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(200)
    .execute();
}

export async function startSubscription(
  ctx: Ctx,
  input: { orgId: string; customerId: string; plan: PlanVersionRef },
): Promise<SubscriptionRow> {
  const now = toDate(ctx.clock.now());
  const row: SubscriptionRow = {
    org_id: input.orgId,
    id: newId('subscription'),
    customer_id: input.customerId,
    plan_issuer_id: input.plan.issuerId,
    plan_id: input.plan.planId,
    plan_version_id: input.plan.versionId,
    status: 'active',
    started_at: now,
    ended_at: null,
    created_at: now,
  };
  await ctx.db.insertInto('subscriptions').values(row).execute();
  await recordAudit(ctx, {
    orgId: input.orgId,
    action: 'subscription.started',
    targetType: 'subscription',
    targetId: row.id,
    after: { plan_id: row.plan_id, plan_version_id: row.plan_version_id },
  });
  return row;
}

/** Ends the organization's active subscriptions and starts one on the given plan version. */
export async function moveToPlan(
  ctx: Ctx,
  input: { orgId: string; customerId: string; plan: PlanVersionRef },
): Promise<SubscriptionRow> {
  const ended = await ctx.db
    .updateTable('subscriptions')
    .set({ status: 'ended', ended_at: toDate(ctx.clock.now()) })
    .where('org_id', '=', input.orgId)
    .where('status', '=', 'active')
    .returning(['id', 'plan_id', 'plan_version_id'])
    .execute();
  for (const previous of ended) {
    await recordAudit(ctx, {
      orgId: input.orgId,
      action: 'subscription.ended',
      targetType: 'subscription',
      targetId: previous.id,
      before: { status: 'active' },
      after: { status: 'ended', moved_to_plan: input.plan.planId, moved_to_version: input.plan.versionId },
    });
  }
  return startSubscription(ctx, input);
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
    started_at: row.started_at.toISOString(),
    ended_at: row.ended_at?.toISOString() ?? null,
  };
}
