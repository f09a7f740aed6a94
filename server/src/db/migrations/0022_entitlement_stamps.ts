import { type Kysely, sql } from 'kysely';

/**
 * Entitlement checks answer from terms each process keeps in memory (a customer's live plans, the
 * default plan, the metrics), so they must learn at once when those terms change, whoever changes
 * them: this process, another one, or a person with psql.
 *
 * - `entitlement_stamps`: per organization, a random value replaced by a trigger whenever a row that
 *   decides its entitlements changes: a subscription's plan, status or period (stamped on the
 *   customer's organization), or the issuer's plans, plan versions, metrics or its refusal of paid
 *   features while billing is blocked (stamped on the issuer). A check reads the two stamps in the
 *   statement that reads or records usage, and its terms hold only if they are the stamps they were
 *   loaded under. Random rather than counted: a value names one state of one database, so a
 *   database restored from a backup, or another one served by the same process, never matches.
 * - `billing_settings.refuse_paid_features_when_blocked`: while a customer's billing is blocked
 *   (retries exhausted), features only paid plans grant are refused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table entitlement_stamps (
      org_id text primary key,
      stamp uuid not null
    );

    create function entitlement_stamp(org text) returns void language sql as $$
      insert into entitlement_stamps (org_id, stamp) values (org, gen_random_uuid())
      on conflict (org_id) do update set stamp = excluded.stamp
    $$;

    create function entitlement_terms_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        perform entitlement_stamp(old.org_id);
      else
        perform entitlement_stamp(new.org_id);
      end if;
      return null;
    end $$;

    create trigger subscriptions_entitlements after insert or delete on subscriptions
      for each row execute function entitlement_terms_changed();
    -- A renewal, a plan change, a status change; not what only billing reads (pending changes, dates).
    create trigger subscriptions_entitlements_update after update on subscriptions
      for each row when (
        (old.status, old.plan_version_id, old.current_period_start, old.current_period_end,
          old.paused_for_payment, old.started_at)
        is distinct from
        (new.status, new.plan_version_id, new.current_period_start, new.current_period_end,
          new.paused_for_payment, new.started_at))
      execute function entitlement_terms_changed();

    create trigger plans_entitlements after insert or update or delete on plans
      for each row execute function entitlement_terms_changed();
    create trigger plan_versions_entitlements after insert or update or delete on plan_versions
      for each row execute function entitlement_terms_changed();
    create trigger metrics_entitlements after insert or update or delete on metrics
      for each row execute function entitlement_terms_changed();

    alter table billing_settings
      add column refuse_paid_features_when_blocked boolean not null default false;
    -- Not on every invoice number taken: only the setting entitlements read.
    create trigger billing_settings_entitlements after update on billing_settings
      for each row when (old.refuse_paid_features_when_blocked is distinct from new.refuse_paid_features_when_blocked)
      execute function entitlement_terms_changed();

    insert into entitlement_stamps (org_id, stamp)
    select org_id, gen_random_uuid() from (
      select org_id from subscriptions union select org_id from plans union select org_id from metrics
    ) stamped;
  `.execute(db);
}
