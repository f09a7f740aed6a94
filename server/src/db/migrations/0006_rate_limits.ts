import { type Kysely, sql } from 'kysely';

/**
 * Attempt counters shared by every process on the database (sign-in, sign-up, password changes), so
 * running more processes does not multiply the allowance. A row is one limit's window for one key
 * (an address, an email, a person); the window opens at the first attempt and the daily housekeeping
 * job drops ended ones. Global like sessions: a sign-in attempt belongs to no organization yet.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table rate_limits (
      limit_name text not null,
      key text not null,
      hits integer not null check (hits > 0),
      window_ends_at timestamptz not null,
      primary key (limit_name, key)
    );
    create index rate_limits_window_ends_at_idx on rate_limits (window_ends_at);
  `.execute(db);
}
