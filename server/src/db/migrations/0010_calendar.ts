import { type Kysely, sql } from 'kysely';

/**
 * Calendar billing (C18): plans bill by the week, month, quarter, half-year or year, and a checkout
 * may choose the billing day its periods start on. A subscription keeps the month its anniversary
 * periods count from.
 *
 * Calendar-aligned yearly periods now start on 1 January. Yearly subscriptions made before billed
 * years from their start day whatever their billing mode, so those marked `calendar` become what they
 * always were, anniversary years on their start day: their renewals and amounts do not change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table plans drop constraint plans_billing_interval_check,
      add constraint plans_billing_interval_check
        check (billing_interval in ('week', 'month', 'quarter', 'half_year', 'year'))
  `.execute(db);
  // The month an anniversary series counts from is the quote's, which a payment made after midnight
  // on the last of the month would otherwise move to the next month. Null: the start's month.
  await sql`
    alter table subscriptions
      add column anchor_month integer check (anchor_month between 1 and 12)
  `.execute(db);
  await sql`
    alter table checkout_sessions
      add column billing_day integer check (billing_day between 1 and 31)
  `.execute(db);
  await keepYearlySubscriptionsOnTheirDay(db);
}

/** Yearly subscriptions marked `calendar` become anniversary years on their local start day. */
export async function keepYearlySubscriptionsOnTheirDay(db: Kysely<unknown>): Promise<void> {
  await sql`
    update subscriptions s
       set billing_mode = 'anniversary',
           anchor_day = extract(day from s.started_at at time zone s.time_zone)::integer
      from plans p
     where p.org_id = s.plan_issuer_id and p.id = s.plan_id
       and p.billing_interval = 'year' and s.billing_mode = 'calendar'
  `.execute(db);
}
