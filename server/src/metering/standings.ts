import { type RawBuilder, sql } from 'kysely';
import type { Ctx } from '../context.js';
import type { MetricRow } from '../db/schema.js';
import type { Tenant } from '../tenant.js';
import type { EntitlementTerms, Stamps } from './entitlement-terms.js';
import { periodTotalExpression } from './totals.js';

/**
 * What many organizations use of their features and metrics, read in one statement: a round of
 * the alerts' evaluation (flows/usage-alerts.ts) reads every organization's in the statement that
 * reads their stamps, as an entitlement check reads one feature's (entitlements.ts), and counts
 * alike: the units consumed and not released plus this period's metered usage of the metric named
 * like the code, rounded up to whole units.
 */

/** One organization's codes to read, under the terms the caller holds for it. */
export interface UsedRequest {
  tenant: Tenant;
  terms: EntitlementTerms;
  codes: readonly string[];
}

/** What the statement found of one organization: its stamps now, and the use of each code asked. */
export interface UsedStanding {
  stamps: Stamps;
  used: Map<string, bigint>;
}

interface UsedRow {
  org_id: string;
  code: string | null;
  customer_stamp: string | null;
  issuer_stamp: string | null;
  consumed: string | bigint;
  metered: string | bigint;
}

/**
 * Each organization's stamps and the use of its codes, by organization. Only what the stamps say
 * is current may be relied on: an organization whose stamps are not its terms' was read under terms
 * that no longer hold (another metric, another period), and is to be read again on terms reloaded.
 */
export async function readUsed(
  ctx: Ctx,
  requests: readonly UsedRequest[],
): Promise<Map<string, UsedStanding>> {
  if (requests.length === 0) return new Map();
  // One row per (organization, code), and one with no code for the stamps of an organization with
  // none; each row names its metric by its place among the distinct metrics the terms hold, so the
  // statement has one total expression per metric, however many organizations use it.
  const metrics: MetricRow[] = [];
  const metricIndex = new Map<string, number>();
  const indexOf = (metric: MetricRow | undefined) => {
    if (!metric) return null;
    // By content: terms loaded apart hold equal metrics in objects of their own.
    const key = JSON.stringify(metric, (_, value) => (typeof value === 'bigint' ? value.toString() : value));
    let index = metricIndex.get(key);
    if (index === undefined) {
      index = metrics.push(metric) - 1;
      metricIndex.set(key, index);
    }
    return index;
  };
  const pairs = requests.flatMap(({ tenant, terms, codes }) =>
    [null, ...codes].map((code) => ({
      orgId: tenant.orgId,
      issuerId: tenant.issuerId,
      code,
      metric: code === null ? null : indexOf(terms.metrics.get(code)),
      from: terms.allowance.period.from.toISOString(),
      to: terms.allowance.period.to.toISOString(),
    })),
  );
  const span = { from: sql<Date>`pair.period_from`, to: sql<Date>`pair.period_to` };
  const metered: RawBuilder<unknown> =
    metrics.length === 0
      ? sql`null`
      : sql`case pair.metric ${sql.join(
          metrics.map(
            (metric, index) =>
              sql`when ${sql.lit(index)} then (${periodTotalExpression(ctx, sql<string>`pair.org_id`, metric, span)})`,
          ),
          sql` `,
        )} end`;
  const { rows } = await sql<UsedRow>`
    select pair.org_id, pair.code,
      (select stamp::text from entitlement_stamps where org_id = pair.org_id) as customer_stamp,
      (select stamp::text from entitlement_stamps where org_id = pair.issuer_id) as issuer_stamp,
      coalesce((select used from entitlement_counters
        where org_id = pair.org_id and feature = pair.code), 0) as consumed,
      -- Limits are whole units: a fraction used counts as a unit begun.
      ceil(coalesce((${metered})::numeric, 0))::int8 as metered
    from unnest(${pairs.map((p) => p.orgId)}::text[], ${pairs.map((p) => p.issuerId)}::text[],
        ${pairs.map((p) => p.code)}::text[], ${pairs.map((p) => p.metric)}::int4[],
        ${pairs.map((p) => p.from)}::timestamptz[], ${pairs.map((p) => p.to)}::timestamptz[])
      as pair(org_id, issuer_id, code, metric, period_from, period_to)`.execute(ctx.db);
  const found = new Map<string, UsedStanding>();
  for (const row of rows) {
    let standing = found.get(row.org_id);
    if (!standing) {
      standing = { stamps: { customer: row.customer_stamp, issuer: row.issuer_stamp }, used: new Map() };
      found.set(row.org_id, standing);
    }
    if (row.code !== null) standing.used.set(row.code, BigInt(row.consumed) + BigInt(row.metered));
  }
  return found;
}
