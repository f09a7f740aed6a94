import { type Kysely, sql } from 'kysely';

/**
 * Usage alerts (C24): thresholds on a subscription's usage and on its upcoming invoice, each told
 * once per period.
 *
 * - `usage_alerts`: thresholds a customer sets on a subscription, beyond the plan's own (80% and 100%
 *   of each limit, which need no row): units of a metric, or minor units of the upcoming invoice.
 * - `usage_alert_checks`: organizations whose usage changed and whose thresholds are to be looked at,
 *   appended by the ingest's statement and by consumes and releases (never updated, so concurrent
 *   batches do not queue on a shared row), deleted by the evaluation that looks. What a crash leaves
 *   here is looked at by the next evaluation or the minutely job.
 * - `usage_threshold_crossings`: one row per threshold reached per period (`threshold_key` says which
 *   threshold), claimed with ON CONFLICT DO NOTHING in the transaction that emits its event, so
 *   concurrent evaluations tell it once; `resolved_at` when usage went back below it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table usage_alerts (
      org_id text not null,
      id text not null,
      subscription_id text not null,
      -- null: the upcoming invoice's amount, in minor units of the subscription's currency.
      metric text,
      threshold bigint not null check (threshold > 0),
      created_at timestamptz not null,
      primary key (org_id, id)
    );
    create unique index usage_alerts_threshold
      on usage_alerts (org_id, subscription_id, coalesce(metric, ''), threshold);

    create table usage_alert_checks (
      org_id text not null,
      seq bigint generated always as identity,
      noted_at timestamptz not null,
      primary key (org_id, seq)
    );

    create table usage_threshold_crossings (
      org_id text not null,
      id text not null,
      threshold_key text not null,
      period_start timestamptz not null,
      period_end timestamptz not null,
      subscription_id text,
      alert_id text,
      metric text,
      percent integer,
      threshold bigint not null,
      currency text,
      reached_value bigint not null,
      reached_at timestamptz not null,
      resolved_value bigint,
      resolved_at timestamptz,
      primary key (org_id, id),
      unique (org_id, threshold_key, period_start)
    );
  `.execute(db);
}
