import type { LimitInput } from '../catalog/index.js';
import type { Ctx } from '../context.js';
import type { BillingCustomerRow } from '../db/schema.js';
import { conflict } from '../errors.js';
import { type TenantCtx, tenantContext } from '../tenant.js';
import {
  type CustomerName,
  type NameColumns,
  NOT_NAMED,
  nameColumns,
  namedCustomer,
} from './entitlement-customers.js';
import { type Change, type Standing, standingOf } from './entitlement-statements.js';
import { type EntitlementTerms, entitlementTerms } from './entitlement-terms.js';
import type { EntitlementObject } from './metering.schema.js';

export type { CustomerName } from './entitlement-customers.js';
export { allowanceOf, type PlanAllowance } from './entitlement-terms.js';

/**
 * Limits at the moment of action (C22). A plan version's limits say, per feature, how many units an
 * organization may hold (hard: refused beyond it; soft: allowed and flagged; null: unlimited).
 * Without a live subscription the default (Free) plan's limits apply.
 *
 * What is used of a feature: the units consumed and not released (`entitlement_counters`: a project's
 * computations, members), plus, when a metric has the feature's code, this period's usage of it
 * (API calls sent as events, read from the rollups, so an event counts as soon as it is ingested).
 *
 * Each call is one statement on terms kept in memory (entitlement-terms.ts), and on the customer its
 * name led to (entitlement-customers.ts), shared with the calls that arrive at the same time
 * (entitlement-statements.ts): it reads the terms' stamps, that the name still leads to the customer,
 * the metered usage and the counter, and, for consume and release, changes the counter only if all
 * of them hold. `consume` checks and records in a conditional upsert of the counter row: concurrent
 * consumers queue on that row, and each sees the others' units, so a limit of 50 admits exactly 50
 * of 100 concurrent requests.
 */

export type EntitlementAction = 'check' | 'consume' | 'release';

/** Terms or the customer's name changing under one request this many times in a row: a conflict. */
const ATTEMPTS = 3;

/** The customer a call is about, and how its statement knows the customer still is that one. */
interface Subject {
  ctx: TenantCtx;
  customer: Pick<BillingCustomerRow, 'time_zone'> | undefined;
  name: NameColumns;
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

/** What the call changes under `terms`: nothing for a check, nor for a feature refused as unpaid. */
function changeOf(
  action: EntitlementAction,
  terms: EntitlementTerms,
  feature: string,
  quantity: number,
): Change | undefined {
  if (action === 'check') return undefined;
  if (action === 'release') return { kind: 'release', quantity };
  if (terms.refusedAsUnpaid.has(feature)) return undefined;
  const limit = limitOf(terms, feature);
  // The limit is checked against the counter row as it is when the statement gets its lock: a
  // concurrent consume that committed first is counted.
  return { kind: 'consume', quantity, hard: limit?.mode === 'hard' ? limit.limit : null };
}

function answerOf(
  action: EntitlementAction,
  terms: EntitlementTerms,
  feature: string,
  quantity: number,
  standing: Standing,
): EntitlementObject {
  const limit = limitOf(terms, feature);
  const { consumed, metered, written } = standing;
  if (action !== 'release' && terms.refusedAsUnpaid.has(feature)) {
    return answer(feature, limit, consumed + metered, false, 'billing_blocked');
  }
  if (action === 'check')
    return answer(feature, limit, consumed + metered, fits(limit, consumed + metered + BigInt(quantity)));
  if (action === 'consume') {
    if (written !== null) return answer(feature, limit, written + metered, true);
    return answer(feature, limit, consumed + metered, false);
  }
  // A release of units never consumed changes nothing: none are held.
  const used = (written ?? 0n) + metered;
  return answer(feature, limit, used, fits(limit, used));
}

/**
 * `action` on the terms and the customer from memory first; when its statement finds either changed
 * (it then changed nothing), again on both looked up afresh.
 */
async function act(
  subject: (fresh: boolean) => Promise<Subject>,
  action: EntitlementAction,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const fresh = attempt > 0;
    const { ctx, customer, name } = await subject(fresh);
    const terms = await entitlementTerms(ctx, customer, fresh);
    const change = changeOf(action, terms, feature, quantity);
    const standing = await standingOf({ ctx, terms, feature, name, change });
    if (standing.termsHold && standing.customerHolds)
      return answerOf(action, terms, feature, quantity, standing);
  }
  throw conflict('entitlement.terms_changing', "The customer's plan is changing: try again");
}

/** A customer the caller has read: it holds for the call. */
const given = (ctx: TenantCtx, customer: BillingCustomerRow | undefined) => async (): Promise<Subject> => ({
  ctx,
  customer,
  name: NOT_NAMED,
});

/**
 * `action` for the customer a request names (an issuer's customer by organization id or external id,
 * or the caller's own organization): the name's customer is kept in memory like the terms, and
 * verified in the same statement. A name that leads to no customer is not found.
 */
export async function actOnEntitlement(
  ctx: Ctx,
  who: CustomerName,
  action: EntitlementAction,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  const subject = async (fresh: boolean): Promise<Subject> => {
    const customer = await namedCustomer(ctx, who, fresh);
    return {
      ctx: tenantContext(ctx, customer.orgId),
      customer: customer.timeZone === null ? undefined : { time_zone: customer.timeZone },
      name: nameColumns(who, customer),
    };
  };
  return act(subject, action, feature, quantity);
}

/** Whether `quantity` more units of `feature` would be allowed now: a read, nothing recorded. */
export async function checkEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  return act(given(ctx, customer), 'check', feature, quantity);
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
  return act(given(ctx, customer), 'consume', feature, quantity);
}

/** Gives `quantity` units of `feature` back (a computation deleted); never below zero. */
export async function releaseEntitlement(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  feature: string,
  quantity: number,
): Promise<EntitlementObject> {
  return act(given(ctx, customer), 'release', feature, quantity);
}
