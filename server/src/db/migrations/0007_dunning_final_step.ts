import { type Kysely, sql } from 'kysely';

/**
 * Dunning's last step: what happens to a subscription when the last retry of its invoice fails.
 * `keep` goes on invoicing it (unpaid), `pause` stops its renewals until everything owed is paid,
 * `cancel` ends it (the invoice stays owed). Pausing is the default: nothing more is billed to a
 * customer who is not paying, and paying brings the subscription back.
 *
 * A subscription paused by dunning is told apart from one the customer paused: only the first comes
 * back by itself when its invoices are paid.
 *
 * Everything owed is paid in one charge: its allocations say which invoices it pays, how much of it
 * each gets, and at which attempt of each (so a failure is counted once). They are written with the
 * payment, so an outcome that arrives later (a bank debit's webhook) is applied to the same invoices.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table billing_settings
      add column dunning_final_step text not null default 'pause'
        check (dunning_final_step in ('keep', 'pause', 'cancel'));
    alter table subscriptions
      add column paused_for_payment boolean not null default false;
    create table payment_allocations (
      org_id text not null references organizations (id),
      payment_id text not null,
      invoice_id text not null,
      amount bigint not null check (amount > 0),
      attempt integer not null,
      primary key (org_id, payment_id, invoice_id),
      foreign key (org_id, payment_id) references payments (org_id, id),
      foreign key (org_id, invoice_id) references invoices (org_id, id)
    );
  `.execute(db);
}
