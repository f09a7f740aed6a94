import { type Kysely, sql } from 'kysely';

/**
 * Recurring metrics (seats, licences): the value a metric holds carries from period to period
 * without new events, and is billed by the days it was held (docs/billing-rules.md, R29). Only a sum
 * of changes or a latest value holds a level; the catalog refuses the flag on other aggregations,
 * and the check keeps it so.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table metrics add column recurring boolean not null default false;
    alter table metrics add constraint metrics_recurring_aggregation
      check (not recurring or aggregation in ('sum', 'latest'));
  `.execute(db);
}
