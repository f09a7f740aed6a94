import type { Ctx } from '../context.js';
import type { GatewayName } from '../db/schema.js';
import * as payments from '../payments/index.js';
import { tenantContext } from '../tenant.js';
import { applyCheckout, type CheckoutDeps } from './checkout.js';
import { settleInvoicePayment } from './collections.js';
import { settleAllocatedPayment } from './pay-open-invoices.js';
import { applyPaymentLink } from './payment-links.js';
import { refundConflictingPayments } from './plan-conflicts.js';
import { billingCustomerContext } from './subscription-billing.js';

/**
 * A verified gateway event, applied once. Its delivery first claims the event in one conditional write
 * (payments.claimGatewayEvent): of any number of concurrent or repeated deliveries exactly one runs the
 * handler, and the others are acknowledged as duplicates. A handler that fails gives its claim back, so
 * the gateway's redelivery applies the event. An event says that something happened; what the gateway
 * says now is applied, so a late or out-of-order event cannot move a checkout backwards (and applying is
 * itself idempotent: the return from the hosted page may have applied it already).
 */
export async function handleGatewayEvent(
  ctx: Ctx,
  gateway: GatewayName,
  event: payments.GatewayEvent,
  deps: CheckoutDeps,
): Promise<{ duplicate: boolean }> {
  if (!(await payments.claimGatewayEvent(ctx, gateway, event))) return { duplicate: true };
  let orgId: string | null;
  try {
    orgId = await applyGatewayEvent(ctx, gateway, event, deps);
  } catch (error) {
    await payments
      .releaseGatewayEvent(ctx, gateway, event.id)
      .catch((release) =>
        ctx.log.error({ err: release, gateway, event: event.id }, 'could not release a gateway event claim'),
      );
    throw error;
  }
  await payments.markGatewayEventProcessed(ctx, gateway, event.id, orgId);
  return { duplicate: false };
}

/** Applies what the event is about; returns the organization it concerned, if any. */
async function applyGatewayEvent(
  ctx: Ctx,
  gateway: GatewayName,
  event: payments.GatewayEvent,
  deps: CheckoutDeps,
): Promise<string | null> {
  let orgId: string | null = null;
  if (event.type === 'payment.updated' && event.paymentRef) {
    const payment = await payments.refreshPayment(ctx, deps.gateways.get(gateway), event.paymentRef);
    orgId = payment?.org_id ?? null;
    // A debit whose outcome arrives later (a mandate): its invoice is paid, or its failure chased.
    const tenant = payment ? tenantContext(ctx, payment.org_id) : undefined;
    if (tenant && payment?.invoice_id && payment.status !== 'processing')
      await settleInvoicePayment(tenant, payment);
    // One payment for several invoices: settled by its allocations.
    else if (tenant && payment && payment.status !== 'processing')
      await settleAllocatedPayment(tenant, payment);
  } else if (event.linkRef) {
    const link = await payments.findPaymentLinkByGatewayRef(ctx, gateway, event.linkRef);
    if (link) {
      orgId = link.org_id;
      const view = await deps.gateways.get(gateway).getPaymentLink(event.linkRef);
      await applyPaymentLink(await billingCustomerContext(tenantContext(ctx, link.org_id)), link.id, view);
    } else {
      ctx.log.warn(
        { gateway, event: event.id, link: event.linkRef },
        'gateway event for an unknown payment link',
      );
    }
  } else if (event.type !== 'other' && event.checkoutRef) {
    const checkout = await payments.findCheckoutByGatewayRef(ctx, gateway, event.checkoutRef);
    if (checkout) {
      orgId = checkout.org_id;
      const view = await deps.gateways.get(gateway).getCheckout(event.checkoutRef);
      await applyCheckout(
        await billingCustomerContext(tenantContext(ctx, checkout.org_id)),
        checkout.id,
        view,
      );
    } else {
      ctx.log.warn(
        { gateway, event: event.id, checkout: event.checkoutRef },
        'gateway event for an unknown checkout',
      );
    }
  } else {
    ctx.log.info(
      { gateway, event: event.id, type: event.gatewayType },
      'gateway event acknowledged, not used',
    );
  }
  // A payment the event brought that another paid plan had overtaken goes back (or one a crash left owed).
  if (orgId) await refundConflictingPayments(ctx, deps.gateways, { only: [orgId] });
  return orgId;
}
