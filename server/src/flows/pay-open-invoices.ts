import { createHash } from 'node:crypto';
import { withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { InvoiceRow, PaymentRow, SubscriptionRow } from '../db/schema.js';
import { conflict, paymentFailed } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import type { CustomerCtx, TenantCtx } from '../tenant.js';
import { customerContext } from '../tenant.js';
import type { BillingRunDeps } from './billing-run.js';
import { settleFailure } from './collections.js';
import { applyPayment } from './invoice-ledger.js';
import { ledgerAccount } from './subscription-billing.js';
import { releaseIfSettled } from './subscription-lifecycle.js';

/**
 * Everything an organization owes, in one payment (C19): the banner after a failed payment shows the
 * total of all open invoices, and paying it charges the saved card that total once, then marks every
 * invoice paid in one transaction, with a ledger entry per invoice.
 *
 * Like an automatic charge, the gateway is called outside any transaction with a key that names what
 * is being paid: the invoices and how many attempts each has had. The same request fired twice, or
 * repeated after a crash, finds the same invoices and attempts, so the gateway sees one charge. The
 * payment's allocations (which invoices, how much of it each) are written with it, so an outcome
 * that arrives later (a bank debit's webhook) settles the same invoices; ledger entries are keyed by
 * payment and invoice, so settling again posts nothing.
 */

export type PayOpenOutcome = 'paid' | 'pending';

export async function payOpenInvoices(
  cctx: CustomerCtx,
  deps: BillingRunDeps,
  filter: { subscriptionId?: string } = {},
): Promise<{ outcome: PayOpenOutcome; invoices: InvoiceRow[]; payment: PaymentRow }> {
  const { customer } = cctx;
  if (filter.subscriptionId) await subscriptions.getSubscription(cctx, filter.subscriptionId);
  const owed = (await invoicing.listInvoices(cctx, { ...filter, status: 'open' }))
    .filter((invoice) => invoice.subscription_id !== null && invoicing.amountDue(invoice) > 0n)
    // One order for every caller: the same key, and locks always taken in the same order.
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  if (owed.length === 0) throw conflict('invoice.nothing_due', 'There is no open invoice to pay');
  const currency = owed[0]?.currency ?? customer.currency;
  if (owed.some((invoice) => invoice.currency !== currency)) {
    throw conflict(
      'invoice.mixed_currencies',
      'The open invoices are in different currencies: pay them one at a time',
    );
  }
  const method = (await customers.listPaymentMethods(cctx)).find((m) => m.is_default);
  if (!method || !deps.gateways.has(method.gateway)) {
    throw conflict('payment_method.missing', 'Save a card first: there is none to charge');
  }
  const shares = owed.map((invoice) => ({ invoice, amount: invoicing.amountDue(invoice) }));
  const gateway = deps.gateways.get(method.gateway);
  const payment = await payments.chargeSavedMethod(cctx, gateway, {
    customerId: customer.id,
    gatewayCustomerRef: await payments.gatewayCustomerRef(cctx, gateway, customer),
    paymentMethodRef: method.gateway_ref,
    amount: shares.reduce((sum, share) => sum + share.amount, 0n),
    currency,
    description: `Invoices ${owed.map((invoice) => invoice.number).join(', ')}`,
    idempotencyKey: paymentKey(owed),
  });
  await withTransaction(cctx, (tx) => invoicing.allocatePayment(tx, payment, shares));
  const outcome = await settleAllocatedPayment(cctx, payment);
  if (outcome === 'failed') {
    throw paymentFailed(
      'card.declined',
      'The card was declined; the invoices are still open. Try another card.',
    );
  }
  const invoices: InvoiceRow[] = [];
  for (const invoice of owed) invoices.push(await invoicing.getInvoice(cctx, invoice.id));
  return { outcome: outcome === 'paid' ? 'paid' : 'pending', invoices, payment };
}

/** Names the invoices and the attempt each is at: a retry after a failure is a new charge. */
function paymentKey(owed: readonly InvoiceRow[]): string {
  const what = owed.map((invoice) => `${invoice.id}:${invoice.attempt_count}`).join(',');
  return `invoices:${createHash('sha256').update(what).digest('hex').slice(0, 32)}`;
}

/**
 * Applies the outcome of a payment allocated to several invoices: each paid, with its subscription
 * active again (or resumed); or, declined, a failed attempt on each at the attempt it was charged
 * for; or, still processing (a bank debit), no automatic retry until its webhook says. A payment
 * without allocations is none of this function's business.
 */
export async function settleAllocatedPayment(
  anyCtx: TenantCtx,
  payment: PaymentRow,
): Promise<'paid' | 'failed' | 'pending' | 'skipped'> {
  const allocations = await invoicing.allocationsOf(anyCtx, payment);
  if (allocations.length === 0) return 'skipped';
  // In the customer's own time (its test clock, in test mode), whoever brings the news.
  const customer = await customers.getCustomer(anyCtx);
  const ctx = await customerContext(anyCtx, customer);
  if (payment.status === 'processing') {
    await withTransaction(ctx, async (tx) => {
      for (const a of allocations) {
        await invoicing.awaitPaymentOutcome(tx, a.invoice_id);
      }
    });
    return 'pending';
  }
  if (payment.status !== 'succeeded') {
    for (const a of allocations) {
      const invoice = await invoicing.getInvoice(ctx, a.invoice_id);
      await settleFailure(ctx, invoice, payment.failure_message ?? 'The card was declined', a.attempt);
    }
    return 'failed';
  }
  await withTransaction(ctx, async (tx) => {
    const owed: InvoiceRow[] = [];
    for (const a of allocations) owed.push(await invoicing.getInvoice(tx, a.invoice_id));
    // Subscriptions first, then invoices, each in id order: the order every other writer follows.
    const held = new Map<string, SubscriptionRow>();
    const subscriptionIds = [...new Set(owed.map((invoice) => invoice.subscription_id))].sort();
    for (const id of subscriptionIds) {
      if (id) held.set(id, await subscriptions.getSubscription(tx, id, 'wait'));
    }
    for (const [i, a] of allocations.entries()) {
      const sub = held.get(owed[i]?.subscription_id ?? '');
      if (!sub) continue;
      await applyPayment(tx, a.invoice_id, payment, ledgerAccount(sub, customer), { share: a.amount });
    }
    const numbers = owed.map((invoice) => invoice.number).join(', ');
    for (const sub of held.values()) await releaseIfSettled(tx, sub, customer, `Invoices ${numbers} paid`);
  });
  return 'paid';
}
