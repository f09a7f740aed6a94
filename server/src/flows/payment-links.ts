import type { z } from 'zod';
import * as catalog from '../catalog/index.js';
import { withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import { newId } from '../db/ids.js';
import type { PaymentLinkRow } from '../db/schema.js';
import { invalid } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as payments from '../payments/index.js';
import type { CustomerCtx, TenantCtx } from '../tenant.js';
import { fromDate, toDate } from '../time/index.js';
import { type CheckoutDeps, liveModeMetadata, payerOf } from './checkout.js';
import { settleInvoicePayment } from './collections.js';
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
  recordAccountPayment,
  subscribeToPlan,
} from './subscription-billing.js';

/**
 * Payment links (C12): an owner makes a link for a plan or an amount, shares it, and anyone pays it
 * at the organization's gateway without an account. A paid plan link activates the plan. Like a
 * checkout: the gateway is called outside transactions, and its answer is applied once.
 */

export async function createPaymentLink(
  ctx: TenantCtx,
  input: z.infer<typeof payments.createPaymentLinkBody>,
  deps: CheckoutDeps,
): Promise<PaymentLinkRow> {
  const { orgId, issuerId } = ctx.tenant;
  // The plan's price is quoted on the customer's clock; the link itself lives on the platform's.
  const cctx = await billingCustomerContext(ctx);
  const { customer } = cctx;
  let plan: { issuerId: string; id: string; versionId: string; name: string } | undefined;
  let amount: bigint;
  let description: string;
  let invoiceId: string | null = null;
  if (input.plan_id) {
    await catalog.getOffer(ctx, { currency: undefined, currentPlanId: undefined }, input.plan_id);
    const entry = await catalog.getPlan(ctx, input.plan_id);
    await refuseSecondPaidPlan(ctx);
    const quote = await quoteFirstInvoice(
      cctx,
      await pricedPlan(cctx, { planId: entry.plan.id, versionId: entry.version.id }),
      cctx.clock.now(),
    );
    if (quote.totals.total <= 0n) {
      throw invalid(
        'payment_link.nothing_to_pay',
        `${entry.plan.name} costs nothing: no link is needed`,
        'plan_id',
      );
    }
    if (entry.plan.currency !== customer.currency) {
      throw invalid(
        'plan.currency_mismatch',
        `${entry.plan.name} is priced in ${entry.plan.currency}; this organization is billed in ${customer.currency}`,
        'plan_id',
      );
    }
    plan = { issuerId, id: entry.plan.id, versionId: entry.version.id, name: entry.plan.name };
    // The first invoice as it stands today: the rest of this period, prorated, with tax.
    amount = quote.totals.total;
    description =
      input.description ??
      quote.lines[0]?.description ??
      `${entry.plan.name}, first ${entry.plan.billing_interval}`;
  } else if (input.invoice_id) {
    const invoice = await invoicing.getInvoice(ctx, input.invoice_id);
    if (invoice.status !== 'open' || invoicing.amountDue(invoice) <= 0n) {
      throw invalid(
        'payment_link.invoice_not_open',
        `Invoice ${invoice.number ?? ''} has nothing to pay`,
        'invoice_id',
      );
    }
    invoiceId = invoice.id;
    amount = invoicing.amountDue(invoice);
    description = input.description ?? `Invoice ${invoice.number}`;
  } else {
    amount = BigInt(input.amount ?? 0);
    description = input.description ?? '';
  }

  const id = newId('paymentLink');
  const instant = ctx.clock.now();
  const expiresAt = toDate(instant.add({ hours: 24 * input.expires_in_days }));
  const gateway = deps.gateways.get(customer.gateway);
  const customerRef = await payments.gatewayCustomerRef(ctx, gateway, customer);
  const link = await gateway.createPaymentLink({
    gatewayCustomerRef: customerRef,
    payer: payerOf(customer),
    amount,
    currency: customer.currency,
    description,
    expiresAt,
    metadata: {
      org_id: orgId,
      payment_link_id: id,
      ...(plan ? { plan_id: plan.id } : {}),
      ...(invoiceId ? { invoice_id: invoiceId } : {}),
      ...(await liveModeMetadata(ctx, customer)),
    },
    idempotencyKey: `link:${id}`,
  });
  const row: PaymentLinkRow = {
    org_id: orgId,
    id,
    customer_id: customer.id,
    gateway: customer.gateway,
    gateway_link_ref: link.ref,
    plan_issuer_id: plan?.issuerId ?? null,
    plan_id: plan?.id ?? null,
    plan_version_id: plan?.versionId ?? null,
    invoice_id: invoiceId,
    amount,
    currency: customer.currency,
    description,
    status: 'active',
    url: link.url,
    expires_at: expiresAt,
    paid_at: null,
    cancelled_at: null,
    payment_id: null,
    created_by: ctx.actor.id,
    created_at: toDate(instant),
  };
  await withTransaction(ctx, (tx) => payments.insertPaymentLink(tx, row));
  return row;
}

export async function cancelPaymentLink(ctx: TenantCtx, id: string, deps: CheckoutDeps) {
  const only = { only: [ctx.tenant.orgId] };
  const row = await payments.getPaymentLink(ctx, id);
  if (row.status !== 'active') {
    throw invalid(
      'payment_link.not_active',
      `This link is ${row.status}: only an active link can be cancelled`,
    );
  }
  const view = await deps.gateways
    .get(row.gateway)
    .cancelPaymentLink(row.gateway_link_ref, `cancel:${row.id}`);
  // If it was paid a moment before, the payment wins: it is applied (or owed back), not cancelled.
  const applied = await applyPaymentLink(await billingCustomerContext(ctx), id, view);
  await refundConflictingPayments(ctx, deps.gateways, only);
  return applied;
}

export async function syncPaymentLink(ctx: TenantCtx, id: string, deps: CheckoutDeps) {
  const only = { only: [ctx.tenant.orgId] };
  const row = await payments.getPaymentLink(ctx, id);
  if (row.status !== 'active') {
    if (await findConflictingPayment(ctx, row.payment_id)) {
      await refundConflictingPayments(ctx, deps.gateways, only);
    }
    return row;
  }
  const view = await deps.gateways.get(row.gateway).getPaymentLink(row.gateway_link_ref);
  const applied = await applyPaymentLink(await billingCustomerContext(ctx), id, view);
  await refundConflictingPayments(ctx, deps.gateways, only);
  return applied;
}

/** Applies what the gateway says of a link, once, on the customer's clock. */
export async function applyPaymentLink(
  cctx: CustomerCtx,
  id: string,
  view: payments.GatewayPaymentLink,
): Promise<PaymentLinkRow> {
  return withTransaction(cctx, async (tx) => {
    const row = await payments.getPaymentLink(tx, id, { lock: true });
    if (row.status !== 'active' || view.status === 'active') return row;
    if (view.status !== 'paid') return payments.markPaymentLink(tx, row, view.status);
    // Which plan the organization pays for is decided by one transaction at a time.
    await customers.lockCustomer(tx);
    const payment = view.payment
      ? await payments.recordPayment(tx, {
          customerId: row.customer_id,
          gateway: row.gateway,
          checkoutSessionId: null,
          invoiceId: row.invoice_id,
          payment: view.payment,
        })
      : undefined;
    const inForce = row.plan_id && payment?.status === 'succeeded' ? await paidPlanInForce(tx) : undefined;
    if (payment && inForce) {
      // Another paid plan started since the link was made: the payment goes back.
      await owePaymentBack(tx, { payment, source: 'payment_link', sourceId: row.id, inForce });
    } else if (row.plan_id && row.plan_issuer_id && row.plan_version_id && payment?.status === 'succeeded') {
      await subscribeToPlan(tx, {
        plan: await pricedPlan(tx, {
          issuerId: row.plan_issuer_id,
          planId: row.plan_id,
          versionId: row.plan_version_id,
        }),
        quotedAt: fromDate(row.created_at),
        reason: 'Paid by payment link',
        payment,
      });
    } else if (row.invoice_id && payment?.status === 'succeeded') {
      // The open invoice is paid, and a subscription held for it is active again.
      await settleInvoicePayment(tx, payment);
    } else if (payment?.status === 'succeeded') {
      await recordAccountPayment(tx, payment, row.description || 'Payment by link');
    }
    return payments.markPaymentLink(tx, row, 'paid', payment?.id ?? null);
  });
}

export async function describePaymentLink(ctx: TenantCtx, row: PaymentLinkRow) {
  const conflict = await findConflictingPayment(ctx, row.payment_id);
  return payments.presentPaymentLink(
    row,
    toDate(ctx.clock.now()),
    await payments.findPayment(ctx, row.payment_id),
    conflict ? presentConflict(conflict) : undefined,
  );
}
