import { type Kysely, sql } from 'kysely';

/**
 * A gateway event is claimed by one conditional write before its handler runs. Storing the event and
 * then reading whether it was processed let concurrent deliveries of one event all run the handler;
 * `claimed_at` makes the claim itself the atomic step, and lets a claim left by a crashed process
 * expire so the gateway's next redelivery finishes the work.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table gateway_events add column claimed_at timestamptz`.execute(db);
}
