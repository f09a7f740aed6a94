import { type Kysely, sql } from 'kysely';

/**
 * The catalog (features, metrics, plans and their immutable versions) and billing customers with
 * their payment methods.
 *
 * The catalog belongs to an issuer: the platform itself (the organization `org_platform`, created
 * here) or, later, a reseller publishing its own plans. Its rows carry the issuer as `org_id`, like
 * every tenant's rows, so audit entries and invoices have an organization to belong to.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table organizations drop constraint organizations_kind_check;
    alter table organizations add constraint organizations_kind_check
      check (kind in ('personal', 'organization', 'platform'));
    -- The platform organization is created by this migration, not by a person.
    alter table organizations alter column created_by drop not null;
    insert into organizations (id, kind, name, country, postal_code, created_at)
      values ('org_platform', 'platform', 'Platform', 'US', '', now());

    -- What plans may limit: the operator names new ones; a limit on an unknown feature is refused.
    create table features (
      org_id text not null references organizations (id),
      code text not null,
      name text not null,
      unit text not null,
      created_at timestamptz not null,
      primary key (org_id, code)
    );
    insert into features (org_id, code, name, unit, created_at) values
      ('org_platform', 'computations', 'Computations', 'computations', now()),
      ('org_platform', 'members', 'Workspace members', 'members', now()),
      ('org_platform', 'computation_runs', 'Computation runs', 'runs', now()),
      ('org_platform', 'storage_gb', 'Storage', 'GB', now());

    -- What usage charges price: how events of one code add up over a period.
    create table metrics (
      org_id text not null references organizations (id),
      id text not null,
      code text not null,
      name text not null,
      unit text not null,
      aggregation text not null check (aggregation in
        ('count', 'sum', 'max', 'unique_count', 'latest', 'time_weighted_sum')),
      property text,
      dimensions jsonb not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      unique (org_id, code)
    );

    -- What a plan is called and who may see it. Prices and limits live in plan_versions.
    create table plans (
      org_id text not null references organizations (id),
      id text not null,
      code text not null,
      name text not null,
      description text not null,
      currency char(3) not null,
      billing_interval text not null check (billing_interval in ('month', 'year')),
      environment text not null check (environment in ('production', 'staging', 'any')),
      visibility text not null check (visibility in ('public', 'restricted')),
      is_default boolean not null,
      unbilled boolean not null,
      disabled_at timestamptz,
      current_version integer not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (org_id, id),
      unique (org_id, code)
    );
    -- New customers start on the one default plan (Free).
    create unique index plans_one_default on plans (org_id) where is_default;

    -- The organizations a restricted plan is offered to.
    create table plan_audiences (
      org_id text not null,
      plan_id text not null,
      customer_org_id text not null references organizations (id),
      primary key (org_id, plan_id, customer_org_id),
      foreign key (org_id, plan_id) references plans (org_id, id)
    );
    create index plan_audiences_customer_idx on plan_audiences (customer_org_id);

    -- Prices and limits, immutable: an edit inserts the next version; subscriptions point at one.
    create table plan_versions (
      org_id text not null,
      id text not null,
      plan_id text not null,
      version integer not null,
      base_price bigint not null check (base_price >= 0),
      trial_days integer not null check (trial_days >= 0),
      limits jsonb not null,
      charges jsonb not null,
      created_by text not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      unique (org_id, plan_id, version),
      foreign key (org_id, plan_id) references plans (org_id, id)
    );

    -- Which gateway serves a country: '*' is the rule for every other country.
    create table gateway_routes (
      org_id text not null references organizations (id),
      country text not null check (country = '*' or country ~ '^[A-Z]{2}$'),
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      primary key (org_id, country)
    );
    insert into gateway_routes (org_id, country, gateway) values
      ('org_platform', 'IN', 'cashfree'),
      ('org_platform', '*', 'stripe');

    -- One billing customer per organization or personal account.
    create table billing_customers (
      org_id text not null references organizations (id),
      id text not null,
      name text not null,
      email text not null,
      address_line1 text not null,
      address_line2 text not null,
      city text not null,
      state text not null,
      postal_code text not null,
      country char(2) not null,
      phone text not null,
      tax_id text not null,
      currency char(3) not null,
      time_zone text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (org_id, id)
    );
    create unique index billing_customers_one_per_org on billing_customers (org_id);

    -- A reference to a card or mandate kept at the gateway: never the number itself.
    create table payment_methods (
      org_id text not null,
      id text not null,
      customer_id text not null,
      gateway text not null check (gateway in ('test', 'stripe', 'cashfree')),
      gateway_ref text not null,
      kind text not null,
      brand text not null,
      last4 text not null check (last4 ~ '^[0-9]{4}$' or last4 = ''),
      exp_month integer,
      exp_year integer,
      is_default boolean not null,
      created_at timestamptz not null,
      primary key (org_id, id),
      unique (org_id, gateway, gateway_ref),
      foreign key (org_id, customer_id) references billing_customers (org_id, id)
    );
    create unique index payment_methods_one_default on payment_methods (org_id) where is_default;

    -- Which plan version a customer is on. The lifecycle (trials, periods, cancellation, dunning)
    -- grows here; what matters now is the version: it never changes under a subscriber.
    create table subscriptions (
      org_id text not null,
      id text not null,
      customer_id text not null,
      plan_issuer_id text not null,
      plan_id text not null,
      plan_version_id text not null,
      status text not null check (status in ('active', 'ended')),
      started_at timestamptz not null,
      ended_at timestamptz,
      created_at timestamptz not null,
      primary key (org_id, id),
      foreign key (org_id, customer_id) references billing_customers (org_id, id),
      foreign key (plan_issuer_id, plan_version_id) references plan_versions (org_id, id)
    );
    create index subscriptions_active_idx on subscriptions (org_id) where status = 'active';
    create index subscriptions_plan_idx on subscriptions (plan_issuer_id, plan_id) where status = 'active';
  `.execute(db);

  await seedPlatformPlans(db);
}

const freeLimits = [
  { feature: 'computations', mode: 'hard', limit: 5 },
  { feature: 'members', mode: 'hard', limit: 3 },
  { feature: 'computation_runs', mode: 'hard', limit: 100 },
  { feature: 'storage_gb', mode: 'hard', limit: 1 },
];

/** Free (the default for new customers) and Unbilled (for resources that are not charged). */
async function seedPlatformPlans(db: Kysely<unknown>) {
  const plans = [
    {
      id: 'plan_free0000',
      code: 'free',
      name: 'Free',
      description: 'Try the platform: a few computations and members, no card needed.',
      visibility: 'public',
      isDefault: true,
      unbilled: false,
      limits: freeLimits,
    },
    {
      id: 'plan_unbilled0',
      code: 'unbilled',
      name: 'Unbilled',
      description: 'For resources that are not charged, such as staging instances. Assigned by an operator.',
      visibility: 'restricted',
      isDefault: false,
      unbilled: true,
      limits: [],
    },
  ];
  for (const plan of plans) {
    await sql`
      insert into plans (org_id, id, code, name, description, currency, billing_interval, environment,
        visibility, is_default, unbilled, current_version, created_at, updated_at)
      values ('org_platform', ${plan.id}, ${plan.code}, ${plan.name}, ${plan.description}, 'USD', 'month',
        'any', ${plan.visibility}, ${plan.isDefault}, ${plan.unbilled}, 1, now(), now())
    `.execute(db);
    await sql`
      insert into plan_versions (org_id, id, plan_id, version, base_price, trial_days, limits, charges,
        created_by, created_at)
      values ('org_platform', ${`plv_${plan.id.slice(5)}`}, ${plan.id}, 1, 0, 0, ${JSON.stringify(plan.limits)},
        '[]', 'system', now())
    `.execute(db);
  }
}
