import type { z } from 'zod';
import { amountJson } from '../api-shapes.js';
import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import type { Ctx } from '../context.js';
import * as customers from '../customers/index.js';
import { invalid } from '../errors.js';
import * as subscriptions from '../subscriptions/index.js';
import { customerContext, pricedPlan, subscribeToPlan, upcomingInvoice } from './subscription-billing.js';

/**
 * Work that spans the catalog, customers and subscriptions: a new billing customer starts on the
 * default plan's current version; an operator moves an organization to a plan (or to the newest
 * version of its plan); the Billing page asks which plan the organization is on.
 */

export async function createBillingCustomer(
  ctx: Ctx,
  orgId: string,
  input: z.infer<typeof customers.createCustomerBody>,
  deps: customers.CustomerDeps,
) {
  const customer = await customers.createCustomer(ctx, orgId, input, deps);
  const free = await catalog.findDefaultPlan(ctx, catalog.issuerFor(orgId));
  if (free && free.plan.disabled_at === null) {
    await subscribeToPlan(ctx, {
      customer,
      plan: await pricedPlan(ctx, { issuerId: free.plan.org_id, planId: free.plan.id }),
      quotedAt: ctx.clock.now(),
      reason: 'A new customer starts on the default plan',
    });
  }
  return customer;
}

export async function moveOrganizationToPlan(
  ctx: Ctx,
  orgId: string,
  input: z.infer<typeof subscriptions.moveToPlanBody>,
) {
  const customer = await customers.getCustomer(ctx, orgId);
  const issuerId = catalog.issuerFor(orgId);
  const { plan, version } = await catalog.getPlan(ctx, issuerId, input.plan_id, {
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
  const cctx = await customerContext(ctx, customer);
  const { subscription } = await subscribeToPlan(cctx, {
    customer,
    plan: await pricedPlan(cctx, { issuerId, planId: plan.id, versionId: version.id }),
    quotedAt: cctx.clock.now(),
    reason: 'Moved by an operator',
  });
  return describeSubscription(ctx, subscription);
}

/** The plan the organization is on now: its newest active subscription's. */
export async function currentPlanId(ctx: Ctx, orgId: string): Promise<string | undefined> {
  const [newest] = await subscriptions.liveSubscriptions(ctx, orgId);
  return newest?.plan_id;
}

/** A subscription with the plan version it is billed by. */
export async function describeSubscription(
  ctx: Ctx,
  row: Parameters<typeof subscriptions.presentSubscription>[0],
) {
  const entry = await catalog.getPlan(ctx, row.plan_issuer_id, row.plan_id, {
    versionId: row.plan_version_id,
  });
  const names = await catalog.loadCatalogNames(ctx, row.plan_issuer_id);
  const upcoming = await upcomingInvoice(ctx, row);
  return {
    ...subscriptions.presentSubscription(row),
    next_invoice: upcoming
      ? { at: upcoming.at.toString(), total: amountJson(upcoming.total), currency: upcoming.currency }
      : null,
    plan_name: entry.plan.name,
    currency: entry.plan.currency,
    interval: entry.plan.billing_interval,
    version: catalog.presentVersion(entry.version, names),
  };
}
