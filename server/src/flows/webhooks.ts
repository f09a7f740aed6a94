import type { Ctx } from '../context.js';
import type { GatewayName } from '../db/schema.js';
import * as payments from '../payments/index.js';
import { settleInvoicePayment } from './billing-run.js';
import { applyCheckout, type CheckoutDeps } from './checkout.js';
import { settleAllocatedPayment } from './pay-open-invoices.js';
import { applyPaymentLink } from './payment-links.js';

/**
 * A verified gateway event, applied once. The event is stored by its id first: a redelivery finds it
 * processed and changes nothing. An event says that something happened; what the gateway says now is
 * applied, so a late or out-of-order event cannot move a checkout backwards (and applying is itself
 * idempotent: the return from the hosted page may have applied it already).
 */
export async function handleGatewayEvent(
  ctx: Ctx,
  gateway: GatewayName,
  event: payments.GatewayEvent,
  deps: CheckoutDeps,
): Promise<{ duplicate: boolean }> {
  const fresh = await payments.recordGatewayEvent(ctx, gateway, event);
  if (!fresh) return { duplicate: true };
  let orgId: string | null = null;
  if (event.type === 'payment.updated' && event.paymentRef) {
    const payment = await payments.refreshPayment(ctx, deps.gateways.get(gateway), event.paymentRef);
    orgId = payment?.org_id ?? null;
    // A debit whose outcome arrives later (a mandate): its invoice is paid, or its failure chased.
    if (payment?.invoice_id && payment.status !== 'processing') await settleInvoicePayment(ctx, payment);
    // One payment for several invoices: settled by its allocations.
    else if (payment && payment.status !== 'processing') await settleAllocatedPayment(ctx, payment);
  } else if (event.linkRef) {
    const link = await payments.findPaymentLinkByGatewayRef(ctx, gateway, event.linkRef);
    if (link) {
      orgId = link.org_id;
      const view = await deps.gateways.get(gateway).getPaymentLink(event.linkRef);
      await applyPaymentLink(ctx, link.org_id, link.id, view);
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
      await applyCheckout(ctx, checkout.org_id, checkout.id, view);
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
  await payments.markGatewayEventProcessed(ctx, gateway, event.id, orgId);
  return { duplicate: false };
}
