import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import { withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import { newId } from '../db/ids.js';
import type { CheckoutSessionRow } from '../db/schema.js';
import { conflict, invalid } from '../errors.js';
import * as payments from '../payments/index.js';
import { type CustomerCtx, scoped, type TenantCtx } from '../tenant.js';
import { fromDate, toDate } from '../time/index.js';
import { currentPlanId } from './billing-customer.js';
import {
  findConflictingPayment,
  owePaymentBack,
  paidPlanInForce,
  presentConflict,
  refundConflictingPayments,
  refuseSecondPaidPlan,
} from './plan-conflicts.js';
import {
  billingCustomerContext,
  pricedPlan,
  quoteFirstInvoice,
  subscribeToPlan,
} from './subscription-billing.js';

/**
 * "Select subscription" → a checkout session at the customer's gateway → its hosted page → back to
 * Billfold. Written as setup → gateway call → execute: the gateway is called outside any database
 * transaction (it is a network call), with an idempotency key, and its answer is recorded after.
 *
 * A paid checkout is applied once, by whichever arrives first of the person's return (which asks the
 * gateway) and the gateway's webhook: the checkout's row is locked and only an open one moves on.
 */

export interface CheckoutDeps {
  gateways: payments.GatewayRegistry;
  publicUrl: (path: string) => string;
}

/** Hosted checkouts stay payable for a day, as Stripe's do by default. */
const CHECKOUT_LIFETIME = { hours: 24 } as const;

export interface PlanCheckoutOptions {
  billingMode?: 'calendar' | 'anniversary';
  /** The day (for weekly plans the weekday) periods start on; the billing mode's default when absent. */
  billingDay?: number | undefined;
  additional?: boolean;
}

/**
 * What a plan's checkout takes if it opens now (now on the customer's clock), after every check the
 * checkout makes: the plan's details page shows this and the checkout charges it, so the two agree to
 * the cent.
 */
export async function quotePlanCheckout(
  cctx: CustomerCtx,
  planId: string,
  options: PlanCheckoutOptions = {},
) {
  const billingMode = options.billingMode ?? 'calendar';
  const billingDay = options.billingDay ?? null;
  const additional = options.additional ?? false;
  const { customer } = cctx;
  const issuerId = cctx.tenant.issuerId;
  // A plan this organization may not choose does not exist for it.
  await catalog.getOffer(cctx, { currency: undefined, currentPlanId: undefined }, planId);
  const { plan, version } = await catalog.getPlan(cctx, planId);
  if (!additional && (await currentPlanId(cctx)) === plan.id) {
    throw conflict(
      'checkout.already_subscribed',
      `${plan.name} is already this organization's plan`,
      'plan_id',
    );
  }
  if (!additional) await refuseSecondPaidPlan(cctx);
  const priced = await pricedPlan(cctx, { planId: plan.id, versionId: version.id });
  const quote = await quoteFirstInvoice(cctx, priced, cctx.clock.now(), billingMode, billingDay);
  if (!billing.costsNothing(version) && plan.currency !== customer.currency) {
    throw invalid(
      'plan.currency_mismatch',
      `${plan.name} is priced in ${plan.currency}; this organization is billed in ${customer.currency}`,
      'plan_id',
    );
  }
  return { customer, issuerId, plan, version, priced, quote, billingMode, billingDay, additional };
}

export async function startPlanCheckout(
  ctx: TenantCtx,
  planId: string,
  deps: CheckoutDeps,
  returnPath = '/billing',
  options: PlanCheckoutOptions = {},
) {
  const { orgId } = ctx.tenant;
  const cctx = await billingCustomerContext(ctx);
  const { customer, issuerId, plan, version, priced, quote, billingMode, billingDay, additional } =
    await quotePlanCheckout(cctx, planId, options);
  const free = quote.totals.total <= 0n;
  const id = newId('checkoutSession');
  const instant = cctx.clock.now();
  const now = toDate(instant);
  const base: CheckoutSessionRow = {
    org_id: orgId,
    id,
    customer_id: customer.id,
    gateway: customer.gateway,
    gateway_session_ref: null,
    mode: 'payment',
    plan_issuer_id: issuerId,
    plan_id: plan.id,
    plan_version_id: version.id,
    amount: quote.totals.total,
    currency: plan.currency,
    status: 'open',
    url: null,
    expires_at: toDate(instant.add(CHECKOUT_LIFETIME)),
    completed_at: null,
    payment_id: null,
    created_by: ctx.actor.id,
    created_at: now,
    billing_mode: billingMode,
    billing_day: billingDay,
    additional,
  };

  // A paid plan replaces what the organization pays for: the other open checkouts for a plan (another
  // tab, the back button) are closed at their gateways once this one exists.
  const replacesPaidCheckouts = !billing.costsNothing(version) && !additional;
  if (free) {
    // Nothing to pay now (a free plan, or a trial): the plan starts, the session is recorded complete.
    const started = await withTransaction(cctx, async (tx) => {
      await payments.insertCheckoutSession(tx, base);
      await subscribeToPlan(tx, {
        plan: priced,
        quotedAt: instant,
        reason: 'Chose the plan',
        billingMode,
        billingDay,
        additional,
      });
      return payments.markCheckout(tx, base, { status: 'complete' });
    });
    if (replacesPaidCheckouts) await closeOtherPlanCheckouts(ctx, deps.gateways, id);
    return started;
  }

  const gateway = deps.gateways.get(customer.gateway);
  const customerRef = await payments.gatewayCustomerRef(ctx, gateway, customer);
  const session = await gateway.createCheckout({
    mode: 'payment',
    gatewayCustomerRef: customerRef,
    payer: payerOf(customer),
    amount: quote.totals.total,
    currency: plan.currency,
    description: quote.lines[0]?.description ?? `${plan.name}, first ${plan.billing_interval}`,
    successUrl: deps.publicUrl(`${returnPath}?checkout=${id}`),
    cancelUrl: deps.publicUrl(`${returnPath}?checkout=${id}&cancelled=1`),
    expiresAt: base.expires_at,
    metadata: { org_id: orgId, checkout_session_id: id, plan_id: plan.id },
    idempotencyKey: `checkout:${id}`,
  });
  const row: CheckoutSessionRow = { ...base, gateway_session_ref: session.ref, url: session.url };
  await withTransaction(ctx, (tx) => payments.insertCheckoutSession(tx, row));
  if (replacesPaidCheckouts && (await closeOtherPlanCheckouts(ctx, deps.gateways, id))) {
    // One of them had been paid a moment before: that plan is in force now, so this one is closed too.
    const inForce = await paidPlanInForce(ctx);
    if (inForce) {
      await applyCheckout(cctx, id, await gateway.expireCheckout(session.ref, `expire:${id}`));
      await refundConflictingPayments(ctx, deps.gateways, { only: [orgId] });
      throw conflict(
        'subscription.use_modify_plan',
        `${inForce.planName} was just paid for in another tab: change it with Modify plan`,
        'plan_id',
      );
    }
  }
  return row;
}

/**
 * Closes the organization's other open checkouts for a plan at their gateways, so the page in a
 * second tab refuses to take a payment. One paid a moment before is applied as the gateway reports it
 * (and its payment given back if it came second). Returns whether any of them had been paid.
 * Additional subscriptions are meant to coexist: their checkouts stay open.
 */
export async function closeOtherPlanCheckouts(
  ctx: TenantCtx,
  gateways: payments.GatewayRegistry,
  keepId?: string,
): Promise<boolean> {
  const open = await scoped(ctx)
    .selectFrom('checkout_sessions')
    .select(['id', 'gateway', 'gateway_session_ref'])
    .where('status', '=', 'open')
    .where('mode', '=', 'payment')
    .where('plan_id', 'is not', null)
    .where('additional', '=', false)
    .$if(keepId !== undefined, (q) => q.where('id', '<>', keepId ?? ''))
    .execute();
  let paid = false;
  for (const other of open) {
    if (!other.gateway_session_ref || !gateways.has(other.gateway)) continue;
    let view: payments.GatewayCheckout;
    try {
      view = await gateways
        .get(other.gateway)
        .expireCheckout(other.gateway_session_ref, `expire:${other.id}`);
    } catch (error) {
      // Closing is a courtesy of the gateway: a payment it still takes is given back when it arrives.
      ctx.log.warn({ err: error, checkout: other.id }, 'an open checkout could not be closed at its gateway');
      continue;
    }
    if (view.status === 'complete') paid = true;
    await applyCheckout(await billingCustomerContext(ctx), other.id, view);
  }
  if (paid) await refundConflictingPayments(ctx, gateways, { only: [ctx.tenant.orgId] });
  return paid;
}

/** "Update payment details": a setup checkout that saves a card at the gateway, made the default. */
export async function startSetupCheckout(ctx: TenantCtx, deps: CheckoutDeps, returnPath = '/billing') {
  const customer = await customers.getCustomer(ctx);
  const gateway = deps.gateways.get(customer.gateway);
  const customerRef = await payments.gatewayCustomerRef(ctx, gateway, customer);
  const id = newId('checkoutSession');
  const instant = ctx.clock.now();
  const row: CheckoutSessionRow = {
    org_id: ctx.tenant.orgId,
    id,
    customer_id: customer.id,
    gateway: customer.gateway,
    gateway_session_ref: null,
    mode: 'setup',
    plan_issuer_id: null,
    plan_id: null,
    plan_version_id: null,
    amount: 0n,
    currency: customer.currency,
    status: 'open',
    url: null,
    expires_at: toDate(instant.add(CHECKOUT_LIFETIME)),
    completed_at: null,
    payment_id: null,
    created_by: ctx.actor.id,
    created_at: toDate(instant),
    billing_mode: 'calendar',
    billing_day: null,
    additional: false,
  };
  const session = await gateway.createCheckout({
    mode: 'setup',
    gatewayCustomerRef: customerRef,
    payer: payerOf(customer),
    amount: 0n,
    currency: customer.currency,
    description: `Save a card for ${customer.name}`,
    successUrl: deps.publicUrl(`${returnPath}?checkout=${id}`),
    cancelUrl: deps.publicUrl(`${returnPath}?checkout=${id}&cancelled=1`),
    expiresAt: row.expires_at,
    metadata: { org_id: ctx.tenant.orgId, checkout_session_id: id },
    idempotencyKey: `checkout:${id}`,
  });
  const opened = { ...row, gateway_session_ref: session.ref, url: session.url };
  await withTransaction(ctx, (tx) => payments.insertCheckoutSession(tx, opened));
  return opened;
}

/**
 * The person is back from the hosted page: ask the gateway how the checkout ended and apply it. A
 * payment owed back (another paid plan came first) is refunded before the answer, so the page can
 * say so; one left owed by a crash is finished here too.
 */
export async function syncCheckout(ctx: TenantCtx, checkoutId: string, deps: CheckoutDeps) {
  const only = { only: [ctx.tenant.orgId] };
  const row = await payments.getCheckoutSession(ctx, checkoutId);
  if (row.status !== 'open' || !row.gateway_session_ref) {
    if (await findConflictingPayment(ctx, row.payment_id)) {
      await refundConflictingPayments(ctx, deps.gateways, only);
    }
    return row;
  }
  const view = await deps.gateways.get(row.gateway).getCheckout(row.gateway_session_ref);
  const applied = await applyCheckout(await billingCustomerContext(ctx), checkoutId, view);
  await refundConflictingPayments(ctx, deps.gateways, only);
  return applied;
}

/**
 * Applies what the gateway says of a checkout, once: a completed one pays and starts the plan, on
 * the customer's clock.
 */
export async function applyCheckout(
  cctx: CustomerCtx,
  checkoutId: string,
  view: payments.GatewayCheckout,
): Promise<CheckoutSessionRow> {
  return withTransaction(cctx, async (tx) => {
    const row = await payments.getCheckoutSession(tx, checkoutId, { lock: true });
    if (row.status !== 'open' || view.status === 'open') return row;
    if (view.status === 'expired') return payments.markCheckout(tx, row, { status: 'expired' });
    // Which plan the organization pays for is decided by one transaction at a time.
    await customers.lockCustomer(tx);

    const payment = view.payment
      ? await payments.recordPayment(tx, {
          customerId: row.customer_id,
          gateway: row.gateway,
          checkoutSessionId: row.id,
          payment: view.payment,
        })
      : undefined;
    if (view.paymentMethod) {
      const saved = await customers.savePaymentMethod(tx, {
        customerId: row.customer_id,
        gateway: row.gateway,
        method: view.paymentMethod,
      });
      // A card saved to update payment details is the one to charge from now on.
      if (row.mode === 'setup' && !saved.is_default) await customers.setDefaultPaymentMethod(tx, saved.id);
    }
    const inForce =
      row.plan_id && !row.additional && payment?.status === 'succeeded'
        ? await paidPlanInForce(tx)
        : undefined;
    if (payment && inForce) {
      // Another paid plan started since this checkout opened (another tab): the payment goes back.
      await owePaymentBack(tx, { payment, source: 'checkout', sourceId: row.id, inForce });
    } else if (row.plan_id && row.plan_issuer_id && row.plan_version_id && payment?.status === 'succeeded') {
      await subscribeToPlan(tx, {
        plan: await pricedPlan(tx, {
          issuerId: row.plan_issuer_id,
          planId: row.plan_id,
          versionId: row.plan_version_id,
        }),
        quotedAt: fromDate(row.created_at),
        reason: 'Paid at checkout',
        payment,
        billingMode: row.billing_mode,
        billingDay: row.billing_day,
        additional: row.additional,
      });
    }
    return payments.markCheckout(tx, row, { status: 'complete', paymentId: payment?.id ?? null });
  });
}

export async function describeCheckout(ctx: TenantCtx, row: CheckoutSessionRow) {
  const conflict = await findConflictingPayment(ctx, row.payment_id);
  return payments.presentCheckoutSession(
    row,
    await payments.findPayment(ctx, row.payment_id),
    conflict ? presentConflict(conflict) : undefined,
  );
}

/** The customer as a gateway that wants the payer with each order sees it. */
export function payerOf(customer: { id: string; name: string; email: string; phone: string }) {
  return { id: customer.id, name: customer.name, email: customer.email, phone: customer.phone };
}
