import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Ctx } from '../context.js';
import type { BillingCustomerRow, Database, MetricRow } from '../db/schema.js';
import { LIVE_STATUSES } from '../subscriptions/index.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import { type UsageEventInput, usageEventBody } from './metering.schema.js';

/**
 * Usage events in (C21). A batch is checked event by event (a bad event is reported by its index,
 * the others go in), then written in ONE statement: the ids claimed in the deduplication table
 * (`ON CONFLICT DO NOTHING RETURNING`: what comes back is new), the raw events, the batch's rollup
 * deltas per customer, metric, local hour and group, and the distinct values of unique counts. The
 * statement is its own transaction and commits before the answer: an acknowledged event is durable,
 * and an event and its counts are written together or not at all.
 *
 * Rollups are appended, never updated in place: concurrent batches touching the same customer and
 * hour would otherwise queue on the same rows (DESIGN.md, Metering). `mergeRollups` folds them later.
 */

export interface EventError {
  index: number;
  event_id: string | null;
  code: string;
  message: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: { index: number; event_id: string }[];
  errors: EventError[];
  /** The organizations whose usage the batch changed: their thresholds are evaluated after commit. */
  customersCounted: string[];
}

/** An event this batch counted (not a duplicate): what billing looks at once the batch is written. */
export interface CountedEvent {
  orgId: string;
  code: string;
  occurredAt: string;
}

/** A valid event, ready to write: the customer resolved, its value and group read from its properties. */
interface ReadyEvent {
  index: number;
  eventId: string;
  orgId: string;
  timeZone: string;
  code: string;
  occurredAt: string;
  properties: string;
  /** What it adds: 1 for a count, the property's number otherwise. */
  value: string;
  /** The property's value, for unique counts. */
  uniqueValue: string | null;
  groupValues: string;
}

/** A customer as events name it: its organization id or the issuer's external id for it. */
export interface EventCustomer {
  orgId: string;
  timeZone: string;
}

/** Events checked between two turns of the event loop given to other requests. */
const YIELD_EVERY = 200;

const NUMBER = /^-?\d{1,18}(\.\d{1,12})?$/;

/** A property's number as an exact decimal string, or undefined when it is not one. */
function decimalOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // JSON numbers arrive as doubles; their shortest decimal form is what the sender wrote.
    const text = String(value);
    return NUMBER.test(text) ? text : undefined;
  }
  if (typeof value === 'string' && NUMBER.test(value.trim())) return value.trim();
  return undefined;
}

/**
 * The customers events name (organization ids or external ids), resolved in one query: across
 * organizations on purpose, since an issuer's events are about its customers (today the platform
 * issues to every organization).
 */
export async function resolveCustomers(
  ctx: Ctx,
  names: readonly string[],
): Promise<Map<string, EventCustomer>> {
  const unique = [...new Set(names)];
  const found = new Map<string, EventCustomer>();
  if (unique.length === 0) return found;
  const rows = await ctx.db
    .selectFrom('billing_customers')
    .select(['org_id', 'external_id', 'time_zone'])
    .where(named(unique))
    .execute();
  for (const row of rows) {
    const customer = { orgId: row.org_id, timeZone: row.time_zone };
    found.set(row.org_id, customer);
    if (row.external_id) found.set(row.external_id, customer);
  }
  return found;
}

/** The customer `name` names, whole: the organization of that id, else the one of that external id. */
export async function findNamedCustomer(ctx: Ctx, name: string): Promise<BillingCustomerRow | undefined> {
  return ctx.db
    .selectFrom('billing_customers')
    .selectAll()
    .where(named([name]))
    .orderBy(sql`org_id = ${name}`, 'desc')
    .executeTakeFirst();
}

const named = (names: readonly string[]) => (eb: ExpressionBuilder<Database, 'billing_customers'>) =>
  eb.or([eb('org_id', 'in', names), eb('external_id', 'in', names)]);

/** Checks one event against its metric; the error, or the event ready to write. */
function prepare(
  index: number,
  raw: unknown,
  metrics: ReadonlyMap<string, MetricRow>,
  customers: ReadonlyMap<string, EventCustomer>,
  now: Date,
): ReadyEvent | EventError {
  const parsed = usageEventBody.safeParse(raw);
  const eventId =
    raw !== null && typeof raw === 'object' && typeof (raw as { event_id?: unknown }).event_id === 'string'
      ? ((raw as { event_id: string }).event_id as string)
      : null;
  const fail = (code: string, message: string): EventError => ({ index, event_id: eventId, code, message });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail('event.invalid', `${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}`);
  }
  const event: UsageEventInput = parsed.data;
  const metric = metrics.get(event.code);
  if (!metric) return fail('metric.not_found', `No metric has the code ${event.code}`);
  const customer = customers.get(event.customer);
  if (!customer) return fail('customer.not_found', `No customer is called ${event.customer}`);
  const properties = event.properties ?? {};
  let value = '1';
  let uniqueValue: string | null = null;
  if (metric.aggregation === 'unique_count') {
    const seen = metric.property ? properties[metric.property] : undefined;
    if (seen === undefined || seen === null || seen === '') {
      return fail('event.property_missing', `The ${metric.code} metric counts distinct ${metric.property}`);
    }
    uniqueValue = String(seen);
  } else if (metric.aggregation !== 'count') {
    const number = metric.property ? decimalOf(properties[metric.property]) : undefined;
    if (number === undefined) {
      return fail(
        'event.property_not_number',
        `The ${metric.code} metric reads a number from ${metric.property}`,
      );
    }
    value = number;
  }
  const groups: Record<string, string> = {};
  for (const dimension of metric.dimensions) {
    const of = properties[dimension];
    groups[dimension] = of === undefined || of === null ? '' : String(of);
  }
  const occurredAt = event.timestamp ? new Date(event.timestamp) : now;
  return {
    index,
    eventId: event.event_id,
    orgId: customer.orgId,
    timeZone: customer.timeZone,
    code: metric.code,
    occurredAt: occurredAt.toISOString(),
    properties: JSON.stringify(properties),
    value,
    uniqueValue,
    groupValues: JSON.stringify(groups),
  };
}

/**
 * Takes a batch of events sent by the issuer of `ctx`: each checked, the valid ones written once.
 * The customers and metrics the batch names are read together, before the one write.
 */
export async function ingestEvents(
  ctx: TenantCtx,
  events: readonly unknown[],
): Promise<IngestResult & { counted: CountedEvent[] }> {
  const now = toDate(ctx.clock.now());
  const field = (name: 'customer' | 'code') =>
    events.flatMap((raw) => {
      const value =
        raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[name] : undefined;
      return typeof value === 'string' ? [value] : [];
    });
  const [customers, metrics] = await Promise.all([
    resolveCustomers(ctx, field('customer')),
    metricsByCode(ctx, field('code')),
  ]);
  const errors: EventError[] = [];
  const duplicates: { index: number; event_id: string }[] = [];
  const ready: ReadyEvent[] = [];
  const inBatch = new Set<string>();
  for (const [index, raw] of events.entries()) {
    // A thousand events take milliseconds to check: let other requests (entitlement checks, which
    // answer within milliseconds) in between slices of them.
    if (index > 0 && index % YIELD_EVERY === 0) await yieldToOthers();
    const prepared = prepare(index, raw, metrics, customers, now);
    if ('code' in prepared && 'message' in prepared) {
      errors.push(prepared);
    } else if (inBatch.has(prepared.eventId)) {
      // Sent twice in one batch: the first counts.
      duplicates.push({ index, event_id: prepared.eventId });
    } else {
      inBatch.add(prepared.eventId);
      ready.push(prepared);
    }
  }
  if (ready.length === 0) return { accepted: 0, duplicates, errors, customersCounted: [], counted: [] };
  const column = <T>(pick: (event: ReadyEvent) => T) => ready.map(pick);
  // One statement: each CTE sees the ids this statement claimed, so the events, their rollups and
  // unique values are written for new events only.
  const { rows } = await sql<{ event_id: string }>`
    with input as (
      select * from unnest(${column((e) => e.eventId)}::text[], ${column((e) => e.orgId)}::text[],
        ${column((e) => e.timeZone)}::text[], ${column((e) => e.code)}::text[],
        ${column((e) => e.occurredAt)}::timestamptz[], ${column((e) => e.properties)}::jsonb[],
        ${column((e) => e.value)}::numeric[], ${column((e) => e.uniqueValue)}::text[],
        ${column((e) => e.groupValues)}::jsonb[])
        as e(event_id, org_id, time_zone, code, occurred_at, properties, value, unique_value, group_values)
    ),
    fresh as (
      insert into usage_event_ids (org_id, event_id, received_at)
      select ${ctx.tenant.orgId}, event_id, ${now} from input
      on conflict do nothing
      returning event_id
    ),
    accepted as (
      select input.*, date_trunc('hour', input.occurred_at at time zone input.time_zone)
        at time zone input.time_zone as hour
      from input join fresh using (event_id)
    ),
    raw as (
      insert into usage_events (org_id, issuer_id, event_id, code, occurred_at, properties, received_at)
      select org_id, ${ctx.tenant.orgId}, event_id, code, occurred_at, properties, ${now} from accepted
      -- Only an event resent after its id was forgotten (40 days) can be here already.
      on conflict do nothing
    ),
    rollup as (
      insert into usage_rollups (org_id, metric, hour, group_values, events, total, greatest, latest_at, latest)
      select org_id, code, hour, group_values, count(*), sum(value), max(value), max(occurred_at),
        (array_agg(value order by occurred_at desc, event_id desc))[1]
      from accepted group by org_id, code, hour, group_values
    ),
    uniques as (
      insert into usage_unique_values (org_id, metric, hour, group_values, value)
      select distinct org_id, code, hour, group_values, unique_value from accepted
      where unique_value is not null
      on conflict do nothing
    ),
    -- The customers whose thresholds are to be evaluated once this commits (alerts.ts): those with a
    -- threshold this usage can move (an alert of theirs on the metric or the upcoming invoice, or a
    -- limit on the metric's code in their live plan, or in the default plan without one). Others are
    -- not looked at: a batch of a thousand customers must not cost a thousand evaluations. Written as
    -- joins of sets rather than a test per customer, so it costs a few hash joins whatever the batch.
    touched as (select distinct org_id, code from accepted),
    live as (
      select s.org_id, s.plan_issuer_id, s.plan_version_id from subscriptions s
      where s.org_id in (select org_id from touched) and s.status in (${sql.join(LIVE_STATUSES)})
    ),
    -- Per plan version, not per subscription: many customers share one version, and a join keyed
    -- on it would find them all in one bucket of its hash table, a quadratic walk.
    limited as materialized (
      select v.org_id as issuer_id, v.id as version_id, l.feature
      from (select distinct plan_issuer_id, plan_version_id from live) version
      join plan_versions v on v.org_id = version.plan_issuer_id and v.id = version.plan_version_id
      cross join lateral jsonb_to_recordset(v.limits) as l(feature text)
    ),
    limited_by_default as (
      select l.feature from plans p
      join plan_versions v on v.org_id = p.org_id and v.plan_id = p.id and v.version = p.current_version
      cross join lateral jsonb_to_recordset(v.limits) as l(feature text)
      where p.org_id = ${ctx.tenant.orgId} and p.is_default
    ),
    watched as (
      select t.org_id from touched t
      join usage_alerts a on a.org_id = t.org_id and (a.metric is null or a.metric = t.code)
      union
      select t.org_id from touched t
      join live s on s.org_id = t.org_id
      join limited l on l.issuer_id = s.plan_issuer_id and l.version_id = s.plan_version_id and l.feature = t.code
      union
      select t.org_id from touched t
      join limited_by_default d on d.feature = t.code
      where t.org_id not in (select org_id from live)
    ),
    checks as (insert into usage_alert_checks (org_id, noted_at) select org_id, ${now}::timestamptz from watched)
    select event_id from fresh`.execute(ctx.db);
  const fresh = new Set(rows.map((row) => row.event_id));
  const counted: CountedEvent[] = [];
  for (const event of ready) {
    if (!fresh.has(event.eventId)) duplicates.push({ index: event.index, event_id: event.eventId });
    else counted.push({ orgId: event.orgId, code: event.code, occurredAt: event.occurredAt });
  }
  duplicates.sort((a, b) => a.index - b.index);
  const customersCounted = [...new Set(counted.map((event) => event.orgId))];
  return { accepted: fresh.size, duplicates, errors, customersCounted, counted };
}

/** The issuer's metrics by code: all of them, or those of `codes`. */
export async function metricsByCode(
  ctx: TenantCtx,
  codes?: readonly string[],
): Promise<Map<string, MetricRow>> {
  if (codes?.length === 0) return new Map();
  const rows = await scoped(ctx, 'issuer')
    .selectFrom('metrics')
    .selectAll()
    .$if(codes !== undefined, (q) => q.where('code', 'in', [...new Set(codes)]))
    .execute();
  return new Map(rows.map((row) => [row.code, row]));
}
