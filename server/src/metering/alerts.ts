import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../access/index.js';
import { amountInput, idOf, timestamp } from '../api-shapes.js';
import { type Ctx, withTransaction } from '../context.js';
import { newId } from '../db/ids.js';
import type { UsageAlertRow, UsageThresholdCrossingRow } from '../db/schema.js';
import { conflict, notFound } from '../errors.js';
import * as events from '../events/index.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { Span } from './totals.js';

/**
 * Usage alerts (C24): thresholds on what a subscription uses and on its upcoming invoice, each told
 * once per period as a `usage.threshold_reached` webhook, and `usage.threshold_resolved` when usage
 * goes back below it in the same period (units released).
 *
 * The plan's thresholds need no setting: 80% and 100% of each limit with a number. A customer adds
 * its own per subscription (`usage_alerts`). Whether a threshold is reached is decided by the
 * evaluation (flows/usage-alerts.ts); this module keeps the alerts, the organizations waiting to be
 * evaluated, and the crossings: a crossing is a row claimed with ON CONFLICT DO NOTHING in the
 * transaction that emits its event, so concurrent evaluations tell it exactly once.
 */

/** The plan's own thresholds, as shares of each limit. */
export const LIMIT_PERCENTS = [80, 100] as const;

export const usageAlertParams = z.strictObject({ subscription_id: idOf('subscription') });
export const usageAlertItemParams = usageAlertParams.extend({ alert_id: idOf('usageAlert') });

export const createUsageAlertBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('usage'),
    metric: z
      .string()
      .min(1)
      .max(63)
      .describe('A metric or feature code: its use this period, in whole units'),
    threshold: z.number().int().min(1).max(1_000_000_000_000).describe('Units'),
  }),
  z.strictObject({
    type: z.literal('invoice_amount'),
    threshold: amountInput(1).describe("The upcoming invoice's total, minor units of its currency"),
  }),
]);
export type CreateUsageAlertInput = z.infer<typeof createUsageAlertBody>;

export const usageAlertObject = z.object({
  id: z.string(),
  object: z.literal('usage_alert'),
  subscription_id: z.string(),
  type: z.enum(['usage', 'invoice_amount']),
  metric: z.string().nullable(),
  threshold: z.number().int(),
  created_at: timestamp,
});

/** What `usage.threshold_reached` and `usage.threshold_resolved` carry. */
export const usageThresholdObject = z.object({
  id: z.string(),
  object: z.literal('usage_threshold'),
  subscription_id: z.string().nullable(),
  alert_id: z
    .string()
    .nullable()
    .describe("The customer's alert; null for the plan's 80% and 100% of a limit"),
  type: z.enum(['usage', 'invoice_amount']),
  metric: z.string().nullable(),
  percent: z.number().int().nullable().describe("The share of the plan's limit, for the plan's thresholds"),
  threshold: z.number().int().describe("Units, or the invoice's minor units"),
  currency: z.string().nullable(),
  period_start: timestamp,
  period_end: timestamp,
  reached_value: z.number().int(),
  reached_at: timestamp,
  resolved_value: z.number().int().nullable(),
  resolved_at: timestamp.nullable(),
});

export function presentAlert(row: UsageAlertRow): z.infer<typeof usageAlertObject> {
  return {
    id: row.id,
    object: 'usage_alert',
    subscription_id: row.subscription_id,
    type: row.metric === null ? 'invoice_amount' : 'usage',
    metric: row.metric,
    threshold: Number(row.threshold),
    created_at: row.created_at.toISOString(),
  };
}

export function presentCrossing(row: UsageThresholdCrossingRow): z.infer<typeof usageThresholdObject> {
  return {
    id: row.id,
    object: 'usage_threshold',
    subscription_id: row.subscription_id,
    alert_id: row.alert_id,
    type: row.metric === null ? 'invoice_amount' : 'usage',
    metric: row.metric,
    percent: row.percent,
    threshold: Number(row.threshold),
    currency: row.currency,
    period_start: row.period_start.toISOString(),
    period_end: row.period_end.toISOString(),
    reached_value: Number(row.reached_value),
    reached_at: row.reached_at.toISOString(),
    resolved_value: row.resolved_value === null ? null : Number(row.resolved_value),
    resolved_at: row.resolved_at?.toISOString() ?? null,
  };
}

/** Adds a threshold to the tenant's subscription `subscriptionId` (which the caller has found). */
export async function createAlert(
  ctx: TenantCtx,
  subscriptionId: string,
  input: CreateUsageAlertInput,
): Promise<UsageAlertRow> {
  const metric = input.type === 'usage' ? input.metric : null;
  if (metric !== null && !(await isMeasured(ctx, metric))) {
    throw notFound('metric.not_found', `No metric or feature has the code ${metric}`);
  }
  const values = {
    id: newId('usageAlert'),
    subscription_id: subscriptionId,
    metric,
    threshold: BigInt(input.threshold),
    created_at: toDate(ctx.clock.now()),
  };
  const inserted = await scoped(ctx)
    .insertInto('usage_alerts', values)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    throw conflict('usage_alert.exists', 'This subscription already has an alert at this threshold');
  }
  await recordAudit(ctx, {
    action: 'usage_alert.created',
    targetType: 'usage_alert',
    targetId: inserted.id,
    after: { subscription_id: subscriptionId, metric, threshold: input.threshold },
  });
  await noteUsageChanged(ctx);
  return inserted;
}

/** Whether the issuer measures `code`: a metric sends it as events, a feature consumes it. */
async function isMeasured(ctx: TenantCtx, code: string): Promise<boolean> {
  const [metric, feature] = await Promise.all([
    scoped(ctx, 'issuer').selectFrom('metrics').select('code').where('code', '=', code).executeTakeFirst(),
    scoped(ctx, 'issuer').selectFrom('features').select('code').where('code', '=', code).executeTakeFirst(),
  ]);
  return metric !== undefined || feature !== undefined;
}

/** A subscription's alerts, oldest first, a page at a time; the cursor is an alert's id. */
export async function listAlerts(
  ctx: TenantCtx,
  subscriptionId: string,
  page: PageRequest,
): Promise<Slice<UsageAlertRow>> {
  const alerts = () => scoped(ctx).selectFrom('usage_alerts').where('subscription_id', '=', subscriptionId);
  return listPage(
    alerts().selectAll(),
    {
      by: [
        ['usage_alerts.created_at', 'asc'],
        ['usage_alerts.id', 'asc'],
      ],
      id: 'usage_alerts.id',
      cursorFrom: alerts(),
      noun: 'usage alert',
    },
    page,
  );
}

/** The alerts of the tenant's subscriptions `subscriptionIds`, oldest first. */
export async function alertsOf(ctx: TenantCtx, subscriptionIds: readonly string[]): Promise<UsageAlertRow[]> {
  if (subscriptionIds.length === 0) return [];
  return scoped(ctx)
    .selectFrom('usage_alerts')
    .selectAll()
    .where('subscription_id', 'in', subscriptionIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/**
 * The alerts of the organizations `orgIds` (a round of evaluations), oldest first: those of
 * subscriptions no longer live too, which the caller sets aside as `alertsOf` leaves them out.
 */
export async function alertsOfOrganizations(ctx: Ctx, orgIds: readonly string[]): Promise<UsageAlertRow[]> {
  if (orgIds.length === 0) return [];
  return ctx.db
    .selectFrom('usage_alerts')
    .selectAll()
    .where(sql<boolean>`org_id = any(${[...orgIds]}::text[])`)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function deleteAlert(
  ctx: TenantCtx,
  subscriptionId: string,
  alertId: string,
): Promise<UsageAlertRow> {
  const row = await scoped(ctx)
    .deleteFrom('usage_alerts')
    .where('subscription_id', '=', subscriptionId)
    .where('id', '=', alertId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('usage_alert.not_found', 'No such alert on this subscription');
  await recordAudit(ctx, {
    action: 'usage_alert.deleted',
    targetType: 'usage_alert',
    targetId: alertId,
    before: { metric: row.metric, threshold: Number(row.threshold), subscription_id: subscriptionId },
  });
  return row;
}

/** The crossings of the tenant's periods that have not ended (reached, and maybe resolved since). */
export async function currentCrossings(
  ctx: TenantCtx,
  page: PageRequest,
): Promise<Slice<UsageThresholdCrossingRow>> {
  return listPage(
    scoped(ctx)
      .selectFrom('usage_threshold_crossings')
      .selectAll()
      .where('period_end', '>', toDate(ctx.clock.now())),
    {
      by: [
        ['usage_threshold_crossings.reached_at', 'asc'],
        ['usage_threshold_crossings.id', 'asc'],
      ],
      id: 'usage_threshold_crossings.id',
      cursorFrom: scoped(ctx).selectFrom('usage_threshold_crossings'),
      noun: 'threshold crossing',
    },
    page,
  );
}

/**
 * Records that the tenant's usage changed, in the caller's transaction: its thresholds are
 * evaluated after it commits (or, after a crash, by the next evaluation). Appended, never updated.
 */
export async function noteUsageChanged(ctx: TenantCtx): Promise<void> {
  await scoped(ctx)
    .insertInto('usage_alert_checks', { noted_at: toDate(ctx.clock.now()) })
    .execute();
}

/** Organizations waiting to be evaluated, the longest waiting first. */
export async function organizationsToCheck(ctx: Ctx, limit: number): Promise<string[]> {
  const { rows } = await sql<{ org_id: string }>`
    select org_id from usage_alert_checks group by org_id order by min(seq) limit ${limit}`.execute(ctx.db);
  return rows.map((row) => row.org_id);
}

/**
 * Takes the tenant's waiting checks in the caller's transaction: they are gone when it commits, and
 * back if it rolls back. Rows another evaluation holds are skipped (it is evaluating them). False
 * when there were none to take.
 */
export async function takeChecks(ctx: TenantCtx): Promise<boolean> {
  return (await takeRoundChecks(ctx, [ctx.tenant.orgId])).length > 0;
}

/**
 * `takeChecks` for a round of organizations in one statement: returns those whose checks it took
 * (none of an organization another evaluation holds them all of, or that had none left).
 */
export async function takeRoundChecks(ctx: Ctx, orgIds: readonly string[]): Promise<string[]> {
  if (orgIds.length === 0) return [];
  const ids = [...orgIds];
  const { rows } = await sql<{ org_id: string }>`
    delete from usage_alert_checks where org_id = any(${ids}::text[]) and seq in (
      select seq from usage_alert_checks where org_id = any(${ids}::text[]) for update skip locked)
    returning org_id`.execute(ctx.db);
  return [...new Set(rows.map((row) => row.org_id))];
}

/** A threshold as evaluated now: where it lies and how much is used. */
export interface ThresholdStanding {
  /** Which threshold: the same key in the same period is the same crossing. */
  key: string;
  period: Span;
  subscriptionId: string | null;
  alertId: string | null;
  /** null: the upcoming invoice's amount. */
  metric: string | null;
  percent: number | null;
  threshold: bigint;
  currency: string | null;
  /** Used now: units, or the invoice's minor units. */
  value: bigint;
}

export const reached = (standing: ThresholdStanding) => standing.value >= standing.threshold;

/** An organization's thresholds as one evaluation found them. */
export interface OrganizationStandings {
  orgId: string;
  standings: readonly ThresholdStanding[];
}

/** The tenant's `settleRound`. */
export async function settleThresholds(
  ctx: TenantCtx,
  standings: readonly ThresholdStanding[],
): Promise<{ reached: UsageThresholdCrossingRow[]; resolved: UsageThresholdCrossingRow[] }> {
  return settleRound(ctx, [{ orgId: ctx.tenant.orgId, standings }]);
}

/** Which crossing a standing would be: its organization, threshold and period. */
const crossingKey = (orgId: string, key: string, periodStart: Date) =>
  `${orgId} ${key} ${periodStart.getTime()}`;

/**
 * Tells what changed since the last evaluation of each organization of a round, in one transaction
 * and a fixed number of statements however many there are: each threshold newly reached this period
 * is claimed (once: a concurrent evaluation's claim makes this one's do nothing) with its
 * `usage.threshold_reached` event; each reached one that usage is below again is resolved (once)
 * with its `usage.threshold_resolved` event. Returns the crossings told.
 */
export async function settleRound(
  ctx: Ctx,
  round: readonly OrganizationStandings[],
): Promise<{ reached: UsageThresholdCrossingRow[]; resolved: UsageThresholdCrossingRow[] }> {
  const all = round.flatMap(({ orgId, standings }) => standings.map((standing) => ({ orgId, standing })));
  if (all.length === 0) return { reached: [], resolved: [] };
  return withTransaction(ctx, async (tx) => {
    const now = toDate(tx.clock.now());
    const { rows: known } = await sql<{
      org_id: string;
      id: string;
      threshold_key: string;
      period_start: Date;
      resolved_at: Date | null;
    }>`
      select crossing.org_id, crossing.id, crossing.threshold_key, crossing.period_start, crossing.resolved_at
      from usage_threshold_crossings crossing
      join unnest(${all.map((s) => s.orgId)}::text[], ${all.map((s) => s.standing.key)}::text[],
          ${all.map((s) => s.standing.period.from.toISOString())}::timestamptz[])
        as standing(org_id, threshold_key, period_start)
        on crossing.org_id = standing.org_id and crossing.threshold_key = standing.threshold_key
          and crossing.period_start = standing.period_start`.execute(tx.db);
    const crossings = new Map(
      known.map((k) => [crossingKey(k.org_id, k.threshold_key, new Date(k.period_start)), k]),
    );
    const crossingOf = ({ orgId, standing }: (typeof all)[number]) =>
      crossings.get(crossingKey(orgId, standing.key, standing.period.from));
    // Inserted in one order: concurrent evaluations of one organization (a check noted while another
    // evaluation held its first ones) queue on the same first key, not in a cycle. The resolving
    // update takes its rows in the order its join finds them; two rounds resolving the same rows in
    // opposite orders deadlock, and the one PostgreSQL stops is rolled back and evaluated one
    // organization at a time (evaluateWaiting): nothing is lost or told twice, only time.
    const inOrder = <T extends { orgId: string; key: string }>(rows: T[]) =>
      rows.sort((a, b) => (a.orgId === b.orgId ? cmp(a.key, b.key) : cmp(a.orgId, b.orgId)));
    const newlyReached = inOrder(
      all
        .filter((s) => reached(s.standing) && !crossingOf(s))
        .map((s) => ({ ...s, key: `${s.standing.key} ${s.standing.period.from.toISOString()}` })),
    );
    const nowBelow = inOrder(
      all.flatMap((s) => {
        const crossing = crossingOf(s);
        return crossing && crossing.resolved_at === null && !reached(s.standing)
          ? [{ orgId: s.orgId, key: crossing.id, id: crossing.id, value: s.standing.value }]
          : [];
      }),
    );
    const claimed =
      newlyReached.length === 0
        ? []
        : await tx.db
            .insertInto('usage_threshold_crossings')
            .values(
              newlyReached.map(({ orgId, standing: s }) => ({
                org_id: orgId,
                id: newId('usageThreshold'),
                threshold_key: s.key,
                period_start: s.period.from,
                period_end: s.period.to,
                subscription_id: s.subscriptionId,
                alert_id: s.alertId,
                metric: s.metric,
                percent: s.percent,
                threshold: s.threshold,
                currency: s.currency,
                reached_value: s.value,
                reached_at: now,
              })),
            )
            .onConflict((oc) => oc.columns(['org_id', 'threshold_key', 'period_start']).doNothing())
            .returningAll()
            .execute();
    // `resolved_at is null` is checked again under each row's lock: a concurrent resolution wins once.
    const { rows: resolved } =
      nowBelow.length === 0
        ? { rows: [] }
        : await sql<UsageThresholdCrossingRow>`
            update usage_threshold_crossings crossing
            set resolved_at = ${now}, resolved_value = below.value
            from unnest(${nowBelow.map((b) => b.orgId)}::text[], ${nowBelow.map((b) => b.id)}::text[],
                ${nowBelow.map((b) => b.value.toString())}::int8[]) as below(org_id, id, value)
            where crossing.org_id = below.org_id and crossing.id = below.id and crossing.resolved_at is null
            returning crossing.*`.execute(tx.db);
    await events.emitMany(tx, [
      ...claimed.map((row) => ({
        orgId: row.org_id,
        type: 'usage.threshold_reached' as const,
        object: presentCrossing(row),
      })),
      ...resolved.map((row) => ({
        orgId: row.org_id,
        type: 'usage.threshold_resolved' as const,
        object: presentCrossing(row),
      })),
    ]);
    return { reached: claimed, resolved };
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
