import { type Kysely, sql } from 'kysely';

/**
 * Two terms of a plan version the rating core (server/src/billing/) reads:
 * - `fee_timing`: the plan's fee billed at the start of the period it pays for (`advance`, as every
 *   plan so far) or at its end (`arrears`);
 * - `minimum_commitment`: minor units a period's fee and usage are topped up to (0: none).
 * Both belong to the version, as prices do: changing them publishes a new version.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table plan_versions
      add column fee_timing text not null default 'advance' check (fee_timing in ('advance', 'arrears')),
      add column minimum_commitment bigint not null default 0 check (minimum_commitment >= 0);
  `.execute(db);
}
