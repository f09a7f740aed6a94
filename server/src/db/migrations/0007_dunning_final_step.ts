import { type Kysely, sql } from 'kysely';

/**
 * Dunning's last step: what happens to a subscription when the last retry of its invoice fails.
 * `keep` goes on invoicing it (unpaid), `pause` stops its renewals until everything owed is paid,
 * `cancel` ends it (the invoice stays owed). Pausing is the default: nothing more is billed to a
 * customer who is not paying, and paying brings the subscription back.
 *
 * A subscription paused by dunning is told apart from one the customer paused: only the first comes
 * back by itself when its invoices are paid.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table billing_settings
      add column dunning_final_step text not null default 'pause'
        check (dunning_final_step in ('keep', 'pause', 'cancel'));
    alter table subscriptions
      add column paused_for_payment boolean not null default false;
  `.execute(db);
}
