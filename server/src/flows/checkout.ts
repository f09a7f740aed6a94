import * as billing from '../billing/index.js';
import * as catalog from '../catalog/index.js';
import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import { newId } from '../db/ids.js';
import type { CheckoutSessionRow } from '../db/schema.js';
import { type BillingScope, inScope } from '../db/scope.js';
import { conflict, invalid } from '../errors.js';
import { formatMoney, localeFor } from '../money/index.js';
import * as payments from '../payments/index.js';
import { type CustomerCtx, scoped, type TenantCtx, tenantContext } from '../tenant.js';
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
  const { issuerId } = cctx.tenant;
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
  // The credit balance pays the first invoice before the card (R18, R27).
  const balance = await customers.creditBalance(cctx);
  const quote = await quoteFirstInvoice(cctx, priced, cctx.clock.now(), billingMode, billingDay, balance);
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
  let quoted = await quotePlanCheckout(cctx, planId, options);
  // A paid plan replaces what the organization pays for: the other open checkouts for a plan (another
  // tab, the back button) are closed at their gateways once this one exists, and first, before it
  // takes the credit balance, when they hold some (they give it back as they close, R27).
  const replacesPaidCheckouts = !billing.costsNothing(quoted.version) && !quoted.additional;
  if (replacesPaidCheckouts && (await otherCheckoutsHoldCredit(ctx))) {
    await closeOtherPlanCheckouts(ctx, deps.gateways);
    // Quoted again: a credit given back counts now, and one of them paid meanwhile is refused here.
    quoted = await quotePlanCheckout(cctx, planId, options);
  }
  const { customer, issuerId, plan, version, priced, quote, billingMode, billingDay, additional } = quoted;
  // A plan that bills later (a fee in arrears, a first invoice the balance pays) charges a card then:
  // without one saved, the checkout saves one (R26). A trial starts without a card.
  const needsCard =
    !billing.costsNothing(version) &&
    !quote.trialing &&
    !(await customers.listPaymentMethods(ctx)).some((method) => method.is_default);
  const startsNow = quote.amountDue <= 0n && !needsCard;
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
    amount: quote.amountDue,
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
    credit_applied: 0n,
  };
  const creditNote = `Applied to the first invoice of ${plan.name} (checkout ${id})`;

  if (startsNow) {
    // Nothing to pay now (a free plan, a trial, a first invoice the balance pays, with a card saved for
    // later): the plan starts, the session is recorded complete.
    const started = await withTransaction(cctx, async (tx) => {
      const credit = await takeCredit(tx, id, quote.totals.total, creditNote);
      if (credit < quote.totals.total) {
        throw conflict(
          'checkout.balance_changed',
          'The credit balance changed since the price was shown: open the checkout again',
          'plan_id',
        );
      }
      const row = { ...base, amount: 0n, credit_applied: credit };
      await payments.insertCheckoutSession(tx, row);
      await subscribeToPlan(tx, {
        plan: priced,
        quotedAt: instant,
        reason: 'Chose the plan',
        ...(credit > 0n ? { credit } : {}),
        billingMode,
        billingDay,
        additional,
      });
      return payments.markCheckout(tx, row, { status: 'complete' });
    });
    if (replacesPaidCheckouts) await closeOtherPlanCheckouts(ctx, deps.gateways, id);
    return started;
  }

  // The credit is taken from the balance as the checkout opens, with its row, so nothing else spends
  // it meanwhile (R27); the gateway is asked for the rest, or only to save a card when nothing is left.
  const opened = await withTransaction(cctx, async (tx) => {
    const credit = await takeCredit(tx, id, quote.totals.total, creditNote);
    const amount = quote.totals.total - credit;
    const row: CheckoutSessionRow = {
      ...base,
      mode: amount > 0n ? 'payment' : 'setup',
      amount,
      credit_applied: credit,
    };
    await payments.insertCheckoutSession(tx, row);
    return row;
  });
  const gateway = deps.gateways.get(customer.gateway);
  let session: payments.GatewayCheckout;
  try {
    const customerRef = await payments.gatewayCustomerRef(ctx, gateway, customer);
    session = await gateway.createCheckout({
      mode: opened.mode,
      gatewayCustomerRef: customerRef,
      payer: payerOf(customer),
      amount: opened.amount,
      currency: plan.currency,
      description:
        opened.mode === 'setup'
          ? `Save a card for ${plan.name}`
          : checkoutDescription(
              quote.lines[0]?.description ?? `${plan.name}, first ${plan.billing_interval}`,
              { tax: quote.totals.tax, credit: opened.credit_applied },
              plan.currency,
              customer.country,
            ),
      successUrl: deps.publicUrl(`${returnPath}?checkout=${id}`),
      cancelUrl: deps.publicUrl(`${returnPath}?checkout=${id}&cancelled=1`),
      expiresAt: base.expires_at,
      metadata: {
        org_id: orgId,
        checkout_session_id: id,
        plan_id: plan.id,
        ...(await liveModeMetadata(ctx, customer)),
      },
      idempotencyKey: `checkout:${id}`,
    });
  } catch (error) {
    // No page was opened: the checkout ends here and gives its credit back.
    await expireUnopened(cctx, opened);
    throw error;
  }
  const row = await withTransaction(ctx, (tx) =>
    payments.attachGatewaySession(tx, opened, { ref: session.ref, url: session.url }),
  );
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

/** Takes up to `wanted` of the customer's credit for checkout `id`, under the customer's lock. */
async function takeCredit(tx: TenantCtx, id: string, wanted: bigint, description: string): Promise<bigint> {
  if (wanted <= 0n) return 0n;
  const locked = await customers.lockCustomer(tx);
  return customers.reserveForCheckout(tx, locked, id, wanted, description);
}

/**
 * What the gateway's page says is paid for: the first line and, where they apply, the tax added and
 * the credit balance taken off, so the amount asked is explained there too ("…, plus ₹92.90 tax,
 * less ₹50.00 credit"): the amount is the total less the credit, so naming only the tax would not
 * add up. Written as the invoice writes amounts (localeFor).
 */
export function checkoutDescription(
  firstLine: string,
  { tax, credit }: { tax: bigint; credit: bigint },
  currency: string,
  country: string,
): string {
  const locale = localeFor(country);
  const parts = [firstLine];
  if (tax > 0n) parts.push(`plus ${formatMoney({ amount: tax, currency }, locale)} tax`);
  if (credit > 0n) parts.push(`less ${formatMoney({ amount: credit, currency }, locale)} credit`);
  return parts.join(', ');
}

/** A checkout whose gateway page could not be opened: expired, its credit back on the balance. */
async function expireUnopened(ctx: TenantCtx, opened: CheckoutSessionRow) {
  await withTransaction(ctx, async (tx) => {
    const row = await payments.getCheckoutSession(tx, opened.id, { lock: true });
    if (row.status !== 'open') return;
    await releaseCredit(tx, row);
    await payments.markCheckout(tx, row, { status: 'expired' });
  });
}

/** What a checkout took from the balance goes back when it ends without starting a plan. */
async function releaseCredit(tx: TenantCtx, row: CheckoutSessionRow) {
  if (row.credit_applied <= 0n) return;
  const customer = await customers.lockCustomer(tx);
  await customers.releaseForCheckout(tx, customer, row.id, row.credit_applied);
}

/**
 * Checkouts past their expiry that still hold credit taken from the balance (R27): each is asked of
 * its gateway and applied as the gateway answers (one paid at the last moment starts its plan, one
 * expired gives the credit back); one whose page was never opened (a crash before the gateway
 * answered) is expired here. Returns how many were settled. Found across the organizations in
 * `scope` (the billing run's), each settled in its own tenant context.
 */
export async function settleExpiredCheckouts(
  ctx: Ctx,
  gateways: payments.GatewayRegistry,
  scope: BillingScope,
): Promise<number> {
  const expired = await ctx.db
    .selectFrom('checkout_sessions')
    .selectAll()
    .where('status', '=', 'open')
    .where('credit_applied', '>', 0n)
    .where('expires_at', '<=', toDate(ctx.clock.now()))
    .where(inScope(scope))
    .execute();
  let settled = 0;
  for (const row of expired) {
    const tenant = tenantContext(ctx, row.org_id);
    try {
      if (!row.gateway_session_ref) {
        await expireUnopened(tenant, row);
      } else if (gateways.has(row.gateway)) {
        const gateway = gateways.get(row.gateway);
        await applyCheckout(
          await billingCustomerContext(tenant),
          row.id,
          await gateway.expireCheckout(row.gateway_session_ref, `expire:${row.id}`),
        );
      }
      settled++;
    } catch (error) {
      ctx.log.warn({ err: error, checkout: row.id }, 'an expired checkout could not be settled yet');
    }
  }
  return settled;
}

function openPlanCheckouts(ctx: TenantCtx) {
  return scoped(ctx)
    .selectFrom('checkout_sessions')
    .select(['id', 'gateway', 'gateway_session_ref'])
    .where('status', '=', 'open')
    .where('plan_id', 'is not', null)
    .where('additional', '=', false);
}

async function otherCheckoutsHoldCredit(ctx: TenantCtx): Promise<boolean> {
  return (await openPlanCheckouts(ctx).where('credit_applied', '>', 0n).limit(1).execute()).length > 0;
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
  const open = await openPlanCheckouts(ctx)
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
  const { orgId } = ctx.tenant;
  const customer = await customers.getCustomer(ctx);
  const gateway = deps.gateways.get(customer.gateway);
  const customerRef = await payments.gatewayCustomerRef(ctx, gateway, customer);
  const id = newId('checkoutSession');
  const instant = ctx.clock.now();
  const row: CheckoutSessionRow = {
    org_id: orgId,
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
    credit_applied: 0n,
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
    metadata: { org_id: orgId, checkout_session_id: id, ...(await liveModeMetadata(ctx, customer)) },
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
    if (view.status === 'expired') {
      await releaseCredit(tx, row);
      return payments.markCheckout(tx, row, { status: 'expired' });
    }
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
    // Paid, or (a plan that asks nothing now) a card saved for what it bills later (R26).
    const settled =
      payment?.status === 'succeeded' ||
      (row.mode === 'setup' && payment === undefined && !!view.paymentMethod);
    const inForce = row.plan_id && !row.additional && settled ? await paidPlanInForce(tx) : undefined;
    if (inForce) {
      // Another paid plan started since this checkout opened (another tab): what it took goes back.
      if (payment) await owePaymentBack(tx, { payment, source: 'checkout', sourceId: row.id, inForce });
      await releaseCredit(tx, row);
    } else if (row.plan_id && row.plan_issuer_id && row.plan_version_id && settled) {
      await subscribeToPlan(tx, {
        plan: await pricedPlan(tx, {
          issuerId: row.plan_issuer_id,
          planId: row.plan_id,
          versionId: row.plan_version_id,
        }),
        quotedAt: fromDate(row.created_at),
        reason: payment ? 'Paid at checkout' : 'Card saved at checkout',
        ...(payment ? { payment } : {}),
        ...(row.credit_applied > 0n ? { credit: row.credit_applied } : {}),
        billingMode: row.billing_mode,
        billingDay: row.billing_day,
        additional: row.additional,
      });
    } else {
      // Ended without starting the plan (the payment failed): the credit it took goes back.
      await releaseCredit(tx, row);
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

/**
 * What a page of the test gateway tells the payer about live mode: the gateway the routing rule names
 * for the customer's country, which takes its payments once it has keys. Nothing for a real gateway.
 */
export async function liveModeMetadata(
  ctx: TenantCtx,
  customer: { gateway: string; country: string },
): Promise<Record<string, string>> {
  if (customer.gateway !== 'test') return {};
  const live = customers.ruledGateway(await customers.getGatewayRouting(ctx), customer.country);
  return live === 'test' ? {} : { live_gateway: live, billing_country: customer.country };
}
