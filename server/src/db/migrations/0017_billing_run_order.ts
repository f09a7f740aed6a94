import { type Kysely, sql } from 'kysely';

/**
 * The billing run pages through what is due in a fixed order, 500 at a time: subscriptions by
 * (period end, id), open invoices by (next attempt, id). Indexed on the first column alone, every
 * page read and sorted all that was still due, since a whole run's subscriptions share a period end
 * (midnight), so a run cost grew with the square of its size. Indexed on both, a page reads 500 rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index subscriptions_due_idx;
    create index subscriptions_due_idx on subscriptions (current_period_end, id)
      where status in ('trialing', 'active', 'past_due', 'unpaid');
    drop index invoices_collect_idx;
    create index invoices_collect_idx on invoices (next_attempt_at, id) where status = 'open' and auto_charge;
  `.execute(db);
}
