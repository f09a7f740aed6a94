import type { z } from 'zod';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import type { Ctx } from '../context.js';
import * as customers from '../customers/index.js';
import type { SubscriptionStatus } from '../db/schema.js';
import { invalid, notFound } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { customerContext, type TenantCtx } from '../tenant.js';
import {
  billingCustomerContext,
  pricedPlan,
  subscribeToPlan,
  upcomingInvoice,
  upcomingRenewal,
} from './subscription-billing.js';

/**
 * Work that spans the catalog, customers and subscriptions: a new billing customer starts on the
 * default plan's current version; an operator moves an organization to a plan (or to the newest
 * version of its plan); the Billing page asks which plan the organization is on.
 */

export async function createBillingCustomer(
  ctx: TenantCtx,
  input: z.infer<typeof customers.createCustomerBody>,
  deps: customers.CustomerDeps,
) {
  const customer = await customers.createCustomer(ctx, input, deps);
  const free = await catalog.findDefaultPlan(ctx);
  if (free && free.plan.disabled_at === null) {
    const cctx = await customerContext(ctx, customer);
    await subscribeToPlan(cctx, {
      plan: await pricedPlan(cctx, { planId: free.plan.id }),
      quotedAt: cctx.clock.now(),
      reason: 'A new customer starts on the default plan',
    });
  }
  return customer;
}

export async function moveOrganizationToPlan(
  ctx: TenantCtx,
  input: z.infer<typeof subscriptions.moveToPlanBody>,
) {
  const cctx = await billingCustomerContext(ctx);
  const { customer } = cctx;
  const { plan, version } = await catalog.getPlan(ctx, input.plan_id, {
    ...(input.version === undefined ? {} : { version: input.version }),
  });
  if (plan.disabled_at !== null)
    throw invalid('plan.disabled', 'This plan is disabled; enable it first', 'plan_id');
  if (plan.currency !== customer.currency && !billing.costsNothing(version)) {
    throw invalid(
      'plan.currency_mismatch',
      `The plan is priced in ${plan.currency}; this customer is billed in ${customer.currency}`,
      'plan_id',
    );
  }
  const { subscription } = await subscribeToPlan(cctx, {
    plan: await pricedPlan(cctx, { planId: plan.id, versionId: version.id }),
    quotedAt: cctx.clock.now(),
    reason: 'Moved by an operator',
  });
  return describeSubscription(ctx, subscription);
}

/** The plan the organization is on now: its newest active subscription's. */
export async function currentPlanId(ctx: TenantCtx): Promise<string | undefined> {
  const [newest] = await subscriptions.liveSubscriptions(ctx);
  return newest?.plan_id;
}

/** A subscription with the plan version it is billed by. */
export async function describeSubscription(
  ctx: TenantCtx,
  row: Parameters<typeof subscriptions.presentSubscription>[0],
) {
  const [described] = await describeSubscriptions(ctx, [row]);
  const one = described as NonNullable<typeof described>;
  // One subscription: its next invoice with this period's usage so far, priced as the billing run
  // will (a list leaves usage out, to stay a fixed number of queries a page).
  const customer = await customers.findCustomer(ctx);
  if (!one.next_invoice || !customer || !('charges' in one.version) || one.version.charges.length === 0) {
    return one;
  }
  const upcoming = await upcomingInvoice(await customerContext(ctx, customer), row);
  return {
    ...one,
    next_invoice: upcoming
      ? { at: upcoming.at.toString(), total: amountJson(upcoming.total), currency: upcoming.currency }
      : null,
  };
}

/**
 * The tenant's subscriptions with the plan versions they are billed by and their next invoices, for
 * a page of a list: the same queries for a page of one as for a page of two hundred (versions and
 * plans by id; the issuer's names, the customer and its tax rule once).
 */
export async function describeSubscriptions(
  ctx: TenantCtx,
  rows: readonly Parameters<typeof subscriptions.presentSubscription>[0][],
) {
  if (rows.length === 0) return [];
  const versionRefs = rows.flatMap((row) => {
    const scheduled = subscriptions.scheduledChangeOf(row);
    return [
      { issuerId: row.plan_issuer_id, versionId: row.plan_version_id },
      ...(scheduled ? [{ issuerId: scheduled.plan.issuerId, versionId: scheduled.plan.versionId }] : []),
    ];
  });
  const versions = await catalog.versionsByIds(ctx, versionRefs);
  const entryOf = (issuerId: string, versionId: string) => {
    const entry = versions.get(`${issuerId}|${versionId}`);
    if (!entry) throw notFound('plan_version.not_found', `No plan version ${versionId}`);
    return entry;
  };
  const [names, customer] = await Promise.all([catalog.loadCatalogNames(ctx), customers.findCustomer(ctx)]);
  const tax = customer ? await invoicing.taxRuleFor(ctx, customer) : undefined;
  const described = [];
  for (const row of rows) {
    const entry = entryOf(row.plan_issuer_id, row.plan_version_id);
    // What the next renewal will charge, rated as the billing run will (a waiting downgrade's plan).
    const next = entryOf(
      row.plan_issuer_id,
      subscriptions.scheduledChangeOf(row)?.plan.versionId ?? row.plan_version_id,
    );
    const renewal = customer && tax ? upcomingRenewal(row, entry, next, tax) : null;
    const upcoming = renewal
      ? { at: renewal.at.toString(), total: amountJson(renewal.total), currency: renewal.currency }
      : null;
    described.push({
      ...subscriptions.presentSubscription(row),
      next_invoice: upcoming,
      plan_name: entry.plan.name,
      currency: entry.plan.currency,
      interval: entry.plan.billing_interval,
      version: catalog.presentVersion(entry.version, names),
    });
  }
  return described;
}

/**
 * For the operators' list of customers: each customer's newest subscription that has not ended,
 * with its plan's name, or none. Read for the whole page at once, across organizations (the page is
 * every organization's).
 */
export async function subscriptionsInForce(
  ctx: Ctx,
  customerRows: readonly { org_id: string; id: string }[],
): Promise<Map<string, { plan_name: string; status: Exclude<SubscriptionStatus, 'cancelled'> }>> {
  const found = new Map<string, { plan_name: string; status: Exclude<SubscriptionStatus, 'cancelled'> }>();
  if (customerRows.length === 0) return found;
  const rows = await ctx.db
    .selectFrom('subscriptions')
    .innerJoin('plans', (join) =>
      join
        .onRef('plans.org_id', '=', 'subscriptions.plan_issuer_id')
        .onRef('plans.id', '=', 'subscriptions.plan_id'),
    )
    .select(['subscriptions.customer_id', 'subscriptions.status', 'plans.name as plan_name'])
    .where((eb) =>
      eb.or(
        customerRows.map((c) =>
          eb.and([eb('subscriptions.org_id', '=', c.org_id), eb('subscriptions.customer_id', '=', c.id)]),
        ),
      ),
    )
    .where('subscriptions.status', '<>', 'cancelled')
    .orderBy('subscriptions.started_at', 'desc')
    .orderBy('subscriptions.id', 'desc')
    .execute();
  for (const row of rows) {
    if (row.status === 'cancelled') continue;
    if (!found.has(row.customer_id))
      found.set(row.customer_id, { plan_name: row.plan_name, status: row.status });
  }
  return found;
}
