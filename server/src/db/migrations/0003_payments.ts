import { type Kysely, sql } from 'kysely';

/**
 * Payments: checkout sessions, payments, the customer's reference at each gateway, and the gateway
 * events received (stored once each, global like the gateway account they come from). Plus the built-in test gateway's own state: it stands for an
 * external system, so its objects are the gateway's, not a tenant's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The customer's id at a gateway (Stripe's cus_..., Cashfree's customer id).
    create table gateway_customers (
      org_id text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      customer_id text not null,
      gateway_customer_ref text not null,
      created_at timestamptz not null,
      primary key (org_id, gateway),
      foreign key (org_id, customer_id) references billing_customers (org_id, id)
    );

    -- A hosted checkout we opened at a gateway, and what it is for.
    create table checkout_sessions (
      org_id text not null,
      id text not null,
      customer_id text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      gateway_session_ref text,
      mode text not null check (mode in ('payment', 'setup')),
      plan_issuer_id text,
      plan_id text,
      plan_version_id text,
      amount bigint not null check (amount >= 0),
      currency char(3) not null,
      status text not null check (status in ('open', 'complete', 'expired')),
      url text,
      expires_at timestamptz not null,
      completed_at timestamptz,
      payment_id text,
      created_by text not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, customer_id) references billing_customers (org_id, id)
    );
    create unique index checkout_sessions_gateway_ref on checkout_sessions (gateway, gateway_session_ref);

    -- Money that moved (or tried to) at a gateway.
    create table payments (
      org_id text not null,
      id text not null,
      customer_id text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      gateway_payment_ref text not null,
      amount bigint not null check (amount >= 0),
      currency char(3) not null,
      status text not null check (status in ('succeeded', 'failed', 'requires_action', 'processing')),
      failure_code text,
      failure_message text,
      checkout_session_id text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, customer_id) references billing_customers (org_id, id)
    );
    create unique index payments_gateway_ref on payments (gateway, gateway_payment_ref);

    -- A shareable link anyone can pay without an account: for a plan (paying activates it) or an amount.
    create table payment_links (
      org_id text not null,
      id text not null,
      customer_id text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      gateway_link_ref text not null,
      plan_issuer_id text,
      plan_id text,
      plan_version_id text,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      description text not null,
      status text not null check (status in ('active', 'paid', 'cancelled', 'expired')),
      url text not null,
      expires_at timestamptz not null,
      paid_at timestamptz,
      cancelled_at timestamptz,
      payment_id text,
      created_by text not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, customer_id) references billing_customers (org_id, id)
    );
    create unique index payment_links_gateway_ref on payment_links (gateway, gateway_link_ref);

    -- Money given back on a payment, full or partial.
    create table refunds (
      org_id text not null,
      id text not null,
      payment_id text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      gateway_refund_ref text not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      reason text not null,
      status text not null check (status in ('succeeded', 'pending', 'failed')),
      created_by text not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, payment_id) references payments (org_id, id)
    );
    create unique index refunds_gateway_ref on refunds (gateway, gateway_refund_ref);

    -- The built-in test gateway's objects: customers, sessions, payments, saved cards (never a card
    -- number: a token, the brand, the last four digits and the expiry).
    create table test_gateway_objects (
      id text primary key,
      kind text not null check (kind in ('account', 'customer', 'checkout_session', 'payment_link', 'payment',
        'payment_method', 'refund', 'event')),
      idempotency_key text,
      data jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create unique index test_gateway_objects_idempotency on test_gateway_objects (kind, idempotency_key);

    -- Every event a gateway sent us, stored once by its id: a redelivery finds it and changes nothing.
    -- It is the gateway account's until it is read, so it names the organization only once known.
    create table gateway_events (
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      event_id text not null,
      type text not null,
      org_id text,
      payload jsonb not null,
      received_at timestamptz not null,
      processed_at timestamptz,
      primary key (gateway, event_id)
    );
  `.execute(db);
}
