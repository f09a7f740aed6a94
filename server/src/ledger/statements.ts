import { sql } from 'kysely';
import type { Ctx } from '../context.js';
import type { StatementRow } from '../db/schema.js';
import { type BillingScope, inScope } from '../db/scope.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';

/**
 * Monthly statements (C27). While a month is open its figures are derived from its entries on every
 * read; the billing run closes it at the customer's local midnight on the 1st, storing the figures
 * once: opening (the previous closing), credits, license, usage and other charges, closing. Closed
 * statements never change (the database refuses), and closing = opening + credits − charges always.
 */

export interface StatementFigures {
  opening_balance: bigint;
  credits: bigint;
  license_charges: bigint;
  usage_charges: bigint;
  other_charges: bigint;
  closing_balance: bigint;
}

/** Sums a statement's entries into its columns. Charges are reported as positive amounts. */
async function sums(ctx: TenantCtx, statement: StatementRow) {
  const row = await scoped(ctx)
    .selectFrom('ledger_entries')
    .select([
      sql<bigint>`coalesce(sum(amount) filter (where amount > 0), 0)::int8`.as('credits'),
      sql<bigint>`coalesce(-sum(amount) filter (where amount < 0 and kind = 'license'), 0)::int8`.as(
        'license',
      ),
      sql<bigint>`coalesce(-sum(amount) filter (where amount < 0 and kind = 'usage'), 0)::int8`.as('usage'),
      sql<bigint>`coalesce(-sum(amount) filter (where amount < 0 and kind not in ('license', 'usage')), 0)::int8`.as(
        'other',
      ),
    ])
    .where('statement_id', '=', statement.id)
    .executeTakeFirstOrThrow();
  return row;
}

/** What the subscription's earlier statements add up to: this statement's opening balance. */
async function openingBalance(ctx: TenantCtx, statement: StatementRow): Promise<bigint> {
  const previous = await scoped(ctx)
    .selectFrom('statements')
    .select(['status', 'closing_balance'])
    .where('subscription_id', '=', statement.subscription_id)
    .where('period_start', '<', statement.period_start)
    .orderBy('period_start', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (previous?.status === 'closed' && previous.closing_balance !== null) return previous.closing_balance;
  const row = await scoped(ctx)
    .selectFrom('ledger_entries')
    .innerJoin('statements', (join) =>
      join
        .onRef('statements.org_id', '=', 'ledger_entries.org_id')
        .onRef('statements.id', '=', 'ledger_entries.statement_id'),
    )
    .select(sql<bigint>`coalesce(sum(ledger_entries.amount), 0)::int8`.as('balance'))
    .where('ledger_entries.subscription_id', '=', statement.subscription_id)
    .where('statements.period_start', '<', statement.period_start)
    .executeTakeFirstOrThrow();
  return row.balance;
}

/** A statement's figures: stored once closed, derived from the entries while open. */
export async function figuresOf(ctx: TenantCtx, statement: StatementRow): Promise<StatementFigures> {
  if (statement.status === 'closed') {
    return {
      opening_balance: statement.opening_balance ?? 0n,
      credits: statement.credits ?? 0n,
      license_charges: statement.license_charges ?? 0n,
      usage_charges: statement.usage_charges ?? 0n,
      other_charges: statement.other_charges ?? 0n,
      closing_balance: statement.closing_balance ?? 0n,
    };
  }
  const opening = await openingBalance(ctx, statement);
  const { credits, license, usage, other } = await sums(ctx, statement);
  return {
    opening_balance: opening,
    credits,
    license_charges: license,
    usage_charges: usage,
    other_charges: other,
    closing_balance: opening + credits - license - usage - other,
  };
}

/**
 * Closes a statement whose month has ended, once. Earlier open statements of the subscription close
 * first, so every opening is a closed closing. Locks the statement: entries being posted into it
 * finish first, and none can be added after.
 */
export async function closeStatement(ctx: TenantCtx, statementId: string): Promise<StatementRow> {
  const statement = await scoped(ctx)
    .selectFrom('statements')
    .selectAll()
    .where('id', '=', statementId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (statement.status === 'closed') return statement;
  const earlier = await scoped(ctx)
    .selectFrom('statements')
    .select('id')
    .where('subscription_id', '=', statement.subscription_id)
    .where('period_start', '<', statement.period_start)
    .where('status', '=', 'open')
    .orderBy('period_start')
    .execute();
  for (const { id } of earlier) await closeStatement(ctx, id);
  const figures = await figuresOf(ctx, statement);
  return scoped(ctx)
    .updateTable('statements')
    .set({ status: 'closed', ...figures, closed_at: toDate(ctx.clock.now()) })
    .where('id', '=', statementId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Open statements whose month ended by `now`, oldest first: the billing run's work, found across the
 * organizations in `scope` and then closed each in its own tenant context.
 */
export async function statementsToClose(
  ctx: Ctx,
  now: Date,
  scope: BillingScope = {},
  limit = 500,
): Promise<{ org_id: string; id: string }[]> {
  return ctx.db
    .selectFrom('statements')
    .select(['org_id', 'id'])
    .where('status', '=', 'open')
    .where('period_end', '<=', now)
    .where(inScope(scope))
    .orderBy('period_end')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Statements (of one subscription, when named), the latest month first; the cursor is a statement's id. */
export async function listStatements(
  ctx: TenantCtx,
  subscriptionId: string | undefined,
  page: PageRequest,
): Promise<Slice<StatementRow>> {
  const statements = () => {
    const query = scoped(ctx).selectFrom('statements');
    return subscriptionId ? query.where('subscription_id', '=', subscriptionId) : query;
  };
  return listPage(
    statements().selectAll(),
    {
      by: [
        ['statements.period_start', 'desc'],
        ['statements.id', 'desc'],
      ],
      id: 'statements.id',
      cursorFrom: statements(),
      noun: 'statement',
    },
    page,
  );
}

export async function getStatement(ctx: TenantCtx, statementId: string): Promise<StatementRow | undefined> {
  return scoped(ctx).selectFrom('statements').selectAll().where('id', '=', statementId).executeTakeFirst();
}
