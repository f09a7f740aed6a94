import { type Kysely, sql } from 'kysely';

/**
 * One cycle invoice per renewal, keyed by the renewal's instant rather than by the period the invoice
 * describes. They were the same until fees in arrears and minimum commitments: a subscription
 * cancelled at the end of a period is billed for that period at its end, and that final invoice
 * describes the period an earlier renewal's invoice started, so keying by period start refused it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table invoices add column cycle_at timestamptz;
    update invoices set cycle_at = period_start where billing_reason = 'subscription_cycle';
    drop index invoices_one_per_cycle;
    create unique index invoices_one_per_cycle on invoices (org_id, subscription_id, cycle_at)
      where billing_reason = 'subscription_cycle';
  `.execute(db);
}
