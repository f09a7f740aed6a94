import { type Kysely, sql } from 'kysely';

/**
 * Payments that arrived for a plan when another paid plan was already in force (a second browser
 * tab, a plan link paid late, a plan change overtaken by a checkout). Each is owed back in full: the
 * row is written with the payment, in the transaction that finds the conflict, and is settled when the
 * refund is recorded. A row still unsettled is a refund to finish (after a crash, by the next sync,
 * webhook or billing run), under the same idempotency key at the gateway.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table conflicting_payments (
      org_id text not null,
      payment_id text not null,
      source text not null check (source in ('checkout', 'payment_link', 'plan_change')),
      source_id text not null,
      -- The subscription in force when the payment arrived: its ledger shows the payment and refund.
      subscription_id text not null,
      plan_name text not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      refund_id text,
      created_at timestamptz not null,
      refunded_at timestamptz,
      primary key (org_id, payment_id),
      foreign key (org_id, payment_id) references payments (org_id, id),
      foreign key (org_id, subscription_id) references subscriptions (org_id, id),
      foreign key (org_id, refund_id) references refunds (org_id, id)
    );
    create index conflicting_payments_unsettled_idx on conflicting_payments (created_at)
      where refund_id is null;
    create index conflicting_payments_source_idx on conflicting_payments (org_id, source_id);
  `.execute(db);
}
