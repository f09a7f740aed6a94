import { z } from 'zod';
import { amountJson, idOf, listQuery, timestamp } from '../api-shapes.js';
import type { InvoiceLineRow, InvoiceRow } from '../db/schema.js';

/** Request and response shapes of invoices (C20). Amounts in minor units. */

const minor = (what: string) => z.number().describe(`${what}, minor units`);

export const invoiceParams = z.strictObject({ invoice_id: idOf('invoice') });

export const invoiceListQuery = listQuery.extend({
  subscription_id: idOf('subscription').optional(),
  status: z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']).optional(),
});

export const voidInvoiceBody = z.strictObject({
  reason: z.string().trim().min(1).max(500),
});

export const invoiceLineObject = z.object({
  id: z.string(),
  kind: z.enum(['license', 'proration_credit', 'proration_charge', 'usage', 'adjustment']),
  description: z.string(),
  period_start: timestamp,
  period_end: timestamp,
  quantity: z.string().describe('A decimal string'),
  unit_amount: z.string().describe('Minor units per unit, a decimal string'),
  amount: minor('Positive charges, negative credits'),
});

export const invoiceObject = z.object({
  id: z.string(),
  object: z.literal('invoice'),
  number: z.string().nullable().describe('Assigned at finalization: sequential per issuer, no gaps'),
  status: z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']),
  billing_reason: z.enum([
    'subscription_create',
    'subscription_cycle',
    'subscription_update',
    'usage_in_advance',
    'manual',
  ]),
  subscription_id: z.string().nullable(),
  customer_id: z.string(),
  currency: z.string(),
  period_start: timestamp,
  period_end: timestamp,
  subtotal: minor('Before exclusive tax; net of inclusive tax'),
  tax: minor('Tax'),
  tax_name: z.string(),
  tax_percent: z.string(),
  tax_inclusive: z.boolean(),
  total: minor('Total'),
  amount_paid: minor('Paid so far'),
  amount_due: minor('Left to pay'),
  attempt_count: z.number().int().describe('Failed automatic charges so far'),
  next_attempt_at: timestamp.nullable(),
  bill_to: z.object({
    name: z.string(),
    email: z.string(),
    address_line1: z.string(),
    address_line2: z.string(),
    city: z.string(),
    state: z.string(),
    postal_code: z.string(),
    country: z.string(),
    tax_id: z.string(),
  }),
  due_at: timestamp.nullable(),
  finalized_at: timestamp.nullable(),
  paid_at: timestamp.nullable(),
  voided_at: timestamp.nullable(),
  created_at: timestamp,
  lines: z.array(invoiceLineObject),
});

export type InvoiceObject = z.infer<typeof invoiceObject>;

export function amountDue(row: InvoiceRow): bigint {
  if (row.status === 'void' || row.status === 'paid') return 0n;
  const due = row.total - row.amount_paid;
  return due > 0n ? due : 0n;
}

export function presentInvoice(row: InvoiceRow, lines: InvoiceLineRow[]): InvoiceObject {
  return {
    id: row.id,
    object: 'invoice',
    number: row.number,
    status: row.status,
    billing_reason: row.billing_reason,
    subscription_id: row.subscription_id,
    customer_id: row.customer_id,
    currency: row.currency,
    period_start: row.period_start.toISOString(),
    period_end: row.period_end.toISOString(),
    subtotal: amountJson(row.subtotal),
    tax: amountJson(row.tax),
    tax_name: row.tax_name,
    tax_percent: row.tax_percent,
    tax_inclusive: row.tax_inclusive,
    total: amountJson(row.total),
    amount_paid: amountJson(row.amount_paid),
    amount_due: amountJson(amountDue(row)),
    attempt_count: row.attempt_count,
    next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
    bill_to: row.bill_to,
    due_at: row.due_at?.toISOString() ?? null,
    finalized_at: row.finalized_at?.toISOString() ?? null,
    paid_at: row.paid_at?.toISOString() ?? null,
    voided_at: row.voided_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    lines: lines.map((line) => ({
      id: line.id,
      kind: line.kind,
      description: line.description,
      period_start: line.period_start.toISOString(),
      period_end: line.period_end.toISOString(),
      quantity: line.quantity,
      unit_amount: line.unit_amount,
      amount: amountJson(line.amount),
    })),
  };
}
