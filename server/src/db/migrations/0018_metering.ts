import { type Kysely, sql } from 'kysely';

/**
 * Metering (C21–C25): usage events in, counted by rollups, limits consumed atomically.
 *
 * - `usage_event_ids`: one row per (issuer, event_id) received, the deduplication key, kept 40 days
 *   (35 promised) and purged by a job. Apart from the events because a unique key on a partitioned
 *   table must include the partition key (the event's time), and a resent event may carry another.
 * - `usage_events`: the raw events, append-only, partitioned by the month of their timestamp
 *   (declarative partitions made ahead by a job; a default partition takes anything else). Keyed by
 *   the customer's organization first, so the table can be distributed by tenant.
 * - `usage_rollups`: per-batch deltas, appended in the ingest's own statement (hot counter rows
 *   updated in place serialize concurrent batches), per customer, metric, local hour and group of
 *   dimension values; a job merges each hour's deltas into one row. Reads sum base + deltas.
 * - `usage_unique_values`: the distinct values a unique_count metric saw, per local hour.
 * - `entitlement_counters`: units of a feature consumed (minus released) by an organization: the row
 *   a consume updates conditionally, so concurrent consumers never overshoot a limit.
 * - `billing_customers.external_id`: the issuer's own name for a customer, for events.
 * - API keys get an `ingest` mode: events and entitlement checks, nothing else.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table billing_customers add column external_id text;
    -- One issuer today (the platform): external ids are unique across customers.
    create unique index billing_customers_external_id on billing_customers (external_id)
      where external_id is not null;

    alter table api_keys drop constraint api_keys_mode_check;
    alter table api_keys add constraint api_keys_mode_check check (mode in ('read_only', 'full', 'ingest'));

    create table usage_event_ids (
      org_id text not null,
      event_id text not null,
      received_at timestamptz not null,
      primary key (org_id, event_id)
    );
    create index usage_event_ids_received on usage_event_ids (received_at);

    create table usage_events (
      org_id text not null,
      issuer_id text not null,
      event_id text not null,
      code text not null,
      occurred_at timestamptz not null,
      properties jsonb not null,
      received_at timestamptz not null,
      primary key (org_id, code, occurred_at, event_id)
    ) partition by range (occurred_at);
    create table usage_events_default partition of usage_events default;
    -- Partitions for last month to three months ahead; the metering.upkeep job makes later ones.
    -- By the database's clock: a migration has no other, and the job corrects any gap.
    do $$
    declare month date;
    begin
      for i in -1..3 loop
        month := (date_trunc('month', now()) + make_interval(months => i))::date;
        execute format('create table usage_events_%s partition of usage_events for values from (%L) to (%L)',
          to_char(month, 'YYYY_MM'), month::timestamptz at time zone 'UTC', (month + interval '1 month')::timestamptz at time zone 'UTC');
      end loop;
    end $$;

    create table usage_rollups (
      org_id text not null,
      metric text not null,
      hour timestamptz not null,
      group_values jsonb not null,
      events bigint not null,
      total numeric not null,
      greatest numeric,
      latest_at timestamptz,
      latest numeric,
      merged boolean not null default false,
      seq bigint generated always as identity,
      primary key (org_id, metric, hour, seq)
    );

    create table usage_unique_values (
      org_id text not null,
      metric text not null,
      hour timestamptz not null,
      group_values jsonb not null,
      value text not null,
      primary key (org_id, metric, hour, group_values, value)
    );

    create table entitlement_counters (
      org_id text not null,
      feature text not null,
      used bigint not null check (used >= 0),
      updated_at timestamptz not null,
      primary key (org_id, feature)
    );
  `.execute(db);
}
