import { type Kysely, sql } from 'kysely';

/**
 * A subscription's history in the order it was written. Several moves can share one instant (a trial
 * ends and its first charge is declined; an unpaid subscription is paid and becomes active), and
 * ordering by time then by a random id shuffled them. The sequence numbers rows as they are inserted;
 * existing rows get theirs in their old order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table subscription_events add column seq bigint generated always as identity`.execute(db);
}
