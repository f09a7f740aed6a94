import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../access/index.js';
import { amountJson } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { BillingCustomerRow, CustomerBalanceTransactionRow } from '../db/schema.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';

/**
 * A customer's credit balance: the sum of its transactions, append-only. Credit comes from a
 * subscription ended now (the unused days of a fee paid in advance); it is spent on invoices.
 */

/**
 * Adds a transaction unless its source has one already; true when it was added. Safe to retry and
 * to race: the unique source key lets one insert through.
 */
export async function recordBalanceTransaction(
  ctx: TenantCtx,
  customer: BillingCustomerRow,
  input: { amount: bigint; sourceKey: string; description: string },
): Promise<boolean> {
  if (input.amount === 0n) return false;
  const inserted = await ctx.db
    .insertInto('customer_balance_transactions')
    .values({
      org_id: customer.org_id,
      id: newId('balanceTransaction'),
      customer_id: customer.id,
      amount: input.amount,
      currency: customer.currency,
      source_key: input.sourceKey,
      description: input.description,
      created_at: toDate(ctx.clock.now()),
    })
    .onConflict((oc) => oc.columns(['org_id', 'source_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  await recordAudit(ctx, {
    action: input.amount > 0n ? 'customer.balance_credited' : 'customer.balance_spent',
    targetType: 'balance_transaction',
    targetId: inserted.id,
    after: {
      amount: input.amount.toString(),
      currency: customer.currency,
      source: input.sourceKey,
      description: input.description,
    },
  });
  return true;
}

/**
 * Takes up to `wanted` from the balance for a checkout's first invoice (R27), as one transaction
 * keyed by the checkout: what was taken is no longer there for a renewal or another checkout.
 * Returns what was taken (0n when there is no credit).
 */
export async function reserveForCheckout(
  ctx: TenantCtx,
  customer: BillingCustomerRow,
  checkoutId: string,
  wanted: bigint,
  description: string,
): Promise<bigint> {
  return reserveCredit(ctx, customer, `checkout:${checkoutId}`, wanted, description);
}

/** Gives back what a checkout took, once, when it ends without starting a plan. */
export async function releaseForCheckout(
  ctx: TenantCtx,
  customer: BillingCustomerRow,
  checkoutId: string,
  amount: bigint,
): Promise<void> {
  await releaseCredit(
    ctx,
    customer,
    `checkout:${checkoutId}`,
    amount,
    'the checkout ended without starting the plan',
  );
}

/**
 * Takes up to `wanted` from the balance for what `sourceKey` will pay (a checkout's first invoice,
 * R27; a plan change's invoice, R28), as one transaction keyed by it. The caller holds the
 * customer's row lock, as every spending of the balance does, so two spenders take turns. Returns
 * what was taken (0n when there is no credit, or when the source took its share already).
 */
export async function reserveCredit(
  ctx: TenantCtx,
  customer: BillingCustomerRow,
  sourceKey: string,
  wanted: bigint,
  description: string,
): Promise<bigint> {
  if (wanted <= 0n) return 0n;
  const balance = await creditBalance(ctx);
  const taken = balance < wanted ? balance : wanted;
  if (taken <= 0n) return 0n;
  const recorded = await recordBalanceTransaction(ctx, customer, { amount: -taken, sourceKey, description });
  return recorded ? taken : 0n;
}

/**
 * What `sourceKey` took from the balance and has not given back: the recorded transaction is the
 * record, so a retry after a crash finds the same amount.
 */
export async function reservedCredit(ctx: TenantCtx, sourceKey: string): Promise<bigint> {
  const rows = await scoped(ctx)
    .selectFrom('customer_balance_transactions')
    .select(['amount', 'source_key'])
    .where('source_key', 'in', [sourceKey, `${sourceKey}:released`])
    .execute();
  return -rows.reduce((sum, row) => sum + BigInt(row.amount), 0n);
}

/** Gives back, once, what `sourceKey` took, when what it was to pay is not paid after all. */
export async function releaseCredit(
  ctx: TenantCtx,
  customer: BillingCustomerRow,
  sourceKey: string,
  amount: bigint,
  why: string,
): Promise<void> {
  if (amount <= 0n) return;
  await recordBalanceTransaction(ctx, customer, {
    amount,
    sourceKey: `${sourceKey}:released`,
    description: `Given back: ${why}`,
  });
}

export async function balanceTransactions(ctx: TenantCtx): Promise<CustomerBalanceTransactionRow[]> {
  return scoped(ctx)
    .selectFrom('customer_balance_transactions')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('seq', 'desc')
    .execute();
}

/**
 * Of these organizations, those whose customer has credit to spend: one query for a batch, across
 * organizations on purpose (the billing run's).
 */
export async function orgsWithCredit(ctx: Ctx, orgIds: readonly string[]): Promise<Set<string>> {
  if (orgIds.length === 0) return new Set();
  const rows = await ctx.db
    .selectFrom('customer_balance_transactions')
    .select('org_id')
    .where('org_id', 'in', orgIds)
    .groupBy('org_id')
    .having((eb) => eb.fn.sum<bigint>('amount'), '>', 0n)
    .execute();
  return new Set(rows.map((row) => row.org_id));
}

/** The customer's credit balance now, summed by the database (spenders need the sum, not the rows). */
export async function creditBalance(ctx: TenantCtx): Promise<bigint> {
  const row = await scoped(ctx)
    .selectFrom('customer_balance_transactions')
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as('balance'))
    .executeTakeFirstOrThrow();
  return BigInt(row.balance);
}

export function balanceOf(transactions: readonly CustomerBalanceTransactionRow[]): bigint {
  return transactions.reduce((sum, t) => sum + BigInt(t.amount), 0n);
}

export const balanceTransactionObject = z.object({
  id: z.string(),
  object: z.literal('balance_transaction'),
  amount: z.number().int().describe('Minor units: positive credits the balance, negative spends it'),
  currency: z.string(),
  description: z.string(),
  created_at: z.string(),
});

export const customerBalanceObject = z.object({
  object: z.literal('customer_balance'),
  balance: z.number().int().describe('Credit in minor units, applied to the next invoices before the card'),
  currency: z.string(),
  transactions: z.array(balanceTransactionObject),
});

export function presentBalance(
  customer: BillingCustomerRow,
  transactions: readonly CustomerBalanceTransactionRow[],
) {
  return {
    object: 'customer_balance' as const,
    balance: amountJson(balanceOf(transactions)),
    currency: customer.currency,
    transactions: transactions.map((t) => ({
      id: t.id,
      object: 'balance_transaction' as const,
      amount: amountJson(BigInt(t.amount)),
      currency: t.currency,
      description: t.description,
      created_at: t.created_at.toISOString(),
    })),
  };
}
