import { type Kysely, sql } from 'kysely';

/**
 * A customer's credit balance, kept as an append-only list of signed amounts (a credit is positive,
 * credit spent on an invoice negative): the balance is their sum. Each transaction names its source
 * (`termination:<subscription id>`, ...), unique per organization, so a retried or concurrent
 * request that would credit the same thing twice inserts nothing the second time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table customer_balance_transactions (
      org_id text not null,
      id text not null,
      customer_id text not null,
      amount bigint not null check (amount <> 0),
      currency char(3) not null,
      source_key text not null,
      description text not null,
      created_at timestamptz not null,
      -- Insertion order: transactions at one instant (a credit and its refund) list as they were made.
      seq bigint generated always as identity,
      primary key (org_id, id)
    );
    create unique index customer_balance_transactions_one_per_source
      on customer_balance_transactions (org_id, source_key);
  `.execute(db);
}
