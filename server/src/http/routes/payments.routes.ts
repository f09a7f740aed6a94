import { z } from 'zod';
import { amountJson, idOf, listOf, listQuery, toPage } from '../../api-shapes.js';
import * as customers from '../../customers/index.js';
import { BillfoldError } from '../../errors.js';
import * as checkout from '../../flows/checkout.js';
import * as links from '../../flows/payment-links.js';
import { paymentPurposes } from '../../flows/payment-purposes.js';
import { billingCustomerContext, recordRefund } from '../../flows/subscription-billing.js';
import type { PageRequest } from '../../pagination.js';
import * as payments from '../../payments/index.js';
import * as subscriptions from '../../subscriptions/index.js';
import { scoped, type TenantCtx, tenantContext } from '../../tenant.js';
import { toDate } from '../../time/index.js';
import { defineRoute, type RouteInput } from '../route.js';

/** Checkout at the customer's gateway (C11, C14). */

const TAG = 'Payments';

const deps = (
  input: Pick<RouteInput<unknown, unknown, unknown>, 'payments' | 'publicUrl'>,
): checkout.CheckoutDeps => ({
  gateways: input.payments,
  publicUrl: input.publicUrl,
});

const checkoutQuoteBody = z.strictObject({
  plan_id: idOf('plan'),
  billing_mode: z.enum(['calendar', 'anniversary']).default('calendar'),
  billing_day: payments.billingDaySchema,
  additional: z.boolean().default(false),
});

const checkoutQuoteObject = z.object({
  object: z.literal('checkout_quote'),
  plan_id: z.string(),
  currency: z.string(),
  time_zone: z.string().describe("The customer's, in which the period's days are counted"),
  period_start: z.string(),
  period_end: z.string().describe('The end of the first billing period'),
  trialing: z
    .boolean()
    .describe("true: the plan starts with a free trial (its version's trial_days); nothing is due now"),
  lines: z.array(z.object({ description: z.string(), amount: z.number() })),
  subtotal: z.number(),
  tax: z.number(),
  total: z.number().describe("The first invoice's total, minor units"),
  credit_applied: z
    .number()
    .describe("The part of the total the customer's credit balance pays, minor units (R27)"),
  amount_due: z.number().describe('What the checkout takes from the card now: total − credit_applied'),
  recurring: z
    .object({
      from: z
        .string()
        .describe("When the plan's fee is next charged: the first period's end, or the trial's"),
      interval: z.string().describe('How often it is charged after that: week, month or year'),
      subtotal: z.number(),
      tax: z.number(),
      total: z
        .number()
        .describe(
          'What each whole period bills at least, with tax: the fee, or the minimum commitment when more',
        ),
      usage_charges: z.boolean().describe('true: the plan also bills usage, on top of the fee, as used'),
    })
    .describe('What follows the first invoice: "then $49.00 a month from Dec 1"'),
  gateway: z
    .object({
      name: customers.gatewaySchema.describe('The gateway that takes this payment'),
      live: customers.gatewaySchema.describe(
        "The gateway the routing rule names for the customer's country: the one that takes payments once it has keys",
      ),
      country: z.string().describe("The customer's billing country, which the rule routes by"),
    })
    .describe('Which gateway takes the payment, and why'),
});

export const paymentsRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/checkout_quotes',
    operationId: 'quoteCheckout',
    summary:
      "What a plan's checkout would take now (the first period, prorated, with tax), after the same checks",
    tag: TAG,
    permission: 'billing.read',
    body: checkoutQuoteBody,
    response: checkoutQuoteObject,
    audit: 'off',
    handler: async ({ tenant, body }) => {
      // Quoted on the customer's clock: a customer on a test clock is quoted at its frozen time.
      const cctx = await billingCustomerContext(tenant);
      const { quote, plan, customer } = await checkout.quotePlanCheckout(cctx, body.plan_id, {
        billingMode: body.billing_mode,
        billingDay: body.billing_day,
        additional: body.additional,
      });
      const routing = await customers.getGatewayRouting(tenant);
      return {
        object: 'checkout_quote' as const,
        plan_id: plan.id,
        currency: plan.currency,
        time_zone: customer.time_zone,
        period_start: toDate(quote.period.start).toISOString(),
        period_end: toDate(quote.period.end).toISOString(),
        trialing: quote.trialing,
        lines: quote.lines.map((line) => ({
          description: line.description,
          amount: amountJson(line.amount),
        })),
        subtotal: amountJson(quote.totals.subtotal),
        tax: amountJson(quote.totals.tax),
        total: amountJson(quote.totals.total),
        credit_applied: amountJson(quote.creditApplied),
        amount_due: amountJson(quote.amountDue),
        recurring: {
          from: toDate(quote.recurring.from).toISOString(),
          interval: plan.billing_interval,
          subtotal: amountJson(quote.recurring.totals.subtotal),
          tax: amountJson(quote.recurring.totals.tax),
          total: amountJson(quote.recurring.totals.total),
          usage_charges: quote.recurring.usageCharges,
        },
        gateway: {
          name: customer.gateway,
          live: customers.ruledGateway(routing, customer.country),
          country: customer.country,
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/checkout_sessions',
    operationId: 'createCheckoutSession',
    summary:
      "Opens a checkout at the customer's gateway: subscribe to a plan paying its first period, or save a new card",
    tag: TAG,
    permission: 'billing.write',
    body: payments.createCheckoutBody,
    response: payments.checkoutSessionObject,
    status: 201,
    // The gateway is called over the network, outside any transaction; its own idempotency key (the
    // session's id) makes a retried call safe.
    transaction: 'own',
    handler: async (input) => {
      const { tenant } = input;
      const {
        plan_id: planId,
        return_path: returnPath,
        billing_mode: billingMode,
        billing_day: billingDay,
        additional,
      } = input.body;
      const row = planId
        ? await checkout.startPlanCheckout(tenant, planId, deps(input), returnPath, {
            billingMode,
            billingDay,
            additional,
          })
        : await checkout.startSetupCheckout(tenant, deps(input), returnPath);
      return checkout.describeCheckout(tenant, row);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/checkout_sessions/:checkout_session_id',
    operationId: 'getCheckoutSession',
    summary: 'A checkout session and its payment',
    tag: TAG,
    permission: 'billing.read',
    params: payments.checkoutParams,
    response: payments.checkoutSessionObject,
    handler: async ({ tenant, params }) =>
      checkout.describeCheckout(
        tenant,
        await payments.getCheckoutSession(tenant, params.checkout_session_id),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/checkout_sessions/:checkout_session_id/sync',
    operationId: 'syncCheckoutSession',
    summary: 'Back from the hosted page: ask the gateway how the checkout ended and apply it (idempotent)',
    tag: TAG,
    permission: 'billing.write',
    params: payments.checkoutParams,
    transaction: 'own',
    // Often changes nothing (still open, or already applied); when it applies, the change is audited.
    audit: 'off',
    response: payments.checkoutSessionObject,
    handler: async (input) =>
      checkout.describeCheckout(
        input.tenant,
        await checkout.syncCheckout(input.tenant, input.params.checkout_session_id, deps(input)),
      ),
  }),

  defineRoute({
    method: 'POST',
    path: '/v1/payment_links',
    operationId: 'createPaymentLink',
    summary: 'A shareable link for a plan or an amount: anyone can pay it, without an account',
    tag: TAG,
    permission: 'billing.write',
    body: payments.createPaymentLinkBody,
    response: payments.paymentLinkObject,
    status: 201,
    transaction: 'own',
    handler: async (input) =>
      links.describePaymentLink(
        input.tenant,
        await links.createPaymentLink(input.tenant, input.body, deps(input)),
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/payment_links',
    operationId: 'listPaymentLinks',
    summary: "The organization's payment links, newest first",
    tag: TAG,
    permission: 'billing.read',
    query: listQuery,
    response: listOf(payments.paymentLinkObject),
    handler: async ({ tenant, query }) =>
      toPage(await payments.listPaymentLinks(tenant, query), async (rows) => {
        const data = [];
        for (const row of rows) data.push(await links.describePaymentLink(tenant, row));
        return data;
      }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/payment_links/:payment_link_id',
    operationId: 'getPaymentLink',
    summary: 'A payment link and its payment',
    tag: TAG,
    permission: 'billing.read',
    params: payments.paymentLinkParams,
    response: payments.paymentLinkObject,
    handler: async ({ tenant, params }) =>
      links.describePaymentLink(tenant, await payments.getPaymentLink(tenant, params.payment_link_id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/payment_links/:payment_link_id/cancel',
    operationId: 'cancelPaymentLink',
    summary: 'Cancel an active link: it refuses payment from now on',
    tag: TAG,
    permission: 'billing.write',
    params: payments.paymentLinkParams,
    response: payments.paymentLinkObject,
    transaction: 'own',
    handler: async (input) =>
      links.describePaymentLink(
        input.tenant,
        await links.cancelPaymentLink(input.tenant, input.params.payment_link_id, deps(input)),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/payment_links/:payment_link_id/sync',
    operationId: 'syncPaymentLink',
    summary: 'Ask the gateway whether the link was paid, and apply it (idempotent)',
    tag: TAG,
    permission: 'billing.write',
    params: payments.paymentLinkParams,
    response: payments.paymentLinkObject,
    transaction: 'own',
    // Often changes nothing; when it applies a payment, the change is audited.
    audit: 'off',
    handler: async (input) =>
      links.describePaymentLink(
        input.tenant,
        await links.syncPaymentLink(input.tenant, input.params.payment_link_id, deps(input)),
      ),
  }),

  defineRoute({
    method: 'GET',
    path: '/v1/payments',
    operationId: 'listPayments',
    summary: "The organization's payments, newest first, with their refunds",
    tag: TAG,
    permission: 'billing.read',
    query: listQuery,
    response: listOf(payments.paymentWithRefundsObject),
    handler: async ({ tenant, query }) => paymentsWithRefunds(tenant, query),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/organizations/:org_id/payments',
    operationId: 'listOrganizationPayments',
    summary: "An organization's payments with their refunds, for operators",
    tag: TAG,
    permission: 'operator.read',
    params: subscriptions.organizationParams,
    query: listQuery,
    response: listOf(payments.paymentWithRefundsObject),
    handler: async ({ ctx, params, query }) => paymentsWithRefunds(tenantContext(ctx, params.org_id), query),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/organizations/:org_id/payments/:payment_id/refunds',
    operationId: 'refundPayment',
    summary: 'Refund a payment, in full or in part',
    tag: TAG,
    permission: 'operator.write',
    params: payments.paymentParams,
    body: payments.createRefundBody,
    response: payments.refundObject,
    status: 201,
    transaction: 'own',
    handler: async ({ ctx, params, body, payments: gateways }) => {
      // The operator acts on the organization the path names.
      const tenant = tenantContext(ctx, params.org_id);
      const payment = await scoped(tenant)
        .selectFrom('payments')
        .select('gateway')
        .where('id', '=', params.payment_id)
        .executeTakeFirst();
      if (!payment) throw new BillfoldError('not_found', 'payment.not_found', 'No such payment');
      // Dated on the customer's clock (a test clock's frozen time), as its payment was: the refund's
      // ledger entries belong in the same month's statement.
      const refund = await payments.refundPayment(
        await billingCustomerContext(tenant),
        gateways.get(payment.gateway),
        {
          paymentId: params.payment_id,
          amount: body.amount === undefined ? undefined : BigInt(body.amount),
          reason: body.reason,
        },
        recordRefund,
      );
      return payments.presentRefund(refund);
    },
  }),
];

/** A page of payments, each with its refunds (read for the whole page at once). */
async function paymentsWithRefunds(ctx: TenantCtx, page: PageRequest) {
  return toPage(await payments.listPayments(ctx, page), async (rows) => {
    const [refunds, purposes] = await Promise.all([
      payments.listRefunds(
        ctx,
        rows.map((r) => r.id),
      ),
      paymentPurposes(ctx, rows),
    ]);
    return rows.map((row) => {
      const mine = refunds.filter((r) => r.payment_id === row.id);
      return {
        ...payments.presentPayment(row),
        ...(purposes.get(row.id) ?? { description: '', invoices: [] }),
        refunded: amountJson(mine.reduce((sum, r) => sum + (r.status === 'failed' ? 0n : r.amount), 0n)),
        refunds: mine.map(payments.presentRefund),
      };
    });
  });
}
