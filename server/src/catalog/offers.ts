import { costsNothing } from '../billing/index.js';
import { notFound } from '../errors.js';
import { type PageRequest, pageInMemory, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import type { OfferedPlanObject } from './catalog.schema.js';
import {
  type CatalogNames,
  getPlan,
  loadCatalogNames,
  offerablePlans,
  type PlanWithVersion,
  presentVersion,
} from './plans.js';

/**
 * The plans an organization may choose (its Billing page's cards): enabled, billed, public or
 * restricted to it, in its billing currency. A plan that costs nothing is offered in every currency.
 */

export interface OfferTerms {
  /** The customer's billing currency; without a customer, plans in every currency. */
  currency: string | undefined;
  /** The plan the organization is on now. */
  currentPlanId: string | undefined;
}

/** Whether the organization `orgId` may choose the plan. */
export function isOffered(entry: PlanWithVersion, orgId: string, terms: OfferTerms): boolean {
  const { plan } = entry;
  if (plan.disabled_at !== null || plan.unbilled) return false;
  if (plan.visibility === 'restricted' && !entry.audience.includes(orgId)) return false;
  return terms.currency === undefined || plan.currency === terms.currency || costsNothing(entry.version);
}

/**
 * The tenant's offers, a page at a time: its issuer's plans it may choose, the cheapest first (then by
 * name and id). Whether a plan is offered depends on its prices, so the catalog's offerable plans are
 * read whole and paged here; the cursor is a plan's id.
 */
export async function listOffers(
  ctx: TenantCtx,
  terms: OfferTerms,
  page: PageRequest,
): Promise<Slice<OfferedPlanObject>> {
  const [entries, names] = await Promise.all([offerablePlans(ctx), loadCatalogNames(ctx)]);
  const offers = entries
    .filter((entry) => isOffered(entry, ctx.tenant.orgId, terms))
    .sort(
      (a, b) =>
        Number(a.version.base_price - b.version.base_price) ||
        a.plan.name.localeCompare(b.plan.name) ||
        (a.plan.id < b.plan.id ? -1 : 1),
    )
    .map((entry) => presentOffer(entry, names, terms));
  return pageInMemory(offers, (offer) => offer.id, page, 'plan');
}

export async function getOffer(
  ctx: TenantCtx,
  terms: OfferTerms,
  planId: string,
): Promise<OfferedPlanObject> {
  const [entries, names] = await Promise.all([offerablePlans(ctx), loadCatalogNames(ctx)]);
  const entry = entries.find((e) => e.plan.id === planId);
  // A plan this organization may not choose does not exist for it.
  if (!entry || !isOffered(entry, ctx.tenant.orgId, { ...terms, currency: undefined }))
    throw notFound('plan.not_found', 'No such plan');
  return presentOffer(entry, names, terms);
}

/** The plan new customers start on (Free), if the issuer has one. */
export async function findDefaultPlan(ctx: TenantCtx): Promise<PlanWithVersion | undefined> {
  const row = await scoped(ctx, 'issuer')
    .selectFrom('plans')
    .select('id')
    .where('is_default', '=', true)
    .executeTakeFirst();
  return row ? getPlan(ctx, row.id) : undefined;
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
    visibility: plan.visibility,
    current: plan.id === terms.currentPlanId,
  };
}
