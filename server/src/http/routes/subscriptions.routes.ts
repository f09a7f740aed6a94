import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';
import { recordAudit } from '../../access/index.js';
import { amountInput, amountJson, idOf, listOf, listQuery, MAX_AMOUNT, toPage } from '../../api-shapes.js';
import * as customers from '../../customers/index.js';
import { BillfoldError, notFound, paymentFailed } from '../../errors.js';
import { describeSubscription } from '../../flows/billing-customer.js';
import { runBilling } from '../../flows/billing-run.js';
import { changePlan, previewPlanChange, withdrawScheduledChange } from '../../flows/change-plan.js';
import { collectInvoice } from '../../flows/collections.js';
import { voidInvoice } from '../../flows/invoice-ledger.js';
import { payOpenInvoices } from '../../flows/pay-open-invoices.js';
import { billingCustomerContext, ledgerAccount, upcomingInvoice } from '../../flows/subscription-billing.js';
import * as lifecycle from '../../flows/subscription-lifecycle.js';
import { advanceTestClock } from '../../flows/test-clocks.js';
import * as invoicing from '../../invoicing/index.js';
import * as ledger from '../../ledger/index.js';
import * as subscriptions from '../../subscriptions/index.js';
import { platformContext, type TenantCtx, tenantContext } from '../../tenant.js';
import * as testClocks from '../../test-clocks/index.js';
import { type DocumentResponse, defineRoute } from '../route.js';

const upcomingInvoiceObject = z.object({
  object: z.literal('upcoming_invoice'),
  subscription: z.string(),
  at: z.string().describe('When the billing run issues it: the end of the current period'),
  currency: z.string(),
  subtotal: z.number().int(),
  tax: z.number().int(),
  total: z.number().int(),
  lines: z.array(
    z.object({
      kind: z.string(),
      description: z.string(),
      period_start: z.string(),
      period_end: z.string(),
      quantity: z.string(),
      amount: z.number().int(),
    }),
  ),
});

/**
 * Subscriptions, invoices, the ledger and statements, the billing status, and test clocks
 * (C16–C20, C26, C27, C31). Writes that reach a gateway open their own transactions.
 */

const TAG = 'Subscriptions and invoices';

const subscriptionWithHistory = subscriptions.subscriptionDetailObject.extend({
  history: z.array(subscriptions.subscriptionEventObject),
});

async function withHistory(ctx: TenantCtx, row: Parameters<typeof describeSubscription>[1]) {
  const history = await subscriptions.subscriptionHistory(ctx, row.id);
  return {
    ...(await describeSubscription(ctx, row)),
    history: history.map((e) => ({
      id: e.id,
      kind: e.kind,
      from_status: e.from_status,
      to_status: e.to_status,
      plan_version_id: e.plan_version_id,
      reason: e.reason,
      occurred_at: e.occurred_at.toISOString(),
    })),
  };
}

const planChangeObject = z.object({
  object: z.literal('plan_change_preview'),
  subscription_id: z.string(),
  direction: z.enum(['upgrade', 'downgrade']),
  effective: z.enum(['now', 'period_end']),
  from_plan: z.object({ id: z.string(), name: z.string() }),
  to_plan: z.object({ id: z.string(), name: z.string() }),
  currency: z.string(),
  lines: z.array(z.object({ kind: z.string(), description: z.string(), amount: z.number() })),
  subtotal: z.number(),
  tax: z.number(),
  total_due_now: z.number().describe("The change's invoice total, minor units; negative: a credit"),
  credited_to_balance: z
    .number()
    .describe("What the change credits to the customer's credit balance (a total below zero), minor units"),
  credit_applied: z
    .number()
    .describe("What the customer's credit balance pays of the invoice, taken when the change is made (R28)"),
  amount_due: z.number().describe('Charged to the saved card when the change is made, minor units'),
  next_payment_at: z.string(),
  next_payment_amount: z.number().describe('The next regular invoice on the new plan, minor units'),
});

const billingStatusObject = z.object({
  object: z.literal('billing_status'),
  status: z.enum(['active', 'past_due', 'blocked']),
  subscriptions: z.array(z.object({ id: z.string(), status: z.string(), plan_id: z.string() })),
  open_invoices: z.array(
    z.object({
      id: z.string(),
      number: z.string(),
      amount_due: z.number(),
      currency: z.string(),
      next_attempt_at: z.string().nullable(),
    }),
  ),
  amount_due: z.number(),
});

const statementQuery = listQuery.extend({ subscription_id: idOf('subscription').optional() });
const statementParams = z.strictObject({ statement_id: idOf('statement') });
const operatorInvoiceParams = z.strictObject({ org_id: idOf('organization'), invoice_id: idOf('invoice') });

async function presentInvoiceRow(ctx: TenantCtx, row: Awaited<ReturnType<typeof invoicing.getInvoice>>) {
  return invoicing.presentInvoice(row, await invoicing.invoiceLines(ctx, row.id));
}

export const subscriptionsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/subscriptions/:subscription_id',
    operationId: 'getSubscription',
    summary: 'A subscription with its plan version and its history of changes',
    tag: TAG,
    permission: 'billing.read',
    params: subscriptions.subscriptionParams,
    response: subscriptionWithHistory,
    handler: async ({ tenant, params }) =>
      withHistory(tenant, await subscriptions.getSubscription(tenant, params.subscription_id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/subscriptions/:subscription_id/cancel',
    operationId: 'cancelSubscription',
    summary: 'Cancel at the end of the period (the default), or now',
    tag: TAG,
    permission: 'billing.write',
    params: subscriptions.subscriptionParams,
    body: subscriptions.cancelSubscriptionBody,
    response: subscriptionWithHistory,
    transaction: 'own',
    handler: async ({ tenant, params, body, payments: gateways }) =>
      withHistory(
        tenant,
        await lifecycle.cancelSubscription(
          await billingCustomerContext(tenant),
          params.subscription_id,
          body,
          gateways,
        ),
      ),
  }),
  // Actions without a body: each moves the subscription on and answers with it and its history.
  ...(
    [
      [
        'keep',
        'keepSubscription',
        'Withdraw a cancellation set for the end of the period',
        lifecycle.keepSubscription,
      ],
      [
        'pause',
        'pauseSubscription',
        'Pause billing: nothing renews until it is resumed',
        lifecycle.pauseSubscription,
      ],
      [
        'resume',
        'resumeSubscription',
        'Resume a paused subscription; past its period, a new one starts and is invoiced, prorated',
        lifecycle.resumeSubscription,
      ],
    ] as const
  ).map(([action, operationId, summary, act]) =>
    defineRoute({
      method: 'POST',
      path: `/v1/subscriptions/:subscription_id/${action}`,
      operationId,
      summary,
      tag: TAG,
      permission: 'billing.write',
      params: subscriptions.subscriptionParams,
      response: subscriptionWithHistory,
      transaction: 'own',
      handler: async ({ tenant, params }) =>
        withHistory(tenant, await act(await billingCustomerContext(tenant), params.subscription_id)),
    }),
  ),
  defineRoute({
    method: 'POST',
    path: '/v1/subscriptions/:subscription_id/preview_change',
    operationId: 'previewPlanChange',
    summary: 'What moving to another plan costs now and next: the summary shown before paying',
    tag: TAG,
    permission: 'billing.read',
    params: subscriptions.subscriptionParams,
    body: subscriptions.changePlanBody,
    response: planChangeObject,
    audit: 'off',
    transaction: 'own',
    handler: async ({ tenant, params, body }) =>
      previewPlanChange(
        await billingCustomerContext(tenant),
        params.subscription_id,
        body.plan_id,
        body.timing,
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/subscriptions/:subscription_id/change',
    operationId: 'changePlan',
    summary:
      'Upgrade now (the difference charged to the saved card); downgrade at the end of the period or now (credited)',
    tag: TAG,
    permission: 'billing.write',
    params: subscriptions.subscriptionParams,
    body: subscriptions.changePlanBody,
    response: z.object({
      subscription: subscriptionWithHistory,
      invoice: invoicing.invoiceObject.nullable(),
    }),
    transaction: 'own',
    handler: async ({ tenant, params, body, payments }) => {
      const result = await changePlan(
        await billingCustomerContext(tenant),
        { gateways: payments },
        params.subscription_id,
        body.plan_id,
        body.timing,
      );
      return {
        subscription: await withHistory(tenant, result.subscription),
        invoice: result.invoice ? await presentInvoiceRow(tenant, result.invoice) : null,
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/subscriptions/:subscription_id/cancel_scheduled_change',
    operationId: 'cancelScheduledChange',
    summary: 'Withdraw a downgrade scheduled for the end of the period: the subscription renews on its plan',
    tag: TAG,
    permission: 'billing.write',
    params: subscriptions.subscriptionParams,
    response: subscriptionWithHistory,
    transaction: 'own',
    handler: async ({ tenant, params }) =>
      withHistory(
        tenant,
        await withdrawScheduledChange(await billingCustomerContext(tenant), params.subscription_id),
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/billing/status',
    operationId: 'getBillingStatus',
    summary:
      'active, past_due or blocked, with the open invoices: what the product checks before letting a customer in',
    tag: TAG,
    permission: 'billing.read',
    response: billingStatusObject,
    handler: async ({ tenant }) => lifecycle.billingStatus(tenant),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/invoices',
    operationId: 'listInvoices',
    summary: 'Invoices, newest first (drafts only when asked for by status)',
    tag: TAG,
    permission: 'billing.read',
    query: invoicing.invoiceListQuery,
    response: listOf(invoicing.invoiceObject),
    handler: async ({ tenant, query }) => {
      const filter = { subscriptionId: query.subscription_id, status: query.status };
      return toPage(await invoicing.invoicesPage(tenant, filter, query), (rows) =>
        invoicing.presentInvoices(tenant, rows),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/invoices/upcoming',
    operationId: 'getUpcomingInvoice',
    summary:
      "The subscription's next regular invoice as it stands now: this period's usage so far, priced, and the next fee",
    tag: TAG,
    permission: 'billing.read',
    query: z.strictObject({ subscription: idOf('subscription') }),
    response: upcomingInvoiceObject,
    handler: async ({ tenant, query }) => {
      const sub = await subscriptions.getSubscription(tenant, query.subscription);
      const upcoming = await upcomingInvoice(await billingCustomerContext(tenant), sub);
      if (!upcoming) throw notFound('invoice.no_upcoming', 'This subscription has no invoice to come');
      return {
        object: 'upcoming_invoice' as const,
        subscription: sub.id,
        at: upcoming.at.toString(),
        currency: upcoming.currency,
        subtotal: amountJson(upcoming.subtotal),
        tax: amountJson(upcoming.tax),
        total: amountJson(upcoming.total),
        lines: upcoming.lines.map((line) => ({
          kind: line.kind,
          description: line.description,
          period_start: line.periodStart.toString(),
          period_end: line.periodEnd.toString(),
          quantity: line.quantity,
          amount: amountJson(line.amount),
        })),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/invoices/:invoice_id',
    operationId: 'getInvoice',
    summary: 'An invoice with its lines',
    tag: TAG,
    permission: 'billing.read',
    params: invoicing.invoiceParams,
    response: invoicing.invoiceObject,
    handler: async ({ tenant, params }) =>
      presentInvoiceRow(tenant, await invoicing.getInvoice(tenant, params.invoice_id)),
  }),
  ...(['pdf', 'html'] as const).map((format) =>
    defineRoute({
      method: 'GET',
      path: `/v1/invoices/:invoice_id/${format}`,
      operationId: format === 'pdf' ? 'downloadInvoicePdf' : 'viewInvoiceHtml',
      summary:
        format === 'pdf' ? 'The invoice as a PDF to download' : 'The invoice as a page to read and print',
      tag: TAG,
      permission: 'billing.read',
      params: invoicing.invoiceParams,
      response: z.unknown(),
      produces: format === 'pdf' ? 'application/pdf' : 'text/html',
      handler: async ({ tenant, params }): Promise<DocumentResponse> => {
        const invoice = await invoicing.getInvoice(tenant, params.invoice_id);
        const settings = await invoicing.billingSettings(tenant);
        const customer = await customers.getCustomer(tenant);
        const document: invoicing.InvoiceDocument = {
          invoice,
          lines: await invoicing.invoiceLines(tenant, invoice.id),
          issuer: {
            name: settings.issuer_name,
            address: settings.issuer_address,
            email: settings.issuer_email,
          },
          timeZone: customer.time_zone,
        };
        const name = invoice.number ?? `draft-${invoice.id}`;
        return format === 'pdf'
          ? { body: await invoicing.invoicePdf(document), filename: `${name}.pdf` }
          : { body: invoicing.invoiceHtml(document), filename: `${name}.html` };
      },
    }),
  ),
  defineRoute({
    method: 'POST',
    path: '/v1/invoices/:invoice_id/pay',
    operationId: 'payInvoice',
    summary:
      'Pay an open invoice now with the default saved card; a paid invoice makes the subscription active again',
    tag: TAG,
    permission: 'billing.write',
    params: invoicing.invoiceParams,
    response: invoicing.invoiceObject,
    transaction: 'own',
    handler: async ({ tenant, params, payments }) => {
      const before = await invoicing.getInvoice(tenant, params.invoice_id);
      if (before.status !== 'open') {
        throw new BillfoldError('conflict', 'invoice.not_open', `This invoice is ${before.status}`);
      }
      const outcome = await collectInvoice(tenant, { gateways: payments }, before.id, { now: true });
      await recordAudit(tenant, {
        action: 'invoice.pay_attempted',
        targetType: 'invoice',
        targetId: before.id,
        after: { outcome, amount: invoicing.amountDue(before).toString(), currency: before.currency },
      });
      const after = await invoicing.getInvoice(tenant, before.id);
      if (outcome === 'failed') {
        throw paymentFailed(
          'card.declined',
          'The card was declined; the invoice is still open. Try another card.',
        );
      }
      return presentInvoiceRow(tenant, after);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/billing/pay',
    operationId: 'payOpenInvoices',
    summary:
      "Pay every open invoice (of one subscription, or the organization's) in one charge to the default saved card",
    tag: TAG,
    permission: 'billing.write',
    body: z.strictObject({ subscription_id: idOf('subscription').optional() }).default({}),
    response: z.object({
      object: z.literal('open_invoices_payment'),
      status: z
        .enum(['paid', 'pending'])
        .describe('pending: the gateway is still confirming the payment (a bank debit)'),
      amount: z.number().describe('Charged once, the total of the invoices, minor units'),
      currency: z.string(),
      payment_id: z.string(),
      invoices: z.array(invoicing.invoiceObject),
    }),
    transaction: 'own',
    handler: async ({ tenant, body, payments }) => {
      const paid = await payOpenInvoices(
        await billingCustomerContext(tenant),
        { gateways: payments },
        {
          ...(body.subscription_id ? { subscriptionId: body.subscription_id } : {}),
        },
      );
      await recordAudit(tenant, {
        action: 'invoice.paid_together',
        targetType: 'payment',
        targetId: paid.payment.id,
        after: {
          outcome: paid.outcome,
          invoices: paid.invoices.map((invoice) => invoice.id),
          amount: paid.payment.amount.toString(),
          currency: paid.payment.currency,
        },
      });
      const invoices = [];
      for (const row of paid.invoices) {
        invoices.push(await presentInvoiceRow(tenant, await invoicing.getInvoice(tenant, row.id)));
      }
      return {
        object: 'open_invoices_payment' as const,
        status: paid.outcome,
        amount: amountJson(paid.payment.amount),
        currency: paid.payment.currency,
        payment_id: paid.payment.id,
        invoices,
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/organizations/:org_id/invoices/:invoice_id/void',
    operationId: 'voidInvoice',
    summary: 'Void an unpaid invoice; a credit note takes its charges back in the ledger',
    tag: TAG,
    permission: 'operator.write',
    params: operatorInvoiceParams,
    body: invoicing.voidInvoiceBody,
    response: invoicing.invoiceObject,
    handler: async ({ ctx, params, body }) => {
      // The operator acts on the organization the path names.
      const tenant = tenantContext(ctx, params.org_id);
      const invoice = await invoicing.getInvoice(tenant, params.invoice_id);
      if (!invoice.subscription_id) throw notFound('invoice.not_found', 'No such invoice');
      const sub = await subscriptions.getSubscription(tenant, invoice.subscription_id);
      const customer = await customers.getCustomer(tenant);
      const voided = await voidInvoice(tenant, invoice.id, body.reason, ledgerAccount(sub, customer));
      // Held for this invoice and owing nothing more: active again, as if it had been paid.
      await lifecycle.releaseIfSettled(
        tenant,
        await subscriptions.getSubscription(tenant, sub.id, 'wait'),
        customer,
        `Invoice ${voided.number} voided`,
      );
      return presentInvoiceRow(tenant, voided);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/organizations/:org_id/invoices/:invoice_id/mark_uncollectible',
    operationId: 'markInvoiceUncollectible',
    summary: 'Stop collecting an open invoice; it stays owed in the ledger until voided',
    tag: TAG,
    permission: 'operator.write',
    params: operatorInvoiceParams,
    body: invoicing.voidInvoiceBody,
    response: invoicing.invoiceObject,
    handler: async ({ ctx, params, body }) => {
      const tenant = tenantContext(ctx, params.org_id);
      return presentInvoiceRow(
        tenant,
        await invoicing.markUncollectible(tenant, params.invoice_id, body.reason),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/statements',
    operationId: 'listStatements',
    summary: 'Monthly statements, newest first: opening, credits, charges, closing',
    tag: TAG,
    permission: 'billing.read',
    query: statementQuery,
    response: listOf(ledger.statementObject),
    handler: async ({ tenant, query }) =>
      toPage(await ledger.listStatements(tenant, query.subscription_id, query), async (rows) => {
        const data = [];
        for (const row of rows) data.push(ledger.presentStatement(row, await ledger.figuresOf(tenant, row)));
        return data;
      }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/statements/:statement_id',
    operationId: 'getStatement',
    summary: 'A statement with its ledger entries',
    tag: TAG,
    permission: 'billing.read',
    params: statementParams,
    response: ledger.statementObject,
    handler: async ({ tenant, params }) => {
      const row = await ledger.getStatement(tenant, params.statement_id);
      if (!row) throw notFound('statement.not_found', 'No such statement');
      const entries = await ledger.listEntries(tenant, { statementId: row.id });
      return ledger.presentStatement(row, await ledger.figuresOf(tenant, row), entries);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/ledger_entries',
    operationId: 'listLedgerEntries',
    summary: "A subscription's ledger: every charge, credit, payment and refund, oldest first",
    tag: TAG,
    permission: 'billing.read',
    query: listQuery.extend({ subscription_id: idOf('subscription') }),
    response: listOf(ledger.ledgerEntryObject).extend({
      balance: z.number().describe("The subscription's balance after every entry, not only this page's"),
    }),
    handler: async ({ tenant, query }) => {
      const entries = await ledger.entriesPage(tenant, query.subscription_id, query);
      const balance = await ledger.balanceOf(tenant, query.subscription_id);
      return {
        ...(await toPage(entries, (rows) => rows.map(ledger.presentEntry))),
        balance: Number(balance),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/organizations/:org_id/subscriptions/:subscription_id/adjustments',
    operationId: 'adjustLedger',
    summary:
      "Add a correction to a subscription's ledger; one for a closed month goes into the open one, labelled",
    tag: TAG,
    permission: 'operator.write',
    params: z.strictObject({ org_id: idOf('organization'), subscription_id: idOf('subscription') }),
    body: z.strictObject({
      amount: amountInput(-MAX_AMOUNT)
        .refine((n) => n !== 0, 'An adjustment moves some money')
        .describe("Minor units, in the customer's favour: positive credits, negative charges"),
      description: z.string().trim().min(1).max(200),
      effective_at: z
        .string()
        .datetime({ offset: true })
        .optional()
        .describe('When it belongs (defaults to now); in a closed month it is posted late, labelled'),
    }),
    response: ledger.ledgerEntryObject,
    status: 201,
    handler: async ({ ctx, params, body }) => {
      // The operator acts on the organization the path names, dated on its customer's clock.
      const tenant = tenantContext(ctx, params.org_id);
      const sub = await subscriptions.getSubscription(tenant, params.subscription_id);
      const cctx = await billingCustomerContext(tenant);
      const { customer } = cctx;
      const effectiveAt = body.effective_at ? Temporal.Instant.from(body.effective_at) : cctx.clock.now();
      if (Temporal.Instant.compare(effectiveAt, cctx.clock.now()) > 0) {
        throw new BillfoldError(
          'invalid_request',
          'adjustment.in_the_future',
          'An adjustment cannot be dated later than now',
          'effective_at',
        );
      }
      const [entry] = await ledger.post(cctx, ledgerAccount(sub, customer), [
        {
          kind: 'adjustment',
          amount: BigInt(body.amount),
          description: body.description,
          effectiveAt,
          sourceKey: `adjustment:${ctx.requestId}`,
        },
      ]);
      if (!entry)
        throw new BillfoldError('conflict', 'adjustment.duplicate', 'This adjustment was posted already');
      await recordAudit(cctx, {
        action: 'ledger.adjusted',
        targetType: 'subscription',
        targetId: sub.id,
        after: {
          entry: entry.id,
          amount: body.amount,
          currency: entry.currency,
          description: entry.description,
          late: entry.late,
        },
      });
      return ledger.presentEntry(entry);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/test_clocks',
    operationId: 'createTestClock',
    summary: "Test mode: attach the organization's customer to a clock that moves only when told",
    tag: TAG,
    permission: 'billing.write',
    body: testClocks.createTestClockBody,
    response: testClocks.testClockObject,
    status: 201,
    handler: async ({ tenant, body }) => {
      const customer = await customers.getCustomer(tenant);
      return testClocks.presentTestClock(await testClocks.createTestClock(tenant, body, customer));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/test_clocks/:test_clock_id',
    operationId: 'getTestClock',
    summary: 'A test clock and its time',
    tag: TAG,
    permission: 'billing.read',
    params: testClocks.testClockParams,
    response: testClocks.testClockObject,
    handler: async ({ tenant, params }) =>
      testClocks.presentTestClock(await testClocks.getTestClock(tenant, params.test_clock_id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/test_clocks/:test_clock_id/advance',
    operationId: 'advanceTestClock',
    summary: 'Move a test clock forward, running every renewal, charge, retry and close due meanwhile',
    tag: TAG,
    permission: 'billing.write',
    params: testClocks.testClockParams,
    body: testClocks.advanceTestClockBody,
    response: testClocks.testClockObject.extend({
      report: z.object({ renewed: z.number(), charged: z.number(), failed: z.number(), closed: z.number() }),
    }),
    transaction: 'own',
    handler: async ({ tenant, params, body, payments }) => {
      const { clock, report } = await advanceTestClock(
        tenant,
        { gateways: payments },
        params.test_clock_id,
        Temporal.Instant.from(body.frozen_time),
      );
      return { ...testClocks.presentTestClock(clock), report };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/billing_settings',
    operationId: 'getBillingSettings',
    summary: 'Invoice prefix and counter, due day, retry schedule, and who invoices are from',
    tag: TAG,
    permission: 'operator.read',
    response: invoicing.settings.settingsObject,
    handler: async ({ ctx }) =>
      invoicing.settings.presentSettings(await invoicing.settings.getSettings(platformContext(ctx))),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/operator/billing_settings',
    operationId: 'updateBillingSettings',
    summary: 'Change the invoice prefix, due day, retry schedule or issuer details',
    tag: TAG,
    permission: 'operator.write',
    body: invoicing.settings.updateSettingsBody,
    response: invoicing.settings.settingsObject,
    handler: async ({ ctx, body }) =>
      invoicing.settings.presentSettings(await invoicing.settings.updateSettings(platformContext(ctx), body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/tax_rates',
    operationId: 'listTaxRates',
    summary: 'Tax rates by country, or by state within one',
    tag: TAG,
    permission: 'operator.read',
    query: listQuery,
    response: listOf(invoicing.settings.taxRateObject),
    handler: async ({ ctx, query }) =>
      toPage(await invoicing.settings.listTaxRates(platformContext(ctx), query), (rows) =>
        rows.map(invoicing.settings.presentTaxRate),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/tax_rates',
    operationId: 'setTaxRate',
    summary: 'Set the tax rate of a country or state (replacing the one there was)',
    tag: TAG,
    permission: 'operator.write',
    body: invoicing.settings.taxRateBody,
    response: invoicing.settings.taxRateObject,
    handler: async ({ ctx, body }) =>
      invoicing.settings.presentTaxRate(await invoicing.settings.putTaxRate(platformContext(ctx), body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/operator/tax_rates/:country',
    operationId: 'removeTaxRate',
    summary: "Remove a country's tax rate (or a state's, with ?region=)",
    tag: TAG,
    permission: 'operator.write',
    params: z.strictObject({ country: z.string().regex(/^[A-Z]{2}$/) }),
    query: z.strictObject({ region: z.string().max(10).default('') }),
    response: invoicing.settings.taxRateObject,
    handler: async ({ ctx, params, query }) =>
      invoicing.settings.presentTaxRate(
        await invoicing.settings.removeTaxRate(platformContext(ctx), params.country, query.region),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/billing/run',
    operationId: 'runBilling',
    summary: 'Run the billing run now (it also runs every minute): renewals, charges, retries, closings',
    tag: TAG,
    permission: 'operator.write',
    response: z.object({ renewed: z.number(), charged: z.number(), failed: z.number(), closed: z.number() }),
    transaction: 'own',
    audit: 'off',
    handler: async ({ ctx, payments }) => runBilling(ctx, { gateways: payments }),
  }),
];
