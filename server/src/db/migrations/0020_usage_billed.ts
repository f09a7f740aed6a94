import { type Kysely, sql } from 'kysely';

/**
 * Usage billed as it arrives (charges paid in advance) and after its period's invoice (late events).
 *
 * - `usage_billed`: what a subscription has been billed for one charge (its metric) in one period,
 *   per combination of the charge's dimensions: `groups` holds `{dimensions, quantity, amount}` for
 *   each, read and written whole. A charge paid in advance adds to it with each invoice of its usage;
 *   one in arrears is recorded by the invoice that closes the period (empty when the period had no
 *   usage). It is the record everything later is the difference from: usage counted now less usage
 *   billed, so billing it twice is impossible as long as whoever bills holds the subscription's lock.
 * - `usage_billing_due`: a hint written in the ingest's transaction, appended (never updated, so
 *   concurrent batches of one customer do not queue on a row) when a batch holds events of a charge
 *   paid in advance (`advance`: billed at once) or events of a period already invoiced (`late`:
 *   adjusted on the next invoice). `since` is the earliest such event. Whoever bills deletes the hints
 *   it read; an extra hint changes no amount, it only has the difference looked at once more.
 * - Invoices get the reason `usage_in_advance`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table usage_billed (
      org_id text not null,
      subscription_id text not null,
      period_start timestamptz not null,
      metric text not null,
      period_end timestamptz not null,
      plan_id text not null,
      plan_version_id text not null,
      pay_in_advance boolean not null,
      groups jsonb not null,
      updated_at timestamptz not null,
      primary key (org_id, subscription_id, period_start, metric)
    );

    create table usage_billing_due (
      org_id text not null,
      subscription_id text not null,
      kind text not null check (kind in ('advance', 'late')),
      since timestamptz not null,
      seq bigint generated always as identity,
      primary key (org_id, subscription_id, seq)
    );

    alter table invoices drop constraint invoices_billing_reason_check;
    alter table invoices add constraint invoices_billing_reason_check check (billing_reason in
      ('subscription_create', 'subscription_cycle', 'subscription_update', 'usage_in_advance', 'manual'));
  `.execute(db);
}
