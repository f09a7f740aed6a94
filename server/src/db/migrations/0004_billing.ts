import { type Kysely, sql } from 'kysely';

/**
 * Billing: the subscription lifecycle and its periods, invoices numbered per issuer, the append-only
 * ledger with monthly statements, tax rates, and test clocks.
 *
 * The ledger is guarded by the database itself: entries can be added, never changed or removed, and
 * nothing is added to or changed in a closed statement. A bug in our code cannot rewrite history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The lifecycle: a subscription is no longer just "the plan version", it has periods and states.
    alter table subscriptions drop constraint subscriptions_status_check;
    update subscriptions set status = 'cancelled' where status = 'ended';
    alter table subscriptions add constraint subscriptions_status_check check (status in
      ('incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'cancelled'));
    alter table subscriptions
      add column billing_mode text not null default 'calendar'
        check (billing_mode in ('calendar', 'anniversary')),
      add column anchor_day integer not null default 1 check (anchor_day between 1 and 31),
      add column time_zone text not null default 'UTC',
      add column current_period_start timestamptz,
      add column current_period_end timestamptz,
      add column trial_end timestamptz,
      add column cancel_at_period_end boolean not null default false,
      add column cancelled_at timestamptz,
      add column paused_at timestamptz,
      -- A downgrade waits for the end of the period: the version it will move to.
      add column scheduled_plan_id text,
      add column scheduled_plan_version_id text,
      add column updated_at timestamptz;
    update subscriptions set
      current_period_start = date_trunc('month', started_at at time zone 'UTC') at time zone 'UTC',
      current_period_end = (date_trunc('month', started_at at time zone 'UTC') + interval '1 month') at time zone 'UTC',
      updated_at = created_at;
    alter table subscriptions
      alter column current_period_start set not null,
      alter column current_period_end set not null,
      alter column updated_at set not null;
    drop index subscriptions_active_idx;
    drop index subscriptions_plan_idx;
    create index subscriptions_live_idx on subscriptions (org_id) where status <> 'cancelled';
    create index subscriptions_plan_idx on subscriptions (plan_issuer_id, plan_id) where status <> 'cancelled';
    -- What the billing run looks for: periods that have ended.
    create index subscriptions_due_idx on subscriptions (current_period_end)
      where status in ('trialing', 'active', 'past_due', 'unpaid');

    -- Every change of state or plan, with its reason: the subscription's history.
    create table subscription_events (
      org_id text not null,
      id text not null,
      subscription_id text not null,
      kind text not null,
      from_status text,
      to_status text,
      plan_version_id text,
      reason text not null,
      occurred_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, subscription_id) references subscriptions (org_id, id)
    );
    create index subscription_events_subscription_idx on subscription_events (org_id, subscription_id, occurred_at);

    -- An issuer's billing conventions and its invoice number register.
    create table billing_settings (
      org_id text primary key references organizations (id),
      invoice_prefix text not null check (invoice_prefix ~ '^[A-Z0-9]{1,10}$'),
      -- The next number to hand out. Taken inside the transaction that finalizes an invoice, so a
      -- rollback gives it back: numbers have no gaps.
      next_invoice_number bigint not null check (next_invoice_number >= 1),
      due_day integer not null check (due_day between 1 and 28),
      retry_days integer[] not null,
      -- Who the invoices are from, as printed on them.
      issuer_name text not null,
      issuer_address text not null,
      issuer_email text not null,
      updated_at timestamptz not null
    );
    insert into billing_settings (org_id, invoice_prefix, next_invoice_number, due_day, retry_days,
        issuer_name, issuer_address, issuer_email, updated_at)
      values ('org_platform', 'BF', 1, 15, '{3,5,7}', 'Billfold Cloud',
        E'500 Howard Street\nSan Francisco, CA 94105\nUnited States', 'billing@billfold.example', now());

    -- Tax by the customer's country, or by a state within it ('' = the whole country).
    create table tax_rates (
      org_id text not null references organizations (id),
      country char(2) not null,
      region text not null,
      name text not null,
      -- A percentage as a decimal string ("18", "7.25"): applied exactly, rounded once per invoice.
      percent text not null check (percent ~ '^[0-9]{1,2}(\\.[0-9]{1,4})?$'),
      inclusive boolean not null,
      primary key (org_id, country, region)
    );
    insert into tax_rates (org_id, country, region, name, percent, inclusive) values
      ('org_platform', 'IN', '', 'GST', '18', false);

    create table invoices (
      org_id text not null,
      id text not null,
      issuer_id text not null references organizations (id),
      customer_id text not null,
      subscription_id text,
      number text,
      status text not null check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
      billing_reason text not null check (billing_reason in
        ('subscription_create', 'subscription_cycle', 'subscription_update', 'manual')),
      currency char(3) not null,
      period_start timestamptz not null,
      period_end timestamptz not null,
      subtotal bigint not null,
      tax bigint not null,
      total bigint not null,
      amount_paid bigint not null check (amount_paid >= 0),
      tax_name text not null,
      tax_percent text not null,
      tax_inclusive boolean not null,
      -- Who it was billed to, as it stood when the invoice was finalized.
      bill_to jsonb not null,
      due_at timestamptz,
      finalized_at timestamptz,
      paid_at timestamptz,
      voided_at timestamptz,
      -- Collection: charge the default method, and when to try again after a failure.
      auto_charge boolean not null,
      attempt_count integer not null default 0,
      first_failed_at timestamptz,
      next_attempt_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, customer_id) references billing_customers (org_id, id),
      foreign key (org_id, subscription_id) references subscriptions (org_id, id),
      check ((status = 'draft') = (number is null))
    );
    -- One renewal invoice per subscription and period, however often the billing run is retried.
    create unique index invoices_one_per_cycle on invoices (org_id, subscription_id, period_start)
      where billing_reason = 'subscription_cycle';
    create index invoices_collect_idx on invoices (next_attempt_at) where status = 'open' and auto_charge;
    create index invoices_customer_idx on invoices (org_id, created_at);

    -- The issuer's register of invoice numbers: each number once, pointing at its invoice.
    create table invoice_numbers (
      org_id text not null references organizations (id),
      number text not null,
      invoice_org_id text not null,
      invoice_id text not null,
      assigned_at timestamptz not null,
      primary key (org_id, number),
      foreign key (invoice_org_id, invoice_id) references invoices (org_id, id)
    );

    create table invoice_lines (
      org_id text not null,
      id text not null,
      invoice_id text not null,
      position integer not null,
      kind text not null check (kind in ('license', 'proration_credit', 'proration_charge', 'usage', 'adjustment')),
      description text not null,
      period_start timestamptz not null,
      period_end timestamptz not null,
      quantity text not null,
      unit_amount text not null,
      amount bigint not null,
      plan_version_id text,
      primary key (org_id, id),
      unique (org_id, invoice_id, position),
      foreign key (org_id, invoice_id) references invoices (org_id, id)
    );

    -- Voiding a finalized invoice takes back what it charged.
    create table credit_notes (
      org_id text not null,
      id text not null,
      invoice_id text not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      reason text not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, invoice_id) references invoices (org_id, id)
    );

    -- A month of one subscription's ledger, in the customer's time zone.
    create table statements (
      org_id text not null,
      id text not null,
      subscription_id text not null,
      currency char(3) not null,
      month text not null check (month ~ '^[0-9]{4}-[0-9]{2}$'),
      period_start timestamptz not null,
      period_end timestamptz not null,
      status text not null check (status in ('open', 'closed')),
      -- Set once, when the statement closes; while open they are derived from the entries.
      opening_balance bigint,
      credits bigint,
      license_charges bigint,
      usage_charges bigint,
      other_charges bigint,
      closing_balance bigint,
      closed_at timestamptz,
      primary key (org_id, id),
      unique (org_id, subscription_id, month),
      foreign key (org_id, subscription_id) references subscriptions (org_id, id),
      check (status = 'open' or (closing_balance = opening_balance + credits - license_charges - usage_charges - other_charges))
    );
    create index statements_due_idx on statements (period_end) where status = 'open';

    -- Every cent, once. Amounts are signed in the customer's favour: payments and credits are
    -- positive, charges and refunds negative; a balance is a sum, never a stored number.
    create table ledger_entries (
      org_id text not null,
      id text not null,
      subscription_id text not null,
      statement_id text not null,
      kind text not null check (kind in ('license', 'usage', 'tax', 'payment', 'credit', 'refund', 'adjustment')),
      amount bigint not null check (amount <> 0),
      currency char(3) not null,
      description text not null,
      -- When it happened in business terms, and whether it arrived after its month had closed.
      effective_at timestamptz not null,
      late boolean not null,
      invoice_id text,
      payment_id text,
      refund_id text,
      -- What caused the entry: the same cause never posts twice.
      source_key text not null,
      posted_at timestamptz not null,
      -- The order entries were posted in: several share a timestamp (an invoice's lines).
      seq bigint generated always as identity,
      primary key (org_id, id),
      unique (org_id, source_key),
      foreign key (org_id, subscription_id) references subscriptions (org_id, id),
      foreign key (org_id, statement_id) references statements (org_id, id),
      check ((kind in ('payment', 'credit') and amount > 0)
        or (kind in ('license', 'usage', 'tax', 'refund') and amount < 0)
        or kind = 'adjustment')
    );
    create index ledger_entries_statement_idx on ledger_entries (org_id, statement_id);

    create function ledger_entries_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger entries are append-only' using errcode = 'BF001';
    end $$;
    create trigger ledger_entries_append_only before update or delete on ledger_entries
      for each row execute function ledger_entries_append_only();

    create function ledger_entries_open_statement() returns trigger language plpgsql as $$
    begin
      if (select status from statements where org_id = new.org_id and id = new.statement_id) <> 'open' then
        raise exception 'statement % is closed', new.statement_id using errcode = 'BF002';
      end if;
      return new;
    end $$;
    create trigger ledger_entries_open_statement before insert on ledger_entries
      for each row execute function ledger_entries_open_statement();

    create function statements_closed_immutable() returns trigger language plpgsql as $$
    begin
      if old.status = 'closed' then
        raise exception 'statement % is closed', old.id using errcode = 'BF002';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end $$;
    create trigger statements_closed_immutable before update or delete on statements
      for each row execute function statements_closed_immutable();

    -- What a payment paid for, when it paid an invoice; a payment link can be for an open invoice.
    alter table payments add column invoice_id text;
    alter table payment_links add column invoice_id text;
    -- How a subscription bought at checkout bills, and whether it is one more beside the current ones.
    alter table checkout_sessions
      add column billing_mode text not null default 'calendar' check (billing_mode in ('calendar', 'anniversary')),
      add column additional boolean not null default false;

    -- Outbound webhooks (C36): endpoints an organization registers, the events written in the same
    -- transaction as the change they describe (an outbox), and each event's delivery to each endpoint.
    create table webhook_endpoints (
      org_id text not null references organizations (id),
      id text not null,
      url text not null,
      description text not null,
      -- Signs deliveries; kept to sign with, shown to the organization's managers.
      secret text not null,
      events text[] not null,
      status text not null check (status in ('enabled', 'disabled')),
      created_at timestamptz not null,
      primary key (org_id, id)
    );
    create table events (
      org_id text not null references organizations (id),
      id text not null,
      type text not null,
      data jsonb not null,
      created_at timestamptz not null,
      primary key (org_id, id)
    );
    create index events_recent_idx on events (org_id, created_at);
    create table webhook_deliveries (
      org_id text not null,
      id text not null,
      endpoint_id text not null,
      event_id text not null,
      status text not null check (status in ('pending', 'succeeded', 'failed')),
      attempts integer not null,
      response_status integer,
      error text,
      last_attempt_at timestamptz,
      delivered_at timestamptz,
      created_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, endpoint_id) references webhook_endpoints (org_id, id),
      foreign key (org_id, event_id) references events (org_id, id)
    );
    create index webhook_deliveries_endpoint_idx on webhook_deliveries (org_id, endpoint_id, created_at);

    -- Test mode: a clock a customer can be attached to and moved forward, running what would have run.
    create table test_clocks (
      org_id text not null references organizations (id),
      id text not null,
      name text not null,
      frozen_time timestamptz not null,
      created_at timestamptz not null,
      primary key (org_id, id)
    );
    alter table billing_customers add column test_clock_id text;
    alter table billing_customers add constraint billing_customers_test_clock_fk
      foreign key (org_id, test_clock_id) references test_clocks (org_id, id);
  `.execute(db);
}
