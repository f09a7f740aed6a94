import { type Kysely, sql } from 'kysely';

/**
 * A subscription's pending plan change lives on the subscription: the plan version it moves to, when
 * (`now`: a change being paid for, claimed by its draft invoice; `period_end`: a downgrade waiting for
 * the period to end), the instant it takes effect, and, for a change that starts a new period (another
 * interval), where that period ends. Before, a waiting downgrade had two columns of its own and a
 * change being paid for was known only by its draft's lines, which a change to or from a fee in
 * arrears does not have.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table subscriptions
      add column pending_plan_id text,
      add column pending_plan_version_id text,
      add column pending_change_timing text check (pending_change_timing in ('now', 'period_end')),
      add column pending_change_at timestamptz,
      add column pending_period_end timestamptz,
      add column pending_invoice_id text,
      add constraint subscriptions_pending_change_whole check (
        (pending_plan_version_id is null and pending_plan_id is null and pending_change_timing is null
          and pending_change_at is null and pending_period_end is null and pending_invoice_id is null)
        or (pending_plan_version_id is not null and pending_plan_id is not null
          and pending_change_timing is not null and pending_change_at is not null
          and (pending_change_timing = 'now') = (pending_invoice_id is not null))
      )
  `.execute(db);
  await movePendingChangesOver(db);
  await sql`
    alter table subscriptions drop column scheduled_plan_id, drop column scheduled_plan_version_id
  `.execute(db);
}

/**
 * The pending changes there are, moved onto the new columns: a waiting downgrade takes effect at the
 * end of the current period; a change being paid for (a draft `subscription_update` invoice, which
 * the billing run finishes) moves to the plan version of its draft's charge, at the draft's start,
 * with a new period when that charge is a whole period's fee (`license`: another interval).
 */
export async function movePendingChangesOver(db: Kysely<unknown>): Promise<void> {
  await sql`
    update subscriptions
       set pending_plan_id = scheduled_plan_id,
           pending_plan_version_id = scheduled_plan_version_id,
           pending_change_timing = 'period_end',
           pending_change_at = current_period_end
     where scheduled_plan_id is not null and scheduled_plan_version_id is not null
  `.execute(db);
  await sql`
    update subscriptions s
       set pending_plan_id = v.plan_id,
           pending_plan_version_id = v.id,
           pending_change_timing = 'now',
           pending_change_at = d.period_start,
           pending_period_end = case when d.kind = 'license' then d.period_end end,
           pending_invoice_id = d.invoice_id
      from (
        select distinct on (i.org_id, i.subscription_id)
               i.org_id, i.subscription_id, i.id as invoice_id, i.period_start, i.period_end,
               l.kind, l.plan_version_id
          from invoices i
          join invoice_lines l on l.org_id = i.org_id and l.invoice_id = i.id
         where i.status = 'draft' and i.billing_reason = 'subscription_update'
           and l.kind in ('proration_charge', 'license') and l.plan_version_id is not null
         order by i.org_id, i.subscription_id, i.created_at desc
      ) d, plan_versions v
     where s.org_id = d.org_id and s.id = d.subscription_id
       and v.org_id = s.plan_issuer_id and v.id = d.plan_version_id
  `.execute(db);
}
