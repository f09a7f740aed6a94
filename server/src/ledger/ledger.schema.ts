import { z } from 'zod';
import { amountJson, timestamp } from '../api-shapes.js';
import type { LedgerEntryRow, StatementRow } from '../db/schema.js';
import type { StatementFigures } from './statements.js';

/** Response shapes of the ledger and statements (C26, C27). Amounts in minor units. */

const minor = (what: string) => z.number().describe(`${what}, minor units`);

export const ledgerEntryObject = z.object({
  id: z.string(),
  object: z.literal('ledger_entry'),
  subscription_id: z.string(),
  statement_id: z.string(),
  kind: z.enum(['license', 'usage', 'tax', 'payment', 'credit', 'refund', 'adjustment']),
  amount: minor('In the customer’s favour: payments and credits positive, charges and refunds negative'),
  currency: z.string(),
  description: z.string(),
  effective_at: timestamp,
  late: z.boolean().describe('Arrived after its month had closed, so it is in a later statement'),
  invoice_id: z.string().nullable(),
  payment_id: z.string().nullable(),
  refund_id: z.string().nullable(),
  posted_at: timestamp,
});

export const statementObject = z.object({
  id: z.string(),
  object: z.literal('statement'),
  subscription_id: z.string(),
  month: z.string().describe('YYYY-MM, in the customer’s time zone'),
  period_start: timestamp,
  period_end: timestamp,
  status: z.enum(['open', 'closed']),
  currency: z.string(),
  opening_balance: minor('The previous closing balance'),
  credits: minor('Payments and credits'),
  license_charges: minor('Plan fees and proration'),
  usage_charges: minor('Metered usage'),
  other_charges: minor('Tax, refunds and adjustments'),
  closing_balance: minor('opening + credits − charges; carried into the next month'),
  closed_at: timestamp.nullable(),
  entries: z.array(ledgerEntryObject).optional(),
});

export function presentEntry(row: LedgerEntryRow): z.infer<typeof ledgerEntryObject> {
  return {
    id: row.id,
    object: 'ledger_entry',
    subscription_id: row.subscription_id,
    statement_id: row.statement_id,
    kind: row.kind,
    amount: amountJson(row.amount),
    currency: row.currency,
    description: row.description,
    effective_at: row.effective_at.toISOString(),
    late: row.late,
    invoice_id: row.invoice_id,
    payment_id: row.payment_id,
    refund_id: row.refund_id,
    posted_at: row.posted_at.toISOString(),
  };
}

export function presentStatement(
  row: StatementRow,
  figures: StatementFigures,
  entries?: LedgerEntryRow[],
): z.infer<typeof statementObject> {
  return {
    id: row.id,
    object: 'statement',
    subscription_id: row.subscription_id,
    month: row.month,
    period_start: row.period_start.toISOString(),
    period_end: row.period_end.toISOString(),
    status: row.status,
    currency: row.currency,
    opening_balance: amountJson(figures.opening_balance),
    credits: amountJson(figures.credits),
    license_charges: amountJson(figures.license_charges),
    usage_charges: amountJson(figures.usage_charges),
    other_charges: amountJson(figures.other_charges),
    closing_balance: amountJson(figures.closing_balance),
    closed_at: row.closed_at?.toISOString() ?? null,
    ...(entries ? { entries: entries.map(presentEntry) } : {}),
  };
}
