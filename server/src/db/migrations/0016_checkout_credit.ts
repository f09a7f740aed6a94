import { type Kysely, sql } from 'kysely';

/**
 * The part of a checkout's first invoice paid from the customer's credit balance (R27). It is taken
 * from the balance when the checkout opens (a balance transaction keyed by the checkout), so the
 * gateway is asked only for the rest, and given back if the checkout ends without starting a plan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table checkout_sessions
      add column credit_applied bigint not null default 0 check (credit_applied >= 0);
  `.execute(db);
}
