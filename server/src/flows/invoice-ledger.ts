import type { Temporal } from 'temporal-polyfill';
import type { Ctx } from '../context.js';
import type { InvoiceLineRow, InvoiceRow, PaymentRow, StatementRow } from '../db/schema.js';
import * as invoicing from '../invoicing/index.js';
import * as ledger from '../ledger/index.js';
import type { TenantCtx } from '../tenant.js';

/**
 * An invoice's steps that move money, each with its entries posted to the subscription's ledger in
 * the caller's transaction: issued (its charges, and the credit balance spent on it), paid, voided.
 * Invoicing computes the entries; posting them is this step of the flow, so every caller that issues,
 * pays or voids an invoice goes through here and none posts twice or forgets. The ledger takes each
 * cause once (entries are keyed by `sourceKey`), and refuses entries into a closed month, which
 * `ledger.post` routes late into the open month.
 */

/** Finalizes a draft (see `invoicing.finalize`) and posts what it charged. */
export async function issueInvoice(
  ctx: TenantCtx,
  draftId: string,
  account: ledger.LedgerAccount,
): Promise<InvoiceRow> {
  const { invoice, entries } = await invoicing.finalize(ctx, draftId, account.timeZone);
  await ledger.post(ctx, account, entries);
  return invoice;
}

/**
 * A succeeded payment for an invoice: posted to the ledger once (by payment and invoice), and the
 * invoice paid when it is covered. The ledger's key decides: a payment reported again (a webhook
 * after the return, a crash and a retry) posts nothing and pays nothing twice. `share`: the part of
 * a payment that settled several invoices at once which is this invoice's. `lines`: the invoice's
 * lines, when the caller has read them already (for the `invoice.paid` event).
 */
export async function applyPayment(
  ctx: TenantCtx,
  invoiceId: string,
  payment: PaymentRow,
  account: ledger.LedgerAccount,
  options: { share?: bigint; lines?: InvoiceLineRow[] } = {},
): Promise<InvoiceRow> {
  const invoice = await invoicing.lockInvoice(ctx, invoiceId);
  if (payment.status !== 'succeeded') return invoice;
  const entry = invoicing.paymentEntry(invoice, payment, options.share);
  const [posted] = await ledger.post(ctx, account, [entry]);
  return posted ? invoicing.settlePayment(ctx, invoice, entry.amount, options.lines) : invoice;
}

/** One succeeded payment of a batch, for the invoice it names, locked by `invoicing.lockInvoices`. */
export interface BatchPayment {
  invoice: InvoiceRow;
  payment: PaymentRow;
  account: ledger.LedgerAccount;
}

/**
 * `applyPayment` for many payments at once (the billing run's charges), with multi-row statements:
 * the statements their entries go into found in one go, the entries posted in one statement, and
 * the invoices whose payment the ledger took settled in one more. `lines`: the invoices' lines, by
 * invoice id (for the `invoice.paid` event).
 *
 * A payment whose month is closed is not applied here (`deferred`): its entry goes late into the
 * open month, which `applyPayment` knows how to do one at a time.
 */
export async function applyPayments(
  ctx: Ctx,
  batch: readonly BatchPayment[],
  lines: ReadonlyMap<string, InvoiceLineRow[]>,
): Promise<{ settled: InvoiceRow[]; deferred: BatchPayment[] }> {
  const paying = batch.filter(({ payment }) => payment.status === 'succeeded');
  const entries = paying.map(({ invoice, payment }) => invoicing.paymentEntry(invoice, payment));
  const statements = await ledger.statementsFor(
    ctx,
    paying.map((item, i) => ({
      account: item.account,
      at: (entries[i] as invoicing.InvoiceEntry).effectiveAt,
    })),
  );
  const posting: { item: BatchPayment; statement: StatementRow; entry: invoicing.InvoiceEntry }[] = [];
  const deferred: BatchPayment[] = [];
  for (const [i, item] of paying.entries()) {
    const statement = statements[i];
    if (statement?.status === 'open')
      posting.push({ item, statement, entry: entries[i] as invoicing.InvoiceEntry });
    else deferred.push(item);
  }
  const posted = await ledger.postToOpenStatements(
    ctx,
    posting.map(({ item, statement, entry }) => ({ account: item.account, statement, entries: [entry] })),
  );
  // The ledger's key decides, as in `applyPayment`: a payment posted before settles nothing again.
  const taken = new Set(posted.map((entry) => `${entry.org_id}|${entry.source_key}`));
  const settled = await invoicing.settlePayments(
    ctx,
    posting
      .filter(({ item, entry }) => taken.has(`${item.invoice.org_id}|${entry.sourceKey}`))
      .map(({ item, entry }) => ({ invoice: item.invoice, amount: entry.amount })),
    lines,
  );
  return { settled, deferred };
}

/**
 * An invoice paid in part (or whole) by credit taken from the balance before it was issued: a
 * checkout's first invoice, taken when the checkout opened (R27), or a plan change's, taken when the
 * change was claimed (R28). Posts the ledger's credit entry, keyed by the invoice as R18's is, and
 * the amount paid. The balance transaction was written when the credit was taken.
 */
export async function applyReservedCredit(
  ctx: TenantCtx,
  invoiceId: string,
  amount: bigint,
  account: ledger.LedgerAccount,
): Promise<InvoiceRow> {
  const invoice = await invoicing.lockInvoice(ctx, invoiceId);
  if (amount <= 0n || invoice.status !== 'open') return invoice;
  const [posted] = await ledger.post(ctx, account, [invoicing.creditEntry(invoice, amount, ctx.clock.now())]);
  return posted ? invoicing.settlePayment(ctx, invoice, amount) : invoice;
}

/** Voids an unpaid invoice (see `invoicing.voidInvoice`) and posts its credit note. */
export async function voidInvoice(
  ctx: TenantCtx,
  invoiceId: string,
  reason: string,
  account: ledger.LedgerAccount,
): Promise<InvoiceRow> {
  const { invoice, entry } = await invoicing.voidInvoice(ctx, invoiceId, reason);
  await ledger.post(ctx, account, [entry]);
  return invoice;
}

/** One invoice to issue in a batch: the draft, its ledger account, and "now" on its customer's clock. */
export interface BatchInvoice {
  draft: invoicing.DraftInvoice;
  account: ledger.LedgerAccount;
  at: Temporal.Instant;
}

/**
 * `issueInvoice` for many invoices at once (the billing run's batches), with multi-row statements:
 * the statements their charges go into found (or opened) in one go, the invoices issued by
 * `invoicing.issueMany`, and their charges posted in one statement.
 *
 * An invoice whose charges would land in a month already closed is not issued here (`deferred`):
 * its entries go late into the open month, which `issueInvoice` knows how to do one at a time.
 */
export async function issueInvoices(
  ctx: Ctx,
  batch: readonly BatchInvoice[],
): Promise<{ issued: InvoiceRow[]; deferred: BatchInvoice[] }> {
  const chargedAt = (item: BatchInvoice) => invoicing.chargeDate(item.draft, item.at);
  const statements = await ledger.statementsFor(
    ctx,
    batch.map((item) => ({ account: item.account, at: chargedAt(item) })),
  );
  const issuing: { item: BatchInvoice; statement: StatementRow }[] = [];
  const deferred: BatchInvoice[] = [];
  for (const [i, item] of batch.entries()) {
    const statement = statements[i];
    if (statement?.status === 'open') issuing.push({ item, statement });
    else deferred.push(item);
  }
  const issued = await invoicing.issueMany(
    ctx,
    issuing.map(({ item }) => ({ draft: item.draft, at: item.at, timeZone: item.account.timeZone })),
  );
  await ledger.postToOpenStatements(
    ctx,
    issued.map(({ entries }, i) => {
      const { item, statement } = issuing[i] as (typeof issuing)[number];
      return { account: item.account, statement, entries };
    }),
  );
  return { issued: issued.map(({ invoice }) => invoice), deferred };
}
