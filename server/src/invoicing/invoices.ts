import { sql, type Updateable } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import { recordAudit } from '../access/index.js';
import { type ChargeLine, invoiceTotals, NO_TAX, type TaxRule } from '../billing/index.js';
import type { Ctx } from '../context.js';
import * as customers from '../customers/index.js';
import { newId } from '../db/ids.js';
import type {
  BillingCustomerRow,
  BillingReason,
  DunningFinalStep,
  InvoiceLineKind,
  InvoiceLineRow,
  InvoiceRow,
  InvoicesTable,
  LedgerEntryKind,
  PaymentAllocationRow,
  PaymentRow,
} from '../db/schema.js';
import { type BillingScope, inScope, refsIn } from '../db/scope.js';
import { conflict, invalid, notFound } from '../errors.js';
import * as events from '../events/index.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { fromDate, localDate, toDate } from '../time/index.js';
import { presentInvoice } from './invoice.schema.js';

/**
 * Invoices (C20): drafted with their lines and totals, then finalized, which hands out the issuer's
 * next number inside the same transaction (a rollback gives it back, so numbers have no gaps) and
 * sets the due date. Payments mark them paid; a finalized invoice that is not paid can be voided,
 * with a credit note that takes its charges back.
 *
 * What each step means for the subscription's ledger (its charges, a payment, a credit note) is
 * computed here as entries, and posted by the flow that takes the step, in its transaction: this
 * module writes no ledger row itself.
 */

/** A line as the billing core rates it. */
export type DraftLine = ChargeLine;

export interface DraftInvoice {
  orgId: string;
  issuerId: string;
  customer: BillingCustomerRow;
  subscriptionId: string;
  reason: BillingReason;
  currency: string;
  periodStart: Temporal.Instant;
  periodEnd: Temporal.Instant;
  lines: DraftLine[];
  tax: TaxRule;
  autoCharge: boolean;
  /**
   * A cycle invoice's renewal: the instant the period that ended gave way (one cycle invoice per
   * renewal). The described period's start by default, which it is unless the invoice bills only a
   * period that ended (a subscription's last, cancelled at its end).
   */
  cycleAt?: Temporal.Instant;
  /** An id chosen by the caller, when it must be known before the invoice exists (an idempotency key). */
  id?: string;
}

export async function billingSettings(ctx: TenantCtx) {
  const settings = await scoped(ctx, 'issuer').selectFrom('billing_settings').selectAll().executeTakeFirst();
  return (
    settings ?? {
      org_id: ctx.tenant.issuerId,
      invoice_prefix: 'INV',
      due_day: 15,
      retry_days: [3, 5, 7],
      dunning_final_step: 'pause' as const,
      issuer_name: ctx.tenant.issuerId,
      issuer_address: '',
      issuer_email: '',
    }
  );
}

/** The tax rate for a customer's state, else its country, else none. */
export async function taxRuleFor(
  ctx: TenantCtx,
  customer: { country: string; state: string },
): Promise<TaxRule> {
  const rates = await scoped(ctx, 'issuer')
    .selectFrom('tax_rates')
    .selectAll()
    .where('country', '=', customer.country)
    .where('region', 'in', ['', customer.state])
    .execute();
  const rate =
    rates.find((r) => r.region !== '' && r.region === customer.state) ?? rates.find((r) => r.region === '');
  return rate ? { name: rate.name, percent: rate.percent, inclusive: rate.inclusive } : NO_TAX;
}

/** The lines and totals, as a summary before anything is written (a preview) or as the draft's. */
export function draftTotals(lines: readonly { amount: bigint }[], tax: TaxRule) {
  return invoiceTotals(
    lines.map((l) => l.amount),
    tax,
  );
}

/** A draft's invoice row, as `createDraft` writes it. */
function draftRow(input: DraftInvoice, totals: ReturnType<typeof draftTotals>, now: Date): InvoiceRow {
  const { customer } = input;
  return {
    org_id: input.orgId,
    id: input.id ?? newId('invoice'),
    issuer_id: input.issuerId,
    customer_id: customer.id,
    subscription_id: input.subscriptionId,
    number: null,
    status: 'draft',
    billing_reason: input.reason,
    currency: input.currency,
    period_start: toDate(input.periodStart),
    period_end: toDate(input.periodEnd),
    cycle_at: input.reason === 'subscription_cycle' ? toDate(input.cycleAt ?? input.periodStart) : null,
    subtotal: totals.subtotal,
    tax: totals.tax,
    total: totals.total,
    amount_paid: 0n,
    tax_name: input.tax.name,
    tax_percent: input.tax.percent,
    tax_inclusive: input.tax.inclusive,
    bill_to: {
      name: customer.name,
      email: customer.email,
      address_line1: customer.address_line1,
      address_line2: customer.address_line2,
      city: customer.city,
      state: customer.state,
      postal_code: customer.postal_code,
      country: customer.country,
      tax_id: customer.tax_id,
    },
    due_at: null,
    finalized_at: null,
    paid_at: null,
    voided_at: null,
    auto_charge: input.autoCharge,
    attempt_count: 0,
    first_failed_at: null,
    next_attempt_at: null,
    created_at: now,
    updated_at: now,
  };
}

function lineRow(orgId: string, invoiceId: string, line: DraftLine, position: number): InvoiceLineRow {
  return {
    org_id: orgId,
    id: newId('invoiceLine'),
    invoice_id: invoiceId,
    position,
    kind: line.kind,
    description: line.description,
    period_start: toDate(line.periodStart),
    period_end: toDate(line.periodEnd),
    quantity: line.quantity,
    unit_amount: line.unitAmount,
    amount: line.amount,
    plan_version_id: line.planVersionId,
  };
}

export async function createDraft(ctx: TenantCtx, input: DraftInvoice): Promise<InvoiceRow> {
  const row = draftRow(input, draftTotals(input.lines, input.tax), toDate(ctx.clock.now()));
  await ctx.db
    .insertInto('invoices')
    .values({ ...row, bill_to: JSON.stringify(row.bill_to) })
    .execute();
  if (input.lines.length > 0) {
    await ctx.db
      .insertInto('invoice_lines')
      .values(input.lines.map((line, position) => lineRow(input.orgId, row.id, line, position)))
      .execute();
  }
  return row;
}

/** Changes an invoice's row and returns it as it now is. */
function updateInvoice(
  ctx: TenantCtx,
  invoice: InvoiceRow,
  changes: Updateable<InvoicesTable>,
): Promise<InvoiceRow> {
  return scoped(ctx)
    .updateTable('invoices')
    .set(changes)
    .where('id', '=', invoice.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Tells the organization's webhook endpoints what became of an invoice, lines included (`lines`: when
 * the caller has them already; a finalized invoice's lines do not change).
 */
async function emitInvoice(
  ctx: TenantCtx,
  type: events.EventType,
  invoice: InvoiceRow,
  lines?: InvoiceLineRow[],
): Promise<void> {
  await events.emit(ctx, type, presentInvoice(invoice, lines ?? (await invoiceLines(ctx, invoice.id))));
}

/** The invoice, locked until the transaction ends: its payments and voids take turns. */
export async function lockInvoice(ctx: TenantCtx, invoiceId: string): Promise<InvoiceRow> {
  const row = await scoped(ctx)
    .selectFrom('invoices')
    .selectAll()
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('invoice.not_found', 'No such invoice');
  return row;
}

/**
 * Several invoices (a batch of the billing run, across organizations), locked until the transaction
 * ends, in the order of their keys so that two batches wait for each other instead of deadlocking.
 */
export async function lockInvoices(
  ctx: Ctx,
  refs: readonly { org_id: string; id: string }[],
): Promise<InvoiceRow[]> {
  if (refs.length === 0) return [];
  return ctx.db
    .selectFrom('invoices')
    .selectAll()
    .where(refsIn(refs))
    .orderBy('org_id')
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * When an invoice is due: on the issuer's due day of the month it is issued in (the 15th by
 * default), or on issue when that day has passed. At the start of that day in the customer's zone.
 */
export function dueDate(issuedAt: Temporal.Instant, timeZone: string, dueDay: number): Temporal.Instant {
  const issued = localDate(issuedAt, timeZone);
  if (issued.day > dueDay) return issuedAt;
  return issued.with({ day: dueDay }).toZonedDateTime({ timeZone }).toInstant();
}

const ledgerKind: Record<InvoiceLineKind, LedgerEntryKind> = {
  license: 'license',
  proration_charge: 'license',
  proration_credit: 'credit',
  usage: 'usage',
  adjustment: 'adjustment',
};

/**
 * A ledger entry an invoice's step calls for, as the ledger module posts it (its `NewEntry`): the
 * flow taking the step posts it to the subscription's ledger, once by `sourceKey`.
 */
export interface InvoiceEntry {
  kind: LedgerEntryKind;
  /** In the customer's favour: positive for payments and credits, negative for charges. */
  amount: bigint;
  description: string;
  effectiveAt: Temporal.Instant;
  sourceKey: string;
  invoiceId: string;
  paymentId?: string;
}

/**
 * When an invoice's charges count: charges belong to the month their period starts in (a cycle
 * invoice's: the renewal that issues it, which for a fee in arrears is the end of the period it
 * bills), even when the invoice is issued later (a billing run that was down over midnight).
 * February's fee is in February's statement, or, once February has closed, in the open month as a
 * labelled late entry.
 */
export function chargeDate(
  invoice: { periodStart: Temporal.Instant; cycleAt?: Temporal.Instant | undefined },
  issuedAt: Temporal.Instant,
): Temporal.Instant {
  const from = invoice.cycleAt ?? invoice.periodStart;
  return Temporal.Instant.compare(from, issuedAt) < 0 ? from : issuedAt;
}

/** A finalized invoice's charges as ledger entries: a line each, and exclusive tax on top. */
function chargesOf(
  invoice: InvoiceRow,
  lines: readonly InvoiceLineRow[],
  chargedAt: Temporal.Instant,
): InvoiceEntry[] {
  return [
    ...lines.map((line) => ({
      kind: ledgerKind[line.kind],
      amount: -line.amount,
      description: `${invoice.number}: ${line.description}`,
      effectiveAt: chargedAt,
      sourceKey: `invoice:${invoice.id}:line:${line.position}`,
      invoiceId: invoice.id,
    })),
    // Inclusive tax is inside the lines' amounts already; exclusive tax is charged on top.
    ...(invoice.tax_inclusive || invoice.tax === 0n
      ? []
      : [
          {
            kind: 'tax' as const,
            amount: -invoice.tax,
            description: `${invoice.number}: ${invoice.tax_name} ${invoice.tax_percent}%`,
            effectiveAt: chargedAt,
            sourceKey: `invoice:${invoice.id}:tax`,
            invoiceId: invoice.id,
          },
        ]),
  ];
}

/**
 * Draft → open: the next number from the issuer's register, the due date (in `timeZone`, the
 * subscription's). An invoice with nothing to pay is paid at once; one for the card is paid from the
 * customer's credit balance first. Returns the entries the ledger is owed for it: its charges, and
 * the credit spent. Idempotent: a finalized invoice is returned as it is, with no entries.
 */
export async function finalize(
  ctx: TenantCtx,
  invoiceId: string,
  timeZone: string,
): Promise<{ invoice: InvoiceRow; entries: InvoiceEntry[] }> {
  const invoice = await lockInvoice(ctx, invoiceId);
  if (invoice.status !== 'draft') return { invoice, entries: [] };
  const instant = ctx.clock.now();
  const now = toDate(instant);
  // The register's row is locked until this transaction ends: concurrent finalizations take turns,
  // and a rollback returns the number.
  const taken = await scoped(ctx, 'issuer')
    .updateTable('billing_settings')
    .set({ next_invoice_number: sql`next_invoice_number + 1` })
    .returning(['invoice_prefix', 'due_day', sql<bigint>`next_invoice_number - 1`.as('number')])
    .executeTakeFirst();
  if (!taken) throw invalid('invoice.no_issuer_settings', 'The issuer has no billing settings');
  const number = `${taken.invoice_prefix}-${taken.number.toString().padStart(6, '0')}`;
  await ctx.db
    .insertInto('invoice_numbers')
    .values({
      org_id: invoice.issuer_id,
      number,
      invoice_org_id: ctx.tenant.orgId,
      invoice_id: invoice.id,
      assigned_at: now,
    })
    .execute();
  const nothingToPay = invoice.total <= 0n;
  const finalized = await updateInvoice(ctx, invoice, {
    number,
    status: nothingToPay ? 'paid' : 'open',
    finalized_at: now,
    paid_at: nothingToPay ? now : null,
    due_at: toDate(dueDate(instant, timeZone, taken.due_day)),
    next_attempt_at: invoice.auto_charge && !nothingToPay ? now : null,
    updated_at: now,
  });

  const lines = await invoiceLines(ctx, invoice.id);
  const charges = chargesOf(
    finalized,
    lines,
    chargeDate(
      {
        periodStart: fromDate(invoice.period_start),
        ...(invoice.cycle_at ? { cycleAt: fromDate(invoice.cycle_at) } : {}),
      },
      instant,
    ),
  );
  const presented = presentInvoice(finalized, lines);
  await events.emit(ctx, 'invoice.finalized', presented);
  if (finalized.status === 'paid') await events.emit(ctx, 'invoice.paid', presented);
  if (!finalized.auto_charge) return { invoice: finalized, entries: charges };
  const spent = await spendCredit(ctx, finalized);
  return { invoice: spent.invoice, entries: [...charges, ...(spent.entry ? [spent.entry] : [])] };
}

/**
 * An invoice for the card is paid from the customer's credit balance first: as much as the balance
 * holds, up to what is due; the card is charged only the rest, and an invoice the credit covers is
 * paid without a charge. The customer's row is locked so two invoices finalized at once spend the
 * balance in turn, and the spending is keyed by the invoice, so it happens once. (An invoice paid
 * at checkout is not for the card: its payment, and the credit it took, were quoted and taken
 * before it was issued; see the flow's applyReservedCredit.)
 */
async function spendCredit(
  ctx: TenantCtx,
  invoice: InvoiceRow,
): Promise<{ invoice: InvoiceRow; entry?: InvoiceEntry }> {
  if (invoice.status !== 'open' || invoice.total - invoice.amount_paid <= 0n) return { invoice };
  if ((await customers.orgsWithCredit(ctx, [ctx.tenant.orgId])).size === 0) return { invoice };
  const customer = await customers.lockCustomer(ctx);
  const balance = await customers.creditBalance(ctx);
  const due = invoice.total - invoice.amount_paid;
  const applied = balance < due ? balance : due;
  if (applied <= 0n) return { invoice };
  const spent = await customers.recordBalanceTransaction(ctx, customer, {
    amount: -applied,
    sourceKey: `invoice:${invoice.id}`,
    description: `Applied to ${invoice.number ?? 'an invoice'}`,
  });
  if (!spent) return { invoice };
  const updated = await settleAmount(ctx, invoice, applied);
  if (updated.status === 'paid') await emitInvoice(ctx, 'invoice.paid', updated);
  return { invoice: updated, entry: creditEntry(invoice, applied, ctx.clock.now()) };
}

/** The ledger's entry for credit balance spent on an invoice (R18, R27): keyed by the invoice. */
export function creditEntry(invoice: InvoiceRow, amount: bigint, at: Temporal.Instant): InvoiceEntry {
  return {
    kind: 'credit',
    amount,
    description: `Credit balance applied to ${invoice.number ?? 'invoice'}`,
    effectiveAt: at,
    sourceKey: `balance:${invoice.id}`,
    invoiceId: invoice.id,
  };
}

/** `amount` more paid toward an open invoice: paid in full, or still open with what is left due. */
async function settleAmount(ctx: TenantCtx, invoice: InvoiceRow, amount: bigint): Promise<InvoiceRow> {
  const paid = invoice.amount_paid + amount;
  const settled = paid >= invoice.total;
  const now = toDate(ctx.clock.now());
  return updateInvoice(ctx, invoice, {
    amount_paid: paid,
    status: settled ? 'paid' : 'open',
    paid_at: settled ? now : null,
    next_attempt_at: settled ? null : invoice.next_attempt_at,
    updated_at: now,
  });
}

/**
 * A succeeded payment for an invoice, as its ledger entry: keyed by payment (and invoice, for
 * `share`: the part of a payment that settled several invoices at once which is this invoice's), so
 * the ledger takes it once. The flow posts it, then `settlePayment` when the ledger took it.
 */
export function paymentEntry(invoice: InvoiceRow, payment: PaymentRow, share?: bigint): InvoiceEntry {
  return {
    kind: 'payment',
    amount: share ?? payment.amount,
    description: `Payment for ${invoice.number ?? 'invoice'}`,
    // When the money moved: a debit confirmed days later belongs to the day it was made.
    effectiveAt: fromDate(payment.created_at),
    sourceKey: share === undefined ? `payment:${payment.id}` : `payment:${payment.id}:${invoice.id}`,
    invoiceId: invoice.id,
    paymentId: payment.id,
  };
}

/**
 * `amount` of a payment the ledger has just taken for `invoice` (locked by `lockInvoice`): the
 * invoice paid when it is covered. Money that arrives for an invoice already settled (or voided)
 * changes nothing here and stays as credit in the ledger.
 */
export async function settlePayment(
  ctx: TenantCtx,
  invoice: InvoiceRow,
  amount: bigint,
  lines?: InvoiceLineRow[],
): Promise<InvoiceRow> {
  if (invoice.status !== 'open') return invoice;
  const updated = await settleAmount(ctx, invoice, amount);
  if (updated.status === 'paid') await emitInvoice(ctx, 'invoice.paid', updated, lines);
  return updated;
}

/**
 * `settlePayment` for many invoices at once (the billing run's charges, across organizations), each
 * locked by `lockInvoices` and with the amount the ledger has just taken for it: the invoices
 * covered marked paid in one statement, and announced in one more. `lines`: each invoice's lines,
 * for the event, by invoice id. Returns the invoices changed.
 */
export async function settlePayments(
  ctx: Ctx,
  settlements: readonly { invoice: InvoiceRow; amount: bigint }[],
  lines: ReadonlyMap<string, InvoiceLineRow[]>,
): Promise<InvoiceRow[]> {
  const open = settlements.filter(({ invoice }) => invoice.status === 'open');
  if (open.length === 0) return [];
  const now = toDate(ctx.clock.now());
  const changes = open.map(({ invoice, amount }) => {
    const paid = invoice.amount_paid + amount;
    const settled = paid >= invoice.total;
    return {
      invoice,
      paid,
      status: settled ? ('paid' as const) : ('open' as const),
      paidAt: settled ? now : null,
      nextAttemptAt: settled ? null : invoice.next_attempt_at,
    };
  });
  const column = <T>(pick: (change: (typeof changes)[number]) => T) => changes.map(pick);
  const { rows: updated } = await sql<InvoiceRow>`
    update invoices set amount_paid = change.amount_paid, status = change.status, paid_at = change.paid_at,
      next_attempt_at = change.next_attempt_at, updated_at = ${now}
    from unnest(${column((c) => c.invoice.org_id)}::text[], ${column((c) => c.invoice.id)}::text[],
      ${column((c) => c.paid.toString())}::int8[], ${column((c) => c.status)}::text[],
      ${column((c) => c.paidAt?.toISOString() ?? null)}::timestamptz[],
      ${column((c) => c.nextAttemptAt?.toISOString() ?? null)}::timestamptz[])
      as change(org_id, id, amount_paid, status, paid_at, next_attempt_at)
    where invoices.org_id = change.org_id and invoices.id = change.id
    returning invoices.*`.execute(ctx.db);
  await events.emitMany(
    ctx,
    updated
      .filter((invoice) => invoice.status === 'paid')
      .map((invoice) => ({
        orgId: invoice.org_id,
        type: 'invoice.paid' as const,
        object: presentInvoice(invoice, lines.get(invoice.id) ?? []),
      })),
  );
  return updated;
}

/** Records which invoices one payment pays, and how much of it each gets; once. */
export async function allocatePayment(
  ctx: TenantCtx,
  payment: PaymentRow,
  shares: readonly { invoice: InvoiceRow; amount: bigint }[],
): Promise<void> {
  await scoped(ctx)
    .insertInto(
      'payment_allocations',
      shares.map(({ invoice, amount }) => ({
        payment_id: payment.id,
        invoice_id: invoice.id,
        amount,
        attempt: invoice.attempt_count,
      })),
    )
    .onConflict((oc) => oc.columns(['org_id', 'payment_id', 'invoice_id']).doNothing())
    .execute();
}

/** The invoices a payment pays, in invoice id order (the order locks are taken in). */
export async function allocationsOf(ctx: TenantCtx, payment: PaymentRow): Promise<PaymentAllocationRow[]> {
  return scoped(ctx)
    .selectFrom('payment_allocations')
    .selectAll()
    .where('payment_id', '=', payment.id)
    .orderBy('invoice_id')
    .execute();
}

/**
 * An automatic charge failed: the next attempt follows the issuer's schedule, counted in calendar
 * days (in the customer's zone) from the first failure: 3, 5 and 7 by default. `expectedAttempt` is
 * the attempt that failed; a second report of it changes nothing.
 */
export async function recordFailedAttempt(
  ctx: TenantCtx,
  invoiceId: string,
  expectedAttempt: number,
  timeZone: string,
): Promise<{
  invoice: InvoiceRow;
  exhausted: boolean;
  recorded: boolean;
  /** What the issuer does to the subscription when the last retry fails. */
  finalStep: DunningFinalStep;
}> {
  const invoice = await lockInvoice(ctx, invoiceId);
  if (invoice.status !== 'open' || invoice.attempt_count !== expectedAttempt) {
    return { invoice, exhausted: false, recorded: false, finalStep: 'keep' };
  }
  const { retry_days: retryDays, dunning_final_step: finalStep } = await billingSettings(ctx);
  const now = ctx.clock.now();
  const attempts = invoice.attempt_count + 1;
  const firstFailure = invoice.first_failed_at ? fromDate(invoice.first_failed_at) : now;
  const nextDay = retryDays[attempts - 1];
  const updated = await updateInvoice(ctx, invoice, {
    attempt_count: attempts,
    first_failed_at: toDate(firstFailure),
    next_attempt_at:
      nextDay === undefined
        ? null
        : toDate(firstFailure.toZonedDateTimeISO(timeZone).add({ days: nextDay }).toInstant()),
    updated_at: toDate(now),
  });
  await emitInvoice(ctx, 'invoice.payment_failed', updated);
  return { invoice: updated, exhausted: nextDay === undefined, recorded: true, finalStep };
}

/**
 * Voids a finalized invoice nobody has paid: a credit note, and its entry, which takes the charges
 * back in the ledger. Its number stays used, so the register keeps no gap.
 */
export async function voidInvoice(
  ctx: TenantCtx,
  invoiceId: string,
  reason: string,
): Promise<{ invoice: InvoiceRow; entry: InvoiceEntry }> {
  const invoice = await lockInvoice(ctx, invoiceId);
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw conflict('invoice.not_voidable', `A ${invoice.status} invoice cannot be voided`);
  }
  if (invoice.amount_paid > 0n) {
    throw conflict('invoice.partly_paid', 'This invoice is partly paid; refund the payment instead');
  }
  const now = ctx.clock.now();
  const creditNoteId = newId('creditNote');
  await scoped(ctx)
    .insertInto('credit_notes', {
      id: creditNoteId,
      invoice_id: invoice.id,
      amount: invoice.total,
      currency: invoice.currency,
      reason,
      created_at: toDate(now),
    })
    .execute();
  await recordAudit(ctx, {
    action: 'invoice.voided',
    targetType: 'invoice',
    targetId: invoice.id,
    before: { status: invoice.status },
    after: { status: 'void', credit_note: creditNoteId, reason },
  });
  const voided = await updateInvoice(ctx, invoice, {
    status: 'void',
    voided_at: toDate(now),
    next_attempt_at: null,
    updated_at: toDate(now),
  });
  await emitInvoice(ctx, 'invoice.voided', voided);
  return {
    invoice: voided,
    entry: {
      kind: 'credit',
      amount: invoice.total,
      description: `Credit note for ${invoice.number}: ${reason}`,
      effectiveAt: now,
      sourceKey: `invoice:${invoice.id}:void`,
      invoiceId: invoice.id,
    },
  };
}

/**
 * An operator gives up collecting an open invoice: no more automatic attempts. The debt stays in the
 * ledger (it is still owed); voiding it later, with a credit note, is what takes it back.
 */
export async function markUncollectible(
  ctx: TenantCtx,
  invoiceId: string,
  reason: string,
): Promise<InvoiceRow> {
  const invoice = await lockInvoice(ctx, invoiceId);
  if (invoice.status !== 'open') {
    throw conflict('invoice.not_open', `A ${invoice.status} invoice cannot be marked uncollectible`);
  }
  const now = toDate(ctx.clock.now());
  const updated = await updateInvoice(ctx, invoice, {
    status: 'uncollectible',
    next_attempt_at: null,
    updated_at: now,
  });
  await recordAudit(ctx, {
    action: 'invoice.marked_uncollectible',
    targetType: 'invoice',
    targetId: invoice.id,
    before: { status: 'open' },
    after: { status: 'uncollectible', reason },
  });
  await emitInvoice(ctx, 'invoice.marked_uncollectible', updated);
  return updated;
}

/** A draft that will not be issued (an upgrade whose payment failed) goes, with its lines. */
export async function discardDraft(ctx: TenantCtx, invoiceId: string): Promise<void> {
  const invoice = await lockInvoice(ctx, invoiceId);
  if (invoice.status !== 'draft') throw conflict('invoice.not_draft', 'Only a draft can be discarded');
  await scoped(ctx).deleteFrom('invoice_lines').where('invoice_id', '=', invoiceId).execute();
  await scoped(ctx).deleteFrom('invoices').where('id', '=', invoiceId).execute();
}

export async function invoiceLines(ctx: TenantCtx, invoiceId: string): Promise<InvoiceLineRow[]> {
  return scoped(ctx)
    .selectFrom('invoice_lines')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .orderBy('position')
    .execute();
}

/** Invoices with their lines, for a page of a list: one query for the lines of every invoice. */
export async function presentInvoices(ctx: TenantCtx, rows: readonly InvoiceRow[]) {
  const lines =
    rows.length === 0
      ? []
      : await scoped(ctx)
          .selectFrom('invoice_lines')
          .selectAll()
          .where(
            'invoice_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('invoice_id')
          .orderBy('position')
          .execute();
  const byInvoice = new Map<string, InvoiceLineRow[]>();
  for (const line of lines) byInvoice.set(line.invoice_id, [...(byInvoice.get(line.invoice_id) ?? []), line]);
  return rows.map((row) => presentInvoice(row, byInvoice.get(row.id) ?? []));
}

export async function findInvoice(ctx: TenantCtx, invoiceId: string): Promise<InvoiceRow | undefined> {
  return scoped(ctx).selectFrom('invoices').selectAll().where('id', '=', invoiceId).executeTakeFirst();
}

export async function getInvoice(ctx: TenantCtx, invoiceId: string): Promise<InvoiceRow> {
  const row = await findInvoice(ctx, invoiceId);
  if (!row) throw notFound('invoice.not_found', 'No such invoice');
  return row;
}

export interface InvoiceFilter {
  subscriptionId?: string | undefined;
  status?: InvoiceRow['status'] | undefined;
}

function invoicesQuery(ctx: TenantCtx, filter: InvoiceFilter) {
  let query = scoped(ctx).selectFrom('invoices').selectAll();
  if (filter.subscriptionId) query = query.where('subscription_id', '=', filter.subscriptionId);
  return filter.status ? query.where('status', '=', filter.status) : query.where('status', '<>', 'draft');
}

/** Finalized invoices (and drafts only when asked), newest first, the first 200. */
export async function listInvoices(ctx: TenantCtx, filter: InvoiceFilter = {}): Promise<InvoiceRow[]> {
  // Invoices issued at the same moment (a test clock) keep their numbers' order.
  return invoicesQuery(ctx, filter)
    .orderBy('created_at', 'desc')
    .orderBy('number', 'desc')
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
}

/** The same invoices a page at a time, for the API; the cursor is an invoice's id. */
export async function invoicesPage(
  ctx: TenantCtx,
  filter: InvoiceFilter,
  page: PageRequest,
): Promise<Slice<InvoiceRow>> {
  return listPage(
    invoicesQuery(ctx, filter),
    {
      // Drafts have no number yet: they sort as the empty one, and by id among themselves.
      by: [
        ['invoices.created_at', 'desc'],
        [sql`coalesce(invoices.number, '')`, 'desc'],
        ['invoices.id', 'desc'],
      ],
      id: 'invoices.id',
      cursorFrom: scoped(ctx).selectFrom('invoices'),
      noun: 'invoice',
    },
    page,
  );
}

/** The lines of several invoices of a batch, by invoice id, in one query (across organizations). */
export async function linesOfInvoices(
  ctx: Ctx,
  refs: readonly { org_id: string; id: string }[],
): Promise<Map<string, InvoiceLineRow[]>> {
  const byInvoice = new Map<string, InvoiceLineRow[]>();
  if (refs.length === 0) return byInvoice;
  const lines = await ctx.db
    .selectFrom('invoice_lines')
    .selectAll()
    .where(
      sql<boolean>`(org_id, invoice_id) in (select * from unnest(${refs.map((r) => r.org_id)}::text[], ${refs.map((r) => r.id)}::text[]))`,
    )
    .orderBy('invoice_id')
    .orderBy('position')
    .execute();
  for (const line of lines) {
    const of = byInvoice.get(line.invoice_id);
    if (of) of.push(line);
    else byInvoice.set(line.invoice_id, [line]);
  }
  return byInvoice;
}

/** Several invoices by reference in one query (a batch of the billing run, across organizations). */
export async function invoicesByRefs(
  ctx: Ctx,
  refs: readonly { org_id: string; id: string }[],
): Promise<InvoiceRow[]> {
  if (refs.length === 0) return [];
  return ctx.db.selectFrom('invoices').selectAll().where(refsIn(refs)).execute();
}

/**
 * Open invoices whose next automatic attempt is due by `now`: the billing run's collections, found
 * across the organizations in `scope` and then charged each in its own tenant context.
 */
export async function invoicesToCollect(
  ctx: Ctx,
  now: Date,
  scope: BillingScope = {},
  limit = 500,
): Promise<{ org_id: string; id: string }[]> {
  return ctx.db
    .selectFrom('invoices')
    .select(['org_id', 'id'])
    .where('status', '=', 'open')
    .where('auto_charge', '=', true)
    .where('next_attempt_at', '<=', now)
    .where(inScope(scope))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Drafts of plan changes created before `before` and never finished (a crash mid-change), across the
 * organizations in `scope`: the billing run finishes each in its own tenant context.
 */
export async function abandonedChangeDrafts(
  ctx: Ctx,
  before: Date,
  scope: BillingScope = {},
): Promise<InvoiceRow[]> {
  return ctx.db
    .selectFrom('invoices')
    .selectAll()
    .where('status', '=', 'draft')
    .where('billing_reason', '=', 'subscription_update')
    .where('created_at', '<', before)
    .where(inScope(scope))
    .orderBy('created_at')
    .limit(100)
    .execute();
}

/** A charge is under way whose outcome arrives later (a mandate debit): no other attempt meanwhile. */
export async function awaitPaymentOutcome(ctx: TenantCtx, invoiceId: string) {
  await scoped(ctx)
    .updateTable('invoices')
    .set({ next_attempt_at: null, updated_at: toDate(ctx.clock.now()) })
    .where('id', '=', invoiceId)
    .where('status', '=', 'open')
    .execute();
}

/** One invoice to issue in a batch: the draft, "now" on its customer's clock, and its zone (due dates). */
export interface BatchInvoice {
  draft: DraftInvoice;
  at: Temporal.Instant;
  timeZone: string;
}

/**
 * `createDraft` and `finalize` for many invoices at once (the billing run's batches), the same rows
 * written with a few multi-row statements. Each issuer's register row is taken once, under its lock,
 * for a contiguous range of numbers handed out in the order given; a rollback returns the range.
 * Returns each invoice, in the order given, with the charges the ledger is owed for it (dated by
 * `chargeDate`). The credit balance is not spent here: a customer with credit goes through `finalize`.
 */
export async function issueMany(
  ctx: Ctx,
  batch: readonly BatchInvoice[],
): Promise<{ invoice: InvoiceRow; entries: InvoiceEntry[] }[]> {
  if (batch.length === 0) return [];
  // Many invoices share a zone, a moment and a due day: each due date is computed once.
  const dueDates = new Map<string, Date>();
  const dueDateOf = (at: Temporal.Instant, timeZone: string, dueDay: number) => {
    const key = `${timeZone}|${at.epochMilliseconds}|${dueDay}`;
    let due = dueDates.get(key);
    if (!due) {
      due = toDate(dueDate(at, timeZone, dueDay));
      dueDates.set(key, due);
    }
    return due;
  };

  const issuers = [...new Set(batch.map((item) => item.draft.issuerId))].sort();
  const ranges = new Map<string, { prefix: string; dueDay: number; next: bigint }>();
  for (const issuerId of issuers) {
    const count = batch.filter((item) => item.draft.issuerId === issuerId).length;
    // A batch spans organizations and may span issuers: each register is named by its issuer.
    const taken = await ctx.db
      .updateTable('billing_settings')
      .set({ next_invoice_number: sql`next_invoice_number + ${count}` })
      .where('org_id', '=', issuerId)
      .returning(['invoice_prefix', 'due_day', sql<bigint>`next_invoice_number - ${count}`.as('first')])
      .executeTakeFirst();
    if (!taken) throw invalid('invoice.no_issuer_settings', 'The issuer has no billing settings');
    ranges.set(issuerId, { prefix: taken.invoice_prefix, dueDay: taken.due_day, next: BigInt(taken.first) });
  }

  const issued: { invoice: InvoiceRow; entries: InvoiceEntry[] }[] = [];
  const lines: InvoiceLineRow[] = [];
  const numbers: {
    org_id: string;
    number: string;
    invoice_org_id: string;
    invoice_id: string;
    assigned_at: Date;
  }[] = [];
  const finalized: { orgId: string; type: events.EventType; object: object }[] = [];
  for (const { draft, at, timeZone } of batch) {
    const range = ranges.get(draft.issuerId);
    if (!range) throw new Error('unreachable: every issuer in the batch has a range');
    const number = `${range.prefix}-${range.next.toString().padStart(6, '0')}`;
    range.next += 1n;
    const now = toDate(at);
    const totals = draftTotals(draft.lines, draft.tax);
    const nothingToPay = totals.total <= 0n;
    const invoice: InvoiceRow = {
      ...draftRow(draft, totals, now),
      number,
      status: nothingToPay ? 'paid' : 'open',
      finalized_at: now,
      paid_at: nothingToPay ? now : null,
      due_at: dueDateOf(at, timeZone, range.dueDay),
      next_attempt_at: draft.autoCharge && !nothingToPay ? now : null,
    };
    const invoiceLinesOf = draft.lines.map((line, position) =>
      lineRow(draft.orgId, invoice.id, line, position),
    );
    lines.push(...invoiceLinesOf);
    numbers.push({
      org_id: draft.issuerId,
      number,
      invoice_org_id: draft.orgId,
      invoice_id: invoice.id,
      assigned_at: now,
    });
    issued.push({ invoice, entries: chargesOf(invoice, invoiceLinesOf, chargeDate(draft, at)) });
    const presented = presentInvoice(invoice, invoiceLinesOf);
    finalized.push({ orgId: draft.orgId, type: 'invoice.finalized', object: presented });
    if (nothingToPay) finalized.push({ orgId: draft.orgId, type: 'invoice.paid', object: presented });
  }
  await ctx.db
    .insertInto('invoices')
    .values(issued.map(({ invoice }) => ({ ...invoice, bill_to: JSON.stringify(invoice.bill_to) })))
    .execute();
  if (lines.length > 0) await ctx.db.insertInto('invoice_lines').values(lines).execute();
  await ctx.db.insertInto('invoice_numbers').values(numbers).execute();
  await events.emitMany(ctx, finalized);
  return issued;
}
