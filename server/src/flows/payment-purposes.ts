import type { PaymentRow } from '../db/schema.js';
import { scoped, type TenantCtx } from '../tenant.js';

/** What a payment paid for, as support reads it beside the payment. */
export interface PaymentPurpose {
  description: string;
  /** The invoices it paid or was charged for, in invoice number order; the number null while a draft. */
  invoices: { id: string; number: string | null }[];
}

/**
 * What each payment of a page was for, read for the whole page at once. A payment names its
 * invoices in one of several places, depending on how it was taken: the billing run's charge on the
 * payment row, a payment for several open invoices in its allocations, a checkout or a payment link
 * through the ledger entry that applied it to the invoice it paid. Its description is the link's own
 * when a payment link took it, else its invoices' lines, else the plan its checkout was for (a
 * checkout whose payment failed issued no invoice).
 */
export async function paymentPurposes(
  ctx: TenantCtx,
  rows: readonly PaymentRow[],
): Promise<Map<string, PaymentPurpose>> {
  const purposes = new Map<string, PaymentPurpose>();
  if (rows.length === 0) return purposes;
  const paymentIds = rows.map((row) => row.id);
  const db = scoped(ctx);

  const [allocations, entries, links] = await Promise.all([
    db
      .selectFrom('payment_allocations')
      .select(['payment_id', 'invoice_id'])
      .where('payment_id', 'in', paymentIds)
      .execute(),
    db
      .selectFrom('ledger_entries')
      .select(['payment_id', 'invoice_id'])
      .where('kind', '=', 'payment')
      .where('payment_id', 'in', paymentIds)
      .where('invoice_id', 'is not', null)
      .execute(),
    db
      .selectFrom('payment_links')
      .select(['payment_id', 'description'])
      .where('payment_id', 'in', paymentIds)
      .execute(),
  ]);

  const invoicesOf = new Map<string, Set<string>>(paymentIds.map((id) => [id, new Set<string>()]));
  for (const row of rows) if (row.invoice_id) invoicesOf.get(row.id)?.add(row.invoice_id);
  for (const a of allocations) invoicesOf.get(a.payment_id)?.add(a.invoice_id);
  for (const e of entries) if (e.payment_id && e.invoice_id) invoicesOf.get(e.payment_id)?.add(e.invoice_id);

  const invoiceIds = [...new Set([...invoicesOf.values()].flatMap((ids) => [...ids]))];
  const checkoutIds = rows.flatMap((row) => (row.checkout_session_id ? [row.checkout_session_id] : []));
  const [invoices, lines, checkouts] = await Promise.all([
    invoiceIds.length === 0
      ? []
      : db.selectFrom('invoices').select(['id', 'number']).where('id', 'in', invoiceIds).execute(),
    invoiceIds.length === 0
      ? []
      : db
          .selectFrom('invoice_lines')
          .select(['invoice_id', 'description'])
          .where('invoice_id', 'in', invoiceIds)
          .orderBy('invoice_id')
          .orderBy('position')
          .execute(),
    checkoutIds.length === 0
      ? []
      : db
          .selectFrom('checkout_sessions')
          .select(['id', 'plan_issuer_id', 'plan_id'])
          .where('id', 'in', checkoutIds)
          .execute(),
  ]);
  // A plan is the issuer's row, not the paying organization's.
  const planRefs = checkouts.flatMap((c) =>
    c.plan_issuer_id && c.plan_id ? [{ org: c.plan_issuer_id, id: c.plan_id }] : [],
  );
  const plans =
    planRefs.length === 0
      ? []
      : await ctx.db
          .selectFrom('plans')
          .select(['org_id', 'id', 'name'])
          .where((eb) => eb.or(planRefs.map((p) => eb.and([eb('org_id', '=', p.org), eb('id', '=', p.id)]))))
          .execute();

  const numberOf = new Map(invoices.map((i) => [i.id, i.number]));
  const linesOf = new Map<string, string[]>();
  for (const line of lines) {
    const ofInvoice = linesOf.get(line.invoice_id);
    if (ofInvoice) ofInvoice.push(line.description);
    else linesOf.set(line.invoice_id, [line.description]);
  }
  const linkDescription = new Map(
    links.flatMap((l) => (l.payment_id ? [[l.payment_id, l.description]] : [])),
  );
  const planOfCheckout = new Map(
    checkouts.map((c) => [
      c.id,
      plans.find((p) => p.org_id === c.plan_issuer_id && p.id === c.plan_id)?.name,
    ]),
  );

  for (const row of rows) {
    const paid = [...(invoicesOf.get(row.id) ?? [])]
      .map((id) => ({ id, number: numberOf.get(id) ?? null }))
      .sort((a, b) => (a.number ?? a.id).localeCompare(b.number ?? b.id));
    const plan = row.checkout_session_id ? planOfCheckout.get(row.checkout_session_id) : undefined;
    const description =
      linkDescription.get(row.id) ||
      linesInBrief(paid.flatMap((invoice) => linesOf.get(invoice.id) ?? [])) ||
      (plan ? `${plan}, at checkout` : '');
    purposes.set(row.id, { description, invoices: paid });
  }
  return purposes;
}

/** Lines a payment's description names before it counts the rest. */
const linesNamed = 3;

/**
 * Invoice lines as one short description: all of them when few, else the first few and how many
 * more. A payment for many invoices, or for one with a line per metric, would otherwise carry every
 * line into a list row.
 */
export function linesInBrief(lines: readonly string[]): string {
  if (lines.length <= linesNamed) return lines.join('; ');
  const more = lines.length - linesNamed;
  return `${lines.slice(0, linesNamed).join('; ')}; and ${more} more line${more === 1 ? '' : 's'}`;
}
