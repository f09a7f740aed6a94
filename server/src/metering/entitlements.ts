import { type RawBuilder, sql } from 'kysely';
import type { LimitInput } from '../catalog/index.js';
import type { BillingCustomerRow } from '../db/schema.js';
import { conflict } from '../errors.js';
import type { TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import {
  type EntitlementTerms,
  entitlementTerms,
  type Stamps,
  sameStamps,
  stampColumns,
} from './entitlement-terms.js';
import type { EntitlementObject } from './metering.schema.js';
import { periodTotalExpression } from './totals.js';

export { allowanceOf, type PlanAllowance } from './entitlement-terms.js';

/**
 * A CTE that notes a usage change for the alerts (alerts.ts) when the statement's `changed` CTE
 * wrote a row: in the same statement, so a unit counted is never left without its note, and without
 * a round trip of its own.
 */
function notedAlong(ctx: TenantCtx, changed: 'recorded' | 'released', now: Date): RawBuilder<unknown> {
  return sql`noted as (
        insert into usage_alert_checks (org_id, noted_at)
        select ${ctx.tenant.orgId}, ${now} from ${sql.table(changed)}
      )`;
}

/**
 * Limits at the moment of action (C22). A plan version's limits say, per feature, how many units an
 * organization may hold (hard: refused beyond it; soft: allowed and flagged; null: unlimited).
 * Without a live subscription the default (Free) plan's limits apply.
 *
 * What is used of a feature: the units consumed and not released (`entitlement_counters`: a project's
 * computations, members), plus, when a metric has the feature's code, this period's usage of it
 * (API calls sent as events, read from the rollups, so an event counts as soon as it is ingested).
 *
 * Each call is one statement on terms kept in memory (entitlement-terms.ts): it reads the terms'
 * stamps, the metered usage and the counter, and, for consume and release, changes the counter only
 * if the stamps are those the terms were loaded under. `consume` checks and records in a conditional
 * upsert of the counter row: concurrent consumers queue on that row, and each sees the others'
 * units, so a limit of 50 admits exactly 50 of 100 concurrent requests.
 */

/** Terms changing under one request this many times in a row: answered with a conflict. */
const ATTEMPTS = 3;

/** What one statement found: the stamps it ran under, and the feature's use before it acted. */
interface Standing {
  stamps: Stamps;
  /** Units consumed and not released. */
  consumed: bigint;
  /** This period's metered usage of the metric named like the feature, in whole units. */
  metered: bigint;
}

interface StandingRow {
  customer_stamp: string | null;
  issuer_stamp: string | null;
  consumed: string | bigint;
  metered: string | bigint;
}

const standingOf = (row: StandingRow): Standing => ({
  stamps: { customer: row.customer_stamp, issuer: row.issuer_stamp },
  consumed: BigInt(row.consumed),
  metered: BigInt(row.metered),
});

/**
 * The stamps, the units consumed and the metered usage of `feature`, as one row: the `standing` of
 * every statement here. Read at the statement's start, before whatever it changes.
 */
function standingQuery(ctx: TenantCtx, terms: EntitlementTerms, feature: string): RawBuilder<StandingRow> {
  const metric = terms.metrics.get(feature);
  const metered = metric
    ? periodTotalExpression(ctx, ctx.tenant.orgId, metric, terms.allowance.period)
    : sql`null`;
  return sql<StandingRow>`
    select ${stampColumns(ctx)},
      coalesce((select used from entitlement_counters
        where org_id = ${ctx.tenant.orgId} and feature = ${feature}), 0) as consumed,
      -- Limits are whole units: a fraction used counts as a unit begun.
      ceil(coalesce((${metered})::numeric, 0))::int8 as metered`;
}

/** The statement's condition that the terms still hold. */
const holds = (terms: EntitlementTerms) =>
  sql`standing.customer_stamp is not distinct from ${terms.stamps.customer}
    and standing.issuer_stamp is not distinct from ${terms.stamps.issuer}`;

/**
 * Runs `act` on the customer's terms, from memory first; when its statement finds a stamp changed
 * (it then changed nothing), again on terms loaded afresh.
 */
async function onCurrentTerms<T>(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  act: (terms: EntitlementTerms) => Promise<T | undefined>,
): Promise<T> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const result = await act(await entitlementTerms(ctx, customer, attempt > 0));
    if (result !== undefined) return result;
  }
  throw conflict('entitlement.terms_changing', "The customer's plan is changing: try again");
}

function answer(
  feature: string,
  limit: LimitInput | undefined,
  used: bigint,
  allowed: boolean,
  refusal: EntitlementObject['reason'] = 'limit_reached',
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
    reason: allowed ? null : refusal,
  };
}

const limitOf = (terms: EntitlementTerms, feature: string) =>
  terms.allowance.limits.find((l) => l.feature === feature);

/** Whether `used` units fit `limit`: always without one or under a soft one. */
const fits = (limit: LimitInput | undefined, used: bigint) =>
  limit?.limit == null || limit.mode === 'soft' || used <= BigInt(limit.limit);

/** The feature's standing under `terms`, or undefined if they changed. */
async function readStanding(
  ctx: TenantCtx,
  terms: EntitlementTerms,
  feature: string,
): Promise<Standing | undefined> {
  const { rows } = await standingQuery(ctx, terms, feature).execute(ctx.db);
  const standing = standingOf(rows[0] as StandingRow);
  return sameStamps(standing.stamps, terms.stamps) ? standing : undefined;
}

/** Refused for blocked billing: the feature's use as it is, not allowed. */
async function refusedAsUnpaid(ctx: TenantCtx, terms: EntitlementTerms, feature: string) {
  const standing = await readStanding(ctx, terms, feature);
  if (!standing) return undefined;
  const used = standing.consumed + standing.metered;
  return answer(feature, limitOf(terms, feature), used, false, 'billing_blocked');
}

/** Whether `quantity` more units of `feature` would be allowed now: a read, nothing recorded. */
export async function checkEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  return onCurrentTerms(ctx, customer, async (terms) => {
    if (terms.refusedAsUnpaid.has(feature)) return refusedAsUnpaid(ctx, terms, feature);
    const standing = await readStanding(ctx, terms, feature);
    if (!standing) return undefined;
    const limit = limitOf(terms, feature);
    const used = standing.consumed + standing.metered;
    return answer(feature, limit, used, fits(limit, used + BigInt(quantity)));
  });
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
  const now = toDate(ctx.clock.now());
  return onCurrentTerms(ctx, customer, async (terms) => {
    if (terms.refusedAsUnpaid.has(feature)) return refusedAsUnpaid(ctx, terms, feature);
    const limit = limitOf(terms, feature);
    const hard = limit?.mode === 'hard' && limit.limit !== null ? limit.limit : null;
    // The limit is checked against the counter row as it is when this statement gets its lock: a
    // concurrent consume that committed first is counted.
    const { rows } = await sql<StandingRow & { recorded: string | bigint | null }>`
      with standing as (${standingQuery(ctx, terms, feature)}),
      recorded as (
        insert into entitlement_counters as counter (org_id, feature, used, updated_at)
        select ${ctx.tenant.orgId}, ${feature}, ${quantity}, ${now} from standing
        where ${holds(terms)} and (${hard}::int8 is null or ${quantity}::int8 + standing.metered <= ${hard}::int8)
        on conflict (org_id, feature) do update set used = counter.used + ${quantity}, updated_at = ${now}
          where ${hard}::int8 is null
            or counter.used + ${quantity} + (select metered from standing) <= ${hard}::int8
        returning used
      ),
      ${notedAlong(ctx, 'recorded', now)}
      select standing.*, (select used from recorded) as recorded from standing`.execute(ctx.db);
    const row = rows[0] as StandingRow & { recorded: string | bigint | null };
    const standing = standingOf(row);
    if (!sameStamps(standing.stamps, terms.stamps)) return undefined;
    if (row.recorded !== null) return answer(feature, limit, BigInt(row.recorded) + standing.metered, true);
    return answer(feature, limit, standing.consumed + standing.metered, false);
  });
}

/** Gives `quantity` units of `feature` back (a computation deleted); never below zero. */
export async function releaseEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  const now = toDate(ctx.clock.now());
  return onCurrentTerms(ctx, customer, async (terms) => {
    const { rows } = await sql<StandingRow & { released: string | bigint | null }>`
      with standing as (${standingQuery(ctx, terms, feature)}),
      released as (
        update entitlement_counters set used = greatest(used - ${quantity}, 0), updated_at = ${now}
        where org_id = ${ctx.tenant.orgId} and feature = ${feature}
          and exists (select from standing where ${holds(terms)})
        returning used
      ),
      ${notedAlong(ctx, 'released', now)}
      select standing.*, (select used from released) as released from standing`.execute(ctx.db);
    const row = rows[0] as StandingRow & { released: string | bigint | null };
    const standing = standingOf(row);
    if (!sameStamps(standing.stamps, terms.stamps)) return undefined;
    const limit = limitOf(terms, feature);
    const used = BigInt(row.released ?? 0) + standing.metered;
    return answer(feature, limit, used, fits(limit, used));
  });
}
