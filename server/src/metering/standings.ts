import type { Ctx } from '../context.js';
import type { Tenant } from '../tenant.js';
import { NOT_NAMED } from './entitlement-customers.js';
import { type StandingRequest, standingsTogether } from './entitlement-statements.js';
import type { EntitlementTerms } from './entitlement-terms.js';

/**
 * What many organizations use of their features and metrics, read in one statement: a round of
 * the alerts' evaluation (flows/usage-alerts.ts) reads every organization's as entitlement checks
 * read theirs (entitlement-statements.ts, the same statement): the units consumed and not released
 * plus this period's metered usage of the metric named like the code, in whole units, with whether
 * the terms the caller holds still hold.
 */

/** One organization's codes to read, under the terms the caller holds for it. */
export interface UsedRequest {
  tenant: Tenant;
  terms: EntitlementTerms;
  codes: readonly string[];
}

/** What the statement found of one organization: whether its terms hold, and the use of each code. */
export interface UsedStanding {
  /** The stamps were those the terms were loaded under: what was read may be relied on. */
  termsHold: boolean;
  used: Map<string, bigint>;
}

/**
 * Each organization's use of its codes, by organization. An organization whose terms no longer hold
 * was read under terms that changed (another metric, another period), and is to be read again on
 * terms reloaded. One with no code to read is asked for none (a feature of no name) so that its
 * terms are checked all the same.
 */
export async function readUsed(
  ctx: Ctx,
  requests: readonly UsedRequest[],
): Promise<Map<string, UsedStanding>> {
  const asked: StandingRequest[] = requests.flatMap(({ tenant, terms, codes }) =>
    (codes.length > 0 ? codes : ['']).map((feature) => ({
      ctx: { ...ctx, tenant },
      terms,
      feature,
      name: NOT_NAMED,
      change: undefined,
    })),
  );
  const standings = await standingsTogether(ctx.db, asked);
  const found = new Map<string, UsedStanding>();
  for (const [i, request] of asked.entries()) {
    const standing = standings[i];
    if (!standing) continue;
    const orgId = request.ctx.tenant.orgId;
    let read = found.get(orgId);
    if (!read) {
      read = { termsHold: true, used: new Map() };
      found.set(orgId, read);
    }
    read.termsHold &&= standing.termsHold;
    if (request.feature !== '') read.used.set(request.feature, standing.consumed + standing.metered);
  }
  return found;
}
