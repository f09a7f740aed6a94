import { sql } from 'kysely';
import type { Temporal } from 'temporal-polyfill';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { LedgerEntryKind, LedgerEntryRow, StatementRow } from '../db/schema.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { type BillingPeriod, calendarMonthPeriod, nextCalendarPeriod, toDate } from '../time/index.js';

/**
 * The ledger (C26): every charge, credit, payment and refund of a subscription is an entry, added
 * once and never changed. Amounts are signed in the customer's favour (a payment +, a charge −), so
 * a balance is the sum of entries and a correction is a new entry.
 *
 * Each entry lands in a monthly statement (C27) of its subscription, in the customer's time zone. An
 * entry whose month has already closed goes into the open statement, marked late and labelled, so a
 * closed statement never changes. The database refuses anything else (triggers in 0004_billing).
 */

export interface LedgerAccount {
  orgId: string;
  subscriptionId: string;
  timeZone: string;
  currency: string;
}

export interface NewEntry {
  kind: LedgerEntryKind;
  /** In the customer's favour: positive for payments and credits, negative for charges and refunds. */
  amount: bigint;
  description: string;
  /** When it happened in business terms: a charge for a period at the period's start. */
  effectiveAt: Temporal.Instant;
  /** The cause, unique per organization: posting the same cause twice posts once. */
  sourceKey: string;
  invoiceId?: string;
  paymentId?: string;
  refundId?: string;
}

const MONTHS = 'January February March April May June July August September October November December'.split(
  ' ',
);

/** "October 2027". */
const monthName = (start: Temporal.ZonedDateTime) => `${MONTHS[start.month - 1]} ${start.year}`;

/** The statement of `account` for the local month containing `at`, created when first needed. */
export async function statementFor(
  ctx: TenantCtx,
  account: LedgerAccount,
  at: Temporal.Instant,
): Promise<StatementRow> {
  const period = calendarMonthPeriod(at, account.timeZone);
  const month = period.start.toPlainDate().toPlainYearMonth().toString();
  // FOR SHARE: a statement being closed waits for this transaction's entries, and the other way round.
  const locked = () =>
    scoped(ctx)
      .selectFrom('statements')
      .selectAll()
      .where('subscription_id', '=', account.subscriptionId)
      .where('month', '=', month)
      .forShare()
      .executeTakeFirst();
  // Usually the month's statement exists (its renewal opened it): one query.
  const existing = await locked();
  if (existing) return existing;
  await ctx.db
    .insertInto('statements')
    .values({
      org_id: account.orgId,
      id: newId('statement'),
      subscription_id: account.subscriptionId,
      currency: account.currency,
      month,
      period_start: toDate(period.startInstant),
      period_end: toDate(period.endInstant),
      status: 'open',
      opening_balance: null,
      credits: null,
      license_charges: null,
      usage_charges: null,
      other_charges: null,
      closing_balance: null,
      closed_at: null,
    })
    .onConflict((oc) => oc.columns(['org_id', 'subscription_id', 'month']).doNothing())
    .execute();
  const created = await locked();
  if (!created)
    throw new Error(`statement ${month} of ${account.subscriptionId} was neither found nor created`);
  return created;
}

/** Adds entries to the ledger, each once. Returns the entries this call added. */
export async function post(
  ctx: TenantCtx,
  account: LedgerAccount,
  entries: NewEntry[],
): Promise<LedgerEntryRow[]> {
  const added: LedgerEntryRow[] = [];
  const now = ctx.clock.now();
  for (const entry of entries) {
    if (entry.amount === 0n) continue;
    // Usually the entry's month has its statement, open: one statement posts it.
    const posted = await postToOpenMonth(ctx, account, entry, toDate(now));
    if (posted) {
      added.push(posted);
      continue;
    }
    // Its month has no statement yet, or a closed one, or the entry was posted before.
    let statement = await statementFor(ctx, account, entry.effectiveAt);
    let description = entry.description;
    let late = false;
    if (statement.status === 'closed') {
      // Its month is closed: the entry goes into the open month, saying which month it belongs to.
      description = `Adjustment for ${monthName(calendarMonthPeriod(entry.effectiveAt, account.timeZone).start)}: ${entry.description}`;
      late = true;
      let at = now;
      statement = await statementFor(ctx, account, at);
      while (statement.status === 'closed') {
        at = nextCalendarPeriod(calendarMonthPeriod(at, account.timeZone)).startInstant;
        statement = await statementFor(ctx, account, at);
      }
    }
    const row = await ctx.db
      .insertInto('ledger_entries')
      .values(entryRow(account, statement.id, entry, { description, late, postedAt: toDate(now) }))
      .onConflict((oc) => oc.columns(['org_id', 'source_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) added.push(row);
  }
  return added;
}

/**
 * Posts `entry` into the open statement of its month, in one statement: the statement read and
 * locked FOR SHARE (as `statementFor` does) by the insert itself. Undefined when nothing was posted:
 * the month has no statement yet or a closed one (the caller takes the long way), or the entry's
 * cause was posted before (the long way posts nothing either).
 */
async function postToOpenMonth(
  ctx: Ctx,
  account: LedgerAccount,
  entry: NewEntry,
  postedAt: Date,
): Promise<LedgerEntryRow | undefined> {
  const month = calendarMonthPeriod(entry.effectiveAt, account.timeZone)
    .start.toPlainDate()
    .toPlainYearMonth()
    .toString();
  const row = entryRow(account, '', entry, { description: entry.description, late: false, postedAt });
  const { rows } = await sql<LedgerEntryRow>`
    insert into ledger_entries (org_id, id, subscription_id, statement_id, kind, amount, currency,
      description, effective_at, late, invoice_id, payment_id, refund_id, source_key, posted_at)
    select statement.org_id, ${row.id}::text, statement.subscription_id, statement.id, ${row.kind}::text,
      ${row.amount}::int8, ${row.currency}::text, ${row.description}::text, ${row.effective_at}::timestamptz,
      false, ${row.invoice_id}::text, ${row.payment_id}::text, ${row.refund_id}::text,
      ${row.source_key}::text, ${row.posted_at}::timestamptz
    from statements statement
    where statement.org_id = ${account.orgId} and statement.subscription_id = ${account.subscriptionId}
      and statement.month = ${month} and statement.status = 'open'
    for share
    on conflict (org_id, source_key) do nothing
    returning *`.execute(ctx.db);
  return rows[0];
}

/** A ledger entry's row: `description` and `late` as the posting decided (a late entry is labelled). */
function entryRow(
  account: LedgerAccount,
  statementId: string,
  entry: NewEntry,
  posting: { description: string; late: boolean; postedAt: Date },
) {
  return {
    org_id: account.orgId,
    id: newId('ledgerEntry'),
    subscription_id: account.subscriptionId,
    statement_id: statementId,
    kind: entry.kind,
    amount: entry.amount,
    currency: account.currency,
    description: posting.description,
    effective_at: toDate(entry.effectiveAt),
    late: posting.late,
    invoice_id: entry.invoiceId ?? null,
    payment_id: entry.paymentId ?? null,
    refund_id: entry.refundId ?? null,
    source_key: entry.sourceKey,
    posted_at: posting.postedAt,
  };
}

/** The subscription's balance now: positive is credit in the customer's favour, negative is owed. */
export async function balanceOf(ctx: TenantCtx, subscriptionId: string): Promise<bigint> {
  const row = await scoped(ctx)
    .selectFrom('ledger_entries')
    .select(sql<bigint>`coalesce(sum(amount), 0)::int8`.as('balance'))
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirstOrThrow();
  return row.balance;
}

export async function listEntries(
  ctx: TenantCtx,
  filter: { subscriptionId?: string; statementId?: string; invoiceId?: string; paymentId?: string },
): Promise<LedgerEntryRow[]> {
  let query = scoped(ctx).selectFrom('ledger_entries').selectAll();
  if (filter.subscriptionId) query = query.where('subscription_id', '=', filter.subscriptionId);
  if (filter.statementId) query = query.where('statement_id', '=', filter.statementId);
  if (filter.invoiceId) query = query.where('invoice_id', '=', filter.invoiceId);
  if (filter.paymentId) query = query.where('payment_id', '=', filter.paymentId);
  return query.orderBy('seq').limit(1000).execute();
}

/** A subscription's entries a page at a time, oldest first (in the order posted); the cursor is an entry's id. */
export async function entriesPage(
  ctx: TenantCtx,
  subscriptionId: string,
  page: PageRequest,
): Promise<Slice<LedgerEntryRow>> {
  const entries = () =>
    scoped(ctx).selectFrom('ledger_entries').where('subscription_id', '=', subscriptionId);
  return listPage(
    entries().selectAll(),
    {
      by: [['ledger_entries.seq', 'asc']],
      id: 'ledger_entries.id',
      cursorFrom: entries(),
      noun: 'ledger entry',
    },
    page,
  );
}

/**
 * `statementFor` for many accounts at once (the billing run's batches), in the order asked: the
 * missing statements created in one statement; those that existed already read and locked FOR SHARE
 * in another (none, usually: a renewal opens its month). A closed one is returned as it is; entries
 * for it need `post`, which routes them late.
 */
export async function statementsFor(
  ctx: Ctx,
  wanted: readonly { account: LedgerAccount; at: Temporal.Instant }[],
): Promise<StatementRow[]> {
  if (wanted.length === 0) return [];
  // Many accounts share a zone and a moment: each month is computed once.
  const months = new Map<string, BillingPeriod>();
  const monthOf = (account: LedgerAccount, at: Temporal.Instant) => {
    const key = `${account.timeZone}|${at.epochMilliseconds}`;
    let period = months.get(key);
    if (!period) {
      period = calendarMonthPeriod(at, account.timeZone);
      months.set(key, period);
    }
    return period;
  };
  const keyOf = (row: { org_id: string; subscription_id: string; month: string }) =>
    `${row.org_id}|${row.subscription_id}|${row.month}`;
  const wantedRows = wanted.map(({ account, at }) => {
    const period = monthOf(account, at);
    return {
      org_id: account.orgId,
      id: newId('statement'),
      subscription_id: account.subscriptionId,
      currency: account.currency,
      month: period.start.toPlainDate().toPlainYearMonth().toString(),
      period_start: toDate(period.startInstant),
      period_end: toDate(period.endInstant),
      status: 'open' as const,
    };
  });
  const unique = [...new Map(wantedRows.map((row) => [keyOf(row), row])).values()];
  const found = new Map<string, StatementRow>();
  const created = await ctx.db
    .insertInto('statements')
    .values(unique)
    .onConflict((oc) => oc.columns(['org_id', 'subscription_id', 'month']).doNothing())
    .returningAll()
    .execute();
  for (const row of created) found.set(keyOf(row), row);
  const existing = unique.filter((row) => !found.has(keyOf(row)));
  if (existing.length > 0) {
    // FOR SHARE, as in `statementFor`: a statement being closed waits for these entries.
    const locked = await ctx.db
      .selectFrom('statements')
      .selectAll()
      .where(
        sql<boolean>`(org_id, subscription_id, month) in (select * from unnest(
          ${existing.map((r) => r.org_id)}::text[], ${existing.map((r) => r.subscription_id)}::text[],
          ${existing.map((r) => r.month)}::text[]))`,
      )
      .orderBy('org_id')
      .orderBy('id')
      .forShare()
      .execute();
    for (const row of locked) found.set(keyOf(row), row);
  }
  return wantedRows.map((row) => found.get(keyOf(row)) as StatementRow);
}

/**
 * Adds entries of many accounts in one statement, each into the open statement the caller found for
 * it with `statementsFor` (the database refuses a closed one). Each cause is posted once: returns the
 * entries this call added.
 */
export async function postToOpenStatements(
  ctx: Ctx,
  postings: readonly { account: LedgerAccount; statement: StatementRow; entries: readonly NewEntry[] }[],
): Promise<LedgerEntryRow[]> {
  const postedAt = toDate(ctx.clock.now());
  const rows = postings.flatMap(({ account, statement, entries }) =>
    entries
      .filter((entry) => entry.amount !== 0n)
      .map((entry) =>
        entryRow(account, statement.id, entry, { description: entry.description, late: false, postedAt }),
      ),
  );
  if (rows.length === 0) return [];
  return ctx.db
    .insertInto('ledger_entries')
    .values(rows)
    .onConflict((oc) => oc.columns(['org_id', 'source_key']).doNothing())
    .returningAll()
    .execute();
}
