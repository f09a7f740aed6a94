import { createHash } from 'node:crypto';
import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { InvoiceRow, PaymentRow, SubscriptionRow } from '../db/schema.js';
import { conflict, paymentFailed } from '../errors.js';
import * as invoicing from '../invoicing/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type BillingRunDeps, settleFailure } from './billing-run.js';
import { customerContext, ledgerAccount } from './subscription-billing.js';
import { resumeIfSettled } from './subscription-lifecycle.js';

/**
 * Everything an organization owes, in one payment (C19): the banner after a failed payment shows the
 * total of all open invoices, and paying it charges the saved card that total once, then marks every
 * invoice paid in one transaction, with a ledger entry per invoice.
 *
 * Like an automatic charge, the gateway is called outside any transaction with a key that names what
 * is being paid: the invoices and how many attempts each has had. The same request fired twice, or
 * repeated after a crash, finds the same invoices and attempts, so the gateway sees one charge; the
 * ledger entries are keyed by payment and invoice, so applying it again posts nothing.
 */

export type PayOpenOutcome = 'paid' | 'pending';

export async function payOpenInvoices(
  ctx: Ctx,
  deps: BillingRunDeps,
  orgId: string,
  filter: { subscriptionId?: string } = {},
): Promise<{ outcome: PayOpenOutcome; invoices: InvoiceRow[]; payment: PaymentRow }> {
  const customer = await customers.getCustomer(ctx, orgId);
  const cctx = await customerContext(ctx, customer);
  if (filter.subscriptionId) await subscriptions.getSubscription(cctx, orgId, filter.subscriptionId);
  const owed = (await invoicing.listInvoices(cctx, orgId, { ...filter, status: 'open' }))
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
  const method = (await customers.listPaymentMethods(cctx, orgId)).find((m) => m.is_default);
  if (!method || !deps.gateways.has(method.gateway)) {
    throw conflict('payment_method.missing', 'Save a card first: there is none to charge');
  }
  const shares = new Map(owed.map((invoice) => [invoice.id, invoicing.amountDue(invoice)]));
  const total = [...shares.values()].reduce((sum, amount) => sum + amount, 0n);
  const gateway = deps.gateways.get(method.gateway);
  const payment = await payments.chargeSavedMethod(cctx, gateway, {
    orgId,
    customerId: customer.id,
    gatewayCustomerRef: await payments.gatewayCustomerRef(cctx, gateway, customer),
    paymentMethodRef: method.gateway_ref,
    amount: total,
    currency,
    description: `Invoices ${owed.map((invoice) => invoice.number).join(', ')}`,
    idempotencyKey: paymentKey(owed),
  });
  if (payment.status === 'processing') return { outcome: 'pending', invoices: owed, payment };
  if (payment.status !== 'succeeded') {
    // Each invoice counts the failed attempt, so the next try (a new card, often) is a new charge.
    for (const invoice of owed) {
      await settleFailure(cctx, invoice, payment.failure_message ?? 'The card was declined');
    }
    throw paymentFailed(
      'card.declined',
      'The card was declined; the invoices are still open. Try another card.',
    );
  }
  const paid = await withTransaction(cctx, (tx) => applyToInvoices(tx, owed, payment, shares));
  return { outcome: 'paid', invoices: paid, payment };
}

/** Names the invoices and the attempt each is at: a retry after a failure is a new charge. */
function paymentKey(owed: readonly InvoiceRow[]): string {
  const what = owed.map((invoice) => `${invoice.id}:${invoice.attempt_count}`).join(',');
  return `invoices:${createHash('sha256').update(what).digest('hex').slice(0, 32)}`;
}

async function applyToInvoices(
  tx: Ctx,
  owed: readonly InvoiceRow[],
  payment: PaymentRow,
  shares: ReadonlyMap<string, bigint>,
): Promise<InvoiceRow[]> {
  const customer = await customers.getCustomer(tx, payment.org_id);
  // Subscriptions first, then invoices, each in id order: the order every other writer follows.
  const held = new Map<string, SubscriptionRow>();
  const subscriptionIds = [...new Set(owed.map((invoice) => invoice.subscription_id))].sort();
  for (const id of subscriptionIds) {
    if (id) held.set(id, await subscriptions.getSubscription(tx, payment.org_id, id, 'wait'));
  }
  const paid: InvoiceRow[] = [];
  for (const invoice of owed) {
    const sub = invoice.subscription_id ? held.get(invoice.subscription_id) : undefined;
    if (!sub) continue;
    paid.push(
      await invoicing.applyPayment(
        tx,
        { orgId: invoice.org_id, invoiceId: invoice.id },
        payment,
        ledgerAccount(sub, customer),
        shares.get(invoice.id),
      ),
    );
  }
  const numbers = owed.map((invoice) => invoice.number).join(', ');
  for (const sub of held.values()) {
    if (sub.status === 'past_due' || sub.status === 'unpaid') {
      await subscriptions.transition(tx, sub, 'active', `Invoices ${numbers} paid`);
    } else {
      await resumeIfSettled(tx, sub, customer, `Invoices ${numbers} paid`);
    }
  }
  return paid;
}
