import { PLATFORM_ORG_ID } from '../access/index.js';
import { costsNothing } from '../billing/index.js';
import type { Ctx } from '../context.js';
import { notFound } from '../errors.js';
import type { OfferedPlanObject } from './catalog.schema.js';
import {
  type CatalogNames,
  getPlan,
  listPlans,
  loadCatalogNames,
  type PlanWithVersion,
  presentVersion,
} from './plans.js';

/**
 * The plans an organization may choose (its Billing page's cards): enabled, billed, public or
 * restricted to it, in its billing currency. A plan that costs nothing is offered in every currency.
 */

export interface OfferTerms {
  orgId: string;
  /** The customer's billing currency; without a customer, plans in every currency. */
  currency: string | undefined;
  /** The plan the organization is on now. */
  currentPlanId: string | undefined;
}

/** Today every customer's catalog is the platform's; resellers' clients will see their reseller's. */
export const issuerFor = (_orgId: string) => PLATFORM_ORG_ID;

export function isOffered(entry: PlanWithVersion, terms: OfferTerms): boolean {
  const { plan } = entry;
  if (plan.disabled_at !== null || plan.unbilled) return false;
  if (plan.visibility === 'restricted' && !entry.audience.includes(terms.orgId)) return false;
  return terms.currency === undefined || plan.currency === terms.currency || costsNothing(entry.version);
}

export async function listOffers(ctx: Ctx, terms: OfferTerms): Promise<OfferedPlanObject[]> {
  const issuerId = issuerFor(terms.orgId);
  const [entries, names] = await Promise.all([
    listPlans(ctx, issuerId, { status: 'active', limit: 500 }),
    loadCatalogNames(ctx, issuerId),
  ]);
  return entries
    .filter((entry) => isOffered(entry, terms))
    .sort(
      (a, b) => Number(a.version.base_price - b.version.base_price) || a.plan.name.localeCompare(b.plan.name),
    )
    .map((entry) => presentOffer(entry, names, terms));
}

export async function getOffer(ctx: Ctx, terms: OfferTerms, planId: string): Promise<OfferedPlanObject> {
  const issuerId = issuerFor(terms.orgId);
  const [entries, names] = await Promise.all([
    listPlans(ctx, issuerId, { status: 'active', limit: 500 }),
    loadCatalogNames(ctx, issuerId),
  ]);
  const entry = entries.find((e) => e.plan.id === planId);
  // A plan this organization may not choose does not exist for it.
  if (!entry || !isOffered(entry, { ...terms, currency: undefined }))
    throw notFound('plan.not_found', 'No such plan');
  return presentOffer(entry, names, terms);
}

/** The plan new customers start on (Free), if the issuer has one. */
export async function findDefaultPlan(ctx: Ctx, issuerId: string): Promise<PlanWithVersion | undefined> {
  const row = await ctx.db
    .selectFrom('plans')
    .select('id')
    .where('org_id', '=', issuerId)
    .where('is_default', '=', true)
    .executeTakeFirst();
  return row ? getPlan(ctx, issuerId, row.id) : undefined;
}

function presentOffer(entry: PlanWithVersion, names: CatalogNames, terms: OfferTerms): OfferedPlanObject {
  const { plan } = entry;
  return {
    id: plan.id,
    object: 'plan',
    code: plan.code,
    name: plan.name,
    description: plan.description,
    currency: plan.currency,
    interval: plan.billing_interval,
    environment: plan.environment,
    is_default: plan.is_default,
    version: presentVersion(entry.version, names),
    current: plan.id === terms.currentPlanId,
  };
}
