import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The database as Kysely sees it. One interface per table; migrations in ./migrations are the
 * source of truth and these types follow them.
 *
 * Tenancy: every table owned by a tenant carries `org_id`, and every unique key includes it.
 * Identity (users, sessions) is global: a person signs in once and belongs to many organizations.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  is_operator: boolean;
  created_at: Timestamp;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface OrganizationsTable {
  id: string;
  kind: 'personal' | 'organization' | 'platform';
  name: string;
  country: string;
  postal_code: string;
  parent_org_id: string | null;
  /** Null only for the platform organization, which a migration creates. */
  created_by: string | null;
  created_at: Timestamp;
}

export type Role = 'owner' | 'super_admin' | 'admin' | 'member';

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: Role;
  created_at: Timestamp;
}

export interface InvitationsTable {
  org_id: string;
  id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
  revoked_at: Timestamp | null;
}

export type ApiKeyMode = 'read_only' | 'full' | 'ingest';

export interface ApiKeysTable {
  org_id: string;
  id: string;
  name: string;
  mode: ApiKeyMode;
  secret_hash: string;
  last4: string;
  created_by: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface AuditEventsTable {
  org_id: string;
  id: string;
  seq: Generated<string>;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  before: Json | null;
  after: Json | null;
  request_id: string;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: Json | null;
  created_at: Timestamp;
}

/** One limit's current window for one key; global, like sessions (db/migrations/0006_rate_limits.ts). */
export interface RateLimitsTable {
  limit_name: string;
  key: string;
  hits: number;
  window_ends_at: Timestamp;
}

export interface JobEffectsTable {
  org_id: string;
  job_id: string;
  queue: string;
  completed_at: Timestamp;
}

/** Catalog: what plans may limit. */
export interface FeaturesTable {
  org_id: string;
  code: string;
  name: string;
  unit: string;
  created_at: Timestamp;
}

export type Aggregation = 'count' | 'sum' | 'max' | 'unique_count' | 'latest' | 'time_weighted_sum';

export interface MetricsTable {
  org_id: string;
  id: string;
  code: string;
  name: string;
  unit: string;
  aggregation: Aggregation;
  property: string | null;
  dimensions: Json<string[]>;
  /** The value carries across periods and is billed by the days it is held (seats). */
  recurring: Generated<boolean>;
  created_at: Timestamp;
}

export interface PlansTable {
  org_id: string;
  id: string;
  code: string;
  name: string;
  description: string;
  currency: string;
  billing_interval: 'week' | 'month' | 'quarter' | 'half_year' | 'year';
  environment: 'production' | 'staging' | 'any';
  visibility: 'public' | 'restricted';
  is_default: boolean;
  unbilled: boolean;
  disabled_at: Timestamp | null;
  current_version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PlanAudiencesTable {
  org_id: string;
  plan_id: string;
  customer_org_id: string;
}

/** Limits and charges are JSON documents whose shapes catalog/catalog.schema.ts defines. */
export interface PlanVersionsTable {
  org_id: string;
  id: string;
  plan_id: string;
  version: number;
  base_price: ColumnType<bigint, bigint, bigint>;
  trial_days: number;
  limits: Json;
  charges: Json;
  /** billing/snapshot.ts FEE_TIMINGS. */
  fee_timing: ColumnType<'advance' | 'arrears', 'advance' | 'arrears' | undefined, 'advance' | 'arrears'>;
  minimum_commitment: ColumnType<bigint, bigint | undefined, bigint>;
  created_by: string;
  created_at: Timestamp;
}

export type GatewayName = 'test' | 'stripe' | 'cashfree';

export interface GatewayRoutesTable {
  org_id: string;
  country: string;
  gateway: GatewayName;
}

export interface BillingCustomersTable {
  org_id: string;
  id: string;
  name: string;
  email: string;
  address_line1: string;
  address_line2: string;
  city: string;
  state: string;
  postal_code: string;
  country: string;
  phone: string;
  tax_id: string;
  currency: string;
  time_zone: string;
  gateway: GatewayName;
  test_clock_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The issuer's own name for the customer, for usage events (unique per issuer). */
  external_id: string | null;
}

export interface PaymentMethodsTable {
  org_id: string;
  id: string;
  customer_id: string;
  gateway: GatewayName;
  gateway_ref: string;
  kind: string;
  brand: string;
  last4: string;
  exp_month: number | null;
  exp_year: number | null;
  is_default: boolean;
  created_at: Timestamp;
}

export interface SubscriptionsTable {
  org_id: string;
  id: string;
  customer_id: string;
  plan_issuer_id: string;
  plan_id: string;
  plan_version_id: string;
  status: SubscriptionStatus;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  created_at: Timestamp;
  billing_mode: 'calendar' | 'anniversary';
  anchor_day: number;
  /** The month anniversary quarters, half-years and years are counted from; null: the start's month. */
  anchor_month: number | null;
  time_zone: string;
  current_period_start: Timestamp;
  current_period_end: Timestamp;
  trial_end: Timestamp | null;
  cancel_at_period_end: boolean;
  cancelled_at: Timestamp | null;
  paused_at: Timestamp | null;
  /** Paused by dunning (not by the customer): paying what is owed resumes it. */
  paused_for_payment: ColumnType<boolean, boolean | undefined, boolean>;
  /** A plan change not applied yet: the plan version it moves to (all pending_* are set, or none). */
  pending_plan_id: ColumnType<string | null, string | null | undefined, string | null>;
  pending_plan_version_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** now: being paid for, claimed by its draft invoice; period_end: waiting for the period to end. */
  pending_change_timing: ColumnType<
    PendingChangeTiming | null,
    PendingChangeTiming | null | undefined,
    PendingChangeTiming | null
  >;
  /** When it takes effect: the change's instant, or the end of the period. */
  pending_change_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Where the new plan's first period ends when the change starts one (another interval); else null. */
  pending_period_end: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The draft invoice that claims a change now. */
  pending_invoice_id: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
}

export type PendingChangeTiming = 'now' | 'period_end';

export type SubscriptionStatus =
  | 'incomplete'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'paused'
  | 'cancelled';

export interface SubscriptionEventsTable {
  org_id: string;
  id: string;
  subscription_id: string;
  kind: string;
  from_status: SubscriptionStatus | null;
  to_status: SubscriptionStatus | null;
  plan_version_id: string | null;
  reason: string;
  occurred_at: Timestamp;
  /** Insertion order: moves at the same instant are listed as they happened. */
  seq: Generated<bigint>;
}

export type DunningFinalStep = 'keep' | 'pause' | 'cancel';

export interface BillingSettingsTable {
  org_id: string;
  invoice_prefix: string;
  next_invoice_number: bigint;
  due_day: number;
  retry_days: number[];
  /** After the last failed retry: keep invoicing, pause renewals until paid, or cancel. */
  dunning_final_step: ColumnType<DunningFinalStep, DunningFinalStep | undefined, DunningFinalStep>;
  issuer_name: string;
  issuer_address: string;
  issuer_email: string;
  /** While a customer's billing is blocked, refuse the features only paid plans grant. */
  refuse_paid_features_when_blocked: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: Timestamp;
}

export interface TaxRatesTable {
  org_id: string;
  country: string;
  region: string;
  name: string;
  percent: string;
  inclusive: boolean;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
export type BillingReason =
  | 'subscription_create'
  | 'subscription_cycle'
  | 'subscription_update'
  | 'usage_in_advance'
  | 'manual';

export interface InvoicesTable {
  org_id: string;
  id: string;
  issuer_id: string;
  customer_id: string;
  subscription_id: string | null;
  number: string | null;
  status: InvoiceStatus;
  billing_reason: BillingReason;
  currency: string;
  period_start: Timestamp;
  period_end: Timestamp;
  /** A cycle invoice's renewal instant: one cycle invoice per renewal. Null for other reasons. */
  cycle_at: Timestamp | null;
  subtotal: bigint;
  tax: bigint;
  total: bigint;
  amount_paid: bigint;
  tax_name: string;
  tax_percent: string;
  tax_inclusive: boolean;
  bill_to: Json<BillTo>;
  due_at: Timestamp | null;
  finalized_at: Timestamp | null;
  paid_at: Timestamp | null;
  voided_at: Timestamp | null;
  auto_charge: boolean;
  attempt_count: number;
  first_failed_at: Timestamp | null;
  next_attempt_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The customer an invoice is addressed to, as it stood at finalization. */
export interface BillTo {
  name: string;
  email: string;
  address_line1: string;
  address_line2: string;
  city: string;
  state: string;
  postal_code: string;
  country: string;
  tax_id: string;
}

export interface InvoiceNumbersTable {
  org_id: string;
  number: string;
  invoice_org_id: string;
  invoice_id: string;
  assigned_at: Timestamp;
}

export type InvoiceLineKind = 'license' | 'proration_credit' | 'proration_charge' | 'usage' | 'adjustment';

export interface InvoiceLinesTable {
  org_id: string;
  id: string;
  invoice_id: string;
  position: number;
  kind: InvoiceLineKind;
  description: string;
  period_start: Timestamp;
  period_end: Timestamp;
  quantity: string;
  unit_amount: string;
  amount: bigint;
  plan_version_id: string | null;
}

export interface CreditNotesTable {
  org_id: string;
  id: string;
  invoice_id: string;
  amount: bigint;
  currency: string;
  reason: string;
  created_at: Timestamp;
}

export interface StatementsTable {
  org_id: string;
  id: string;
  subscription_id: string;
  currency: string;
  month: string;
  period_start: Timestamp;
  period_end: Timestamp;
  status: 'open' | 'closed';
  opening_balance: bigint | null;
  credits: bigint | null;
  license_charges: bigint | null;
  usage_charges: bigint | null;
  other_charges: bigint | null;
  closing_balance: bigint | null;
  closed_at: Timestamp | null;
}

export type LedgerEntryKind = 'license' | 'usage' | 'tax' | 'payment' | 'credit' | 'refund' | 'adjustment';

export interface LedgerEntriesTable {
  org_id: string;
  id: string;
  subscription_id: string;
  statement_id: string;
  kind: LedgerEntryKind;
  amount: bigint;
  currency: string;
  description: string;
  effective_at: Timestamp;
  late: boolean;
  invoice_id: string | null;
  payment_id: string | null;
  refund_id: string | null;
  source_key: string;
  posted_at: Timestamp;
  seq: Generated<bigint>;
}

export interface WebhookEndpointsTable {
  org_id: string;
  id: string;
  url: string;
  description: string;
  secret: string;
  events: string[];
  status: 'enabled' | 'disabled';
  created_at: Timestamp;
}

export interface EventsTable {
  org_id: string;
  id: string;
  type: string;
  data: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  org_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  response_status: number | null;
  error: string | null;
  last_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
  created_at: Timestamp;
}

export interface TestClocksTable {
  org_id: string;
  id: string;
  name: string;
  frozen_time: Timestamp;
  created_at: Timestamp;
}

export interface GatewayCustomersTable {
  org_id: string;
  gateway: GatewayName;
  customer_id: string;
  gateway_customer_ref: string;
  created_at: Timestamp;
}

export interface CheckoutSessionsTable {
  org_id: string;
  id: string;
  customer_id: string;
  gateway: GatewayName;
  gateway_session_ref: string | null;
  mode: 'payment' | 'setup';
  plan_issuer_id: string | null;
  plan_id: string | null;
  plan_version_id: string | null;
  amount: ColumnType<bigint, bigint, bigint>;
  currency: string;
  status: 'open' | 'complete' | 'expired';
  url: string | null;
  expires_at: Timestamp;
  completed_at: Timestamp | null;
  payment_id: string | null;
  created_by: string;
  billing_mode: Generated<'calendar' | 'anniversary'>;
  /** The billing day chosen at checkout; null: the billing mode's default. */
  billing_day: Generated<number | null>;
  additional: Generated<boolean>;
  /** Minor units of the first invoice paid from the credit balance, taken when the checkout opened. */
  credit_applied: ColumnType<bigint, bigint | undefined, bigint>;
  created_at: Timestamp;
}

export type PaymentStatus = 'succeeded' | 'failed' | 'requires_action' | 'processing';

export interface PaymentsTable {
  org_id: string;
  id: string;
  customer_id: string;
  gateway: GatewayName;
  gateway_payment_ref: string;
  amount: ColumnType<bigint, bigint, bigint>;
  currency: string;
  status: PaymentStatus;
  failure_code: string | null;
  failure_message: string | null;
  checkout_session_id: string | null;
  invoice_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The share of a payment that settles several invoices which is one invoice's. */
export interface PaymentAllocationsTable {
  org_id: string;
  payment_id: string;
  invoice_id: string;
  amount: ColumnType<bigint, bigint, bigint>;
  /** The invoice's attempt count when it was charged: a failure is recorded for that attempt once. */
  attempt: number;
}

export type PaymentLinkStatus = 'active' | 'paid' | 'cancelled' | 'expired';

export interface PaymentLinksTable {
  org_id: string;
  id: string;
  customer_id: string;
  gateway: GatewayName;
  gateway_link_ref: string;
  plan_issuer_id: string | null;
  plan_id: string | null;
  plan_version_id: string | null;
  invoice_id: string | null;
  amount: ColumnType<bigint, bigint, bigint>;
  currency: string;
  description: string;
  status: PaymentLinkStatus;
  url: string;
  expires_at: Timestamp;
  paid_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  payment_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface RefundsTable {
  org_id: string;
  id: string;
  payment_id: string;
  gateway: GatewayName;
  gateway_refund_ref: string;
  amount: ColumnType<bigint, bigint, bigint>;
  currency: string;
  reason: string;
  status: 'succeeded' | 'pending' | 'failed';
  created_by: string;
  created_at: Timestamp;
}

/** One change to a customer's credit balance: positive credits it, negative spends it. */
export interface CustomerBalanceTransactionsTable {
  org_id: string;
  id: string;
  customer_id: string;
  amount: ColumnType<bigint, bigint, bigint>;
  currency: string;
  /** What it credits or spends for, unique per organization: the same source never counts twice. */
  source_key: string;
  description: string;
  created_at: Timestamp;
  /** Insertion order, for transactions made at the same instant. */
  seq: Generated<bigint>;
}

/** A payment for a plan that arrived when another paid plan was in force: owed back in full. */
export interface ConflictingPaymentsTable {
  org_id: string;
  payment_id: string;
  source: 'checkout' | 'payment_link' | 'plan_change';
  source_id: string;
  subscription_id: string;
  plan_name: string;
  amount: ColumnType<bigint, bigint, bigint>;
  currency: string;
  refund_id: string | null;
  created_at: Timestamp;
  refunded_at: Timestamp | null;
}

export interface TestGatewayObjectsTable {
  id: string;
  kind:
    | 'account'
    | 'customer'
    | 'checkout_session'
    | 'payment_link'
    | 'payment'
    | 'payment_method'
    | 'refund'
    | 'event';
  idempotency_key: string | null;
  data: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GatewayEventsTable {
  gateway: GatewayName;
  event_id: string;
  type: string;
  org_id: string | null;
  payload: Json;
  received_at: Timestamp;
  /** Set by the delivery whose handler runs; a claim older than the lease may be taken over. */
  claimed_at: Timestamp | null;
  processed_at: Timestamp | null;
}

/** Numbers the database sums exactly (`numeric`), read and written as decimal strings. */
type Decimal = ColumnType<string, string | number | bigint, string | number | bigint>;

/** (issuer, event id) of every usage event received in the last 40 days: deduplication. */
export interface UsageEventIdsTable {
  org_id: string;
  event_id: string;
  received_at: Timestamp;
}

/** A usage event as received: append-only, partitioned by the month it occurred in. */
export interface UsageEventsTable {
  /** The customer's organization. */
  org_id: string;
  issuer_id: string;
  event_id: string;
  /** The metric's code. */
  code: string;
  occurred_at: Timestamp;
  properties: Json<Record<string, unknown>>;
  received_at: Timestamp;
}

/** A batch's (or, merged, an hour's) contribution to one metric and group of one customer. */
export interface UsageRollupsTable {
  org_id: string;
  metric: string;
  /** The start of the hour in the customer's time zone. */
  hour: Timestamp;
  /** The values of the metric's dimensions, e.g. {"region": "us-east"}; {} without dimensions. */
  group_values: Json<Record<string, string>>;
  events: ColumnType<bigint, bigint | number, bigint | number>;
  total: Decimal;
  greatest: Decimal | null;
  latest_at: Timestamp | null;
  latest: Decimal | null;
  merged: ColumnType<boolean, boolean | undefined, boolean>;
  /** Tells apart the deltas of one hour and group. */
  seq: ColumnType<bigint, never, never>;
}

export interface UsageUniqueValuesTable {
  org_id: string;
  metric: string;
  hour: Timestamp;
  group_values: Json<Record<string, string>>;
  value: string;
}

/** Units of a feature an organization holds now (consumed minus released). */
export interface EntitlementCountersTable {
  org_id: string;
  feature: string;
  used: ColumnType<bigint, bigint | number, bigint | number>;
  updated_at: Timestamp;
}

/** What a subscription was billed for one charge's usage in one period, per group of its dimensions. */
export interface BilledUsageGroup {
  dimensions: Record<string, string>;
  /** A decimal string. */
  quantity: string;
  /** Minor units, as a string (JSON has no bigint). */
  amount: string;
}

export interface UsageBilledTable {
  org_id: string;
  subscription_id: string;
  /** When the subscription began to be billed in the period (its start, or later for a first one). */
  period_start: Timestamp;
  metric: string;
  period_end: Timestamp;
  /** The plan and version the period was billed on. */
  plan_id: string;
  plan_version_id: string;
  pay_in_advance: boolean;
  groups: Json<BilledUsageGroup[]>;
  updated_at: Timestamp;
}

/** A hint that a subscription has usage to bill now (`advance`) or to adjust at its next invoice (`late`). */
export interface UsageBillingDueTable {
  org_id: string;
  subscription_id: string;
  kind: 'advance' | 'late';
  since: Timestamp;
  seq: ColumnType<bigint, never, never>;
}

/** A threshold a customer set on a subscription: units of a metric, or of the upcoming invoice. */
export interface UsageAlertsTable {
  org_id: string;
  id: string;
  subscription_id: string;
  /** The metric (or feature) code; null: the upcoming invoice's amount, in minor units. */
  metric: string | null;
  threshold: ColumnType<bigint, bigint | number, bigint | number>;
  created_at: Timestamp;
}

/** An organization whose usage changed, waiting for its thresholds to be evaluated. */
export interface UsageAlertChecksTable {
  org_id: string;
  seq: ColumnType<bigint, never, never>;
  noted_at: Timestamp;
}

/** A threshold reached in a period (once), and when usage went back below it. */
export interface UsageThresholdCrossingsTable {
  org_id: string;
  id: string;
  /** Which threshold: the same key in the same period is the same crossing. */
  threshold_key: string;
  period_start: Timestamp;
  period_end: Timestamp;
  subscription_id: string | null;
  /** The customer's alert; null for the plan's 80% and 100% of a limit. */
  alert_id: string | null;
  /** null: the upcoming invoice's amount. */
  metric: string | null;
  /** The share of the limit, for the plan's thresholds. */
  percent: number | null;
  threshold: ColumnType<bigint, bigint | number, bigint | number>;
  currency: string | null;
  reached_value: ColumnType<bigint, bigint | number, bigint | number>;
  reached_at: Timestamp;
  resolved_value: ColumnType<bigint | null, bigint | number | null, bigint | number | null>;
  resolved_at: Timestamp | null;
}

/**
 * Per organization, a random value replaced whenever what decides its entitlements changes (its
 * subscriptions; an issuer's plans, metrics, settings): cached terms hold while their stamps do.
 */
export interface EntitlementStampsTable {
  org_id: string;
  stamp: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
  job_effects: JobEffectsTable;
  features: FeaturesTable;
  metrics: MetricsTable;
  plans: PlansTable;
  plan_audiences: PlanAudiencesTable;
  plan_versions: PlanVersionsTable;
  gateway_routes: GatewayRoutesTable;
  billing_customers: BillingCustomersTable;
  payment_methods: PaymentMethodsTable;
  subscriptions: SubscriptionsTable;
  gateway_customers: GatewayCustomersTable;
  checkout_sessions: CheckoutSessionsTable;
  payments: PaymentsTable;
  payment_allocations: PaymentAllocationsTable;
  test_gateway_objects: TestGatewayObjectsTable;
  gateway_events: GatewayEventsTable;
  payment_links: PaymentLinksTable;
  refunds: RefundsTable;
  customer_balance_transactions: CustomerBalanceTransactionsTable;
  conflicting_payments: ConflictingPaymentsTable;
  subscription_events: SubscriptionEventsTable;
  billing_settings: BillingSettingsTable;
  tax_rates: TaxRatesTable;
  invoices: InvoicesTable;
  invoice_numbers: InvoiceNumbersTable;
  invoice_lines: InvoiceLinesTable;
  credit_notes: CreditNotesTable;
  statements: StatementsTable;
  ledger_entries: LedgerEntriesTable;
  test_clocks: TestClocksTable;
  webhook_endpoints: WebhookEndpointsTable;
  events: EventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  usage_event_ids: UsageEventIdsTable;
  usage_events: UsageEventsTable;
  usage_rollups: UsageRollupsTable;
  usage_unique_values: UsageUniqueValuesTable;
  entitlement_counters: EntitlementCountersTable;
  usage_billed: UsageBilledTable;
  usage_billing_due: UsageBillingDueTable;
  usage_alerts: UsageAlertsTable;
  usage_alert_checks: UsageAlertChecksTable;
  usage_threshold_crossings: UsageThresholdCrossingsTable;
  entitlement_stamps: EntitlementStampsTable;
}

export type UserRow = Selectable<UsersTable>;
export type CustomerBalanceTransactionRow = Selectable<CustomerBalanceTransactionsTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
export type FeatureRow = Selectable<FeaturesTable>;
export type MetricRow = Selectable<MetricsTable>;
export type PlanRow = Selectable<PlansTable>;
export type PlanVersionRow = Selectable<PlanVersionsTable>;
export type BillingCustomerRow = Selectable<BillingCustomersTable>;
export type PaymentMethodRow = Selectable<PaymentMethodsTable>;
export type SubscriptionRow = Selectable<SubscriptionsTable>;
export type CheckoutSessionRow = Selectable<CheckoutSessionsTable>;
export type PaymentRow = Selectable<PaymentsTable>;
export type PaymentAllocationRow = Selectable<PaymentAllocationsTable>;
export type PaymentLinkRow = Selectable<PaymentLinksTable>;
export type RefundRow = Selectable<RefundsTable>;
export type ConflictingPaymentRow = Selectable<ConflictingPaymentsTable>;
export type SubscriptionEventRow = Selectable<SubscriptionEventsTable>;
export type BillingSettingsRow = Selectable<BillingSettingsTable>;
export type TaxRateRow = Selectable<TaxRatesTable>;
export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type CreditNoteRow = Selectable<CreditNotesTable>;
export type StatementRow = Selectable<StatementsTable>;
export type LedgerEntryRow = Selectable<LedgerEntriesTable>;
export type TestClockRow = Selectable<TestClocksTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type EventRow = Selectable<EventsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type UsageAlertRow = Selectable<UsageAlertsTable>;
export type UsageThresholdCrossingRow = Selectable<UsageThresholdCrossingsTable>;
