import { type RawBuilder, sql } from 'kysely';
import { addQuantities, type UsageTotal } from '../billing/index.js';
import type { Ctx } from '../context.js';
import type { MetricRow } from '../db/schema.js';
import { fromDate } from '../time/index.js';

/**
 * Usage read back (C23): a period's totals per metric and group, and series for charts, from the
 * rollups the ingest appends (base rows merged by `mergeRollups` plus the newest deltas), never from
 * raw events. Two aggregations need more than a sum: unique_count reads the distinct values kept
 * per hour, and time_weighted_sum (machine hours from readings) integrates each reading over the
 * time it held, which needs the readings themselves (usage_events, by its (org_id, code, time) index).
 * A recurring metric (seats) holds its level across periods: its total carries what the rollups
 * before the span add up to, and says when the level changed within it, for billing by the day.
 */

export interface Span {
  from: Date;
  to: Date;
}

/**
 * A value a query reads, or an SQL expression giving it: a statement over many customers at once
 * (the alerts' evaluation) passes each customer's row's columns where one customer's query passes
 * values.
 */
export type Operand<T> = T | RawBuilder<T>;

/** A span whose bounds may be SQL expressions (see `Operand`). */
export interface SpanOperand {
  from: Operand<Date>;
  to: Operand<Date>;
  /** Now, for a span given as SQL (a column of each row): where a time-weighted sum stops. */
  now?: RawBuilder<Date>;
}

/** Which metric, split by which of its dimensions (a charge's, or none for one total). */
export interface TotalsRequest {
  metric: MetricRow;
  groupBy: readonly string[];
  /** With each event's value as well (a percentage charge prices each transaction). */
  events?: boolean;
}

/**
 * The hours a span counts: those that END within it. Rollups are kept by whole (local) hour, and a
 * span may start or end inside one (a subscription begun at 10:20): its hour belongs to the span
 * that holds the hour's end, so consecutive spans never count an hour twice, and usage right after
 * a mid-hour start is in the new period (the part of that hour before the start with it).
 */
function hoursOf(span: SpanOperand): RawBuilder<boolean> {
  return sql<boolean>`hour > ${span.from}::timestamptz - interval '1 hour' and hour <= ${span.to}::timestamptz - interval '1 hour'`;
}

/** The hours up to a span's end, however long before its start: what a recurring metric's level adds up. */
function hoursUpTo(span: SpanOperand): RawBuilder<boolean> {
  return sql<boolean>`hour <= ${span.to}::timestamptz - interval '1 hour'`;
}

/** The SQL of one group's values as a JSON object of the requested dimensions. */
function groupExpression(groupBy: readonly string[], column: RawBuilder<unknown>): RawBuilder<unknown> {
  if (groupBy.length === 0) return sql`'{}'::jsonb`;
  return sql`jsonb_build_object(${sql.join(groupBy.map((key) => sql`${key}::text, coalesce(${column}->>${key}, '')`))})`;
}

/** How one aggregation combines rollup rows (of one bucket or of a whole period). */
function rollupValue(metric: MetricRow): RawBuilder<string> {
  switch (metric.aggregation) {
    case 'count':
      return sql<string>`sum(events)::text`;
    case 'sum':
      return sql<string>`sum(total)::text`;
    case 'max':
      return sql<string>`max(greatest)::text`;
    case 'latest':
      return sql<string>`((array_agg(latest order by latest_at desc))[1])::text`;
    default:
      throw new Error(`${metric.aggregation} is not read from rollups`);
  }
}

/**
 * The totals of `requests` for one customer over `span`, each split by its dimensions: what the
 * billing core prices (a metric's totals for a charge's rate card) and what limits compare with.
 * A metric with no usage in the span has no total.
 */
export async function periodTotals(
  ctx: Ctx,
  orgId: string,
  requests: readonly TotalsRequest[],
  span: Span,
): Promise<UsageTotal[]> {
  const totals: UsageTotal[] = [];
  for (const { metric, groupBy, events } of requests) {
    if (metric.recurring) {
      totals.push(...(await heldLevels(ctx, orgId, metric, groupBy, span)));
      continue;
    }
    if (events) {
      totals.push(...(await eventValues(ctx, orgId, metric, groupBy, span)));
      continue;
    }
    const rows = await groupsOf(ctx, orgId, metric, groupBy, span);
    for (const row of rows) {
      if (row.value === null) continue;
      totals.push({ metric: metric.code, dimensions: row.groups, quantity: row.value });
    }
  }
  return totals;
}

/**
 * A sum with each event's value, from the raw events. The rollups keep an hour's sum, but a
 * percentage's minimum and maximum apply to each transaction, so its charge needs them one by one;
 * only such a charge asks, at a period's close or its preview, and reads one customer's events of
 * one metric in the span (the (org_id, code, occurred_at) key). Events count by their own time in
 * [from, to), and the total is their sum, so the two always agree.
 */
async function eventValues(
  ctx: Ctx,
  orgId: string,
  metric: MetricRow,
  groupBy: readonly string[],
  span: Span,
): Promise<UsageTotal[]> {
  const groups = groupExpression(groupBy, sql`properties`);
  const { rows } = await sql<{ groups: Record<string, string>; quantity: string; events: string[] }>`
    select ${groups} as groups, sum(value)::text as quantity,
      array_agg(value::text order by occurred_at, event_id) as events
    from (
      select properties, (properties->>${metric.property ?? ''})::numeric as value, occurred_at, event_id
      from usage_events
      where org_id = ${orgId} and code = ${metric.code} and occurred_at >= ${span.from} and occurred_at < ${span.to}
    ) transactions
    group by 1`.execute(ctx.db);
  return rows.map((row) => ({
    metric: metric.code,
    dimensions: row.groups,
    quantity: row.quantity,
    events: row.events,
  }));
}

/**
 * A recurring metric's level per group: what it held when the span began (every rollup before it:
 * the sum of all changes, or the latest reading), then its level after each hour that changed it.
 * A group that held nothing and did not change has no total.
 */
async function heldLevels(
  ctx: Ctx,
  orgId: string,
  metric: MetricRow,
  groupBy: readonly string[],
  span: Span,
): Promise<UsageTotal[]> {
  const groups = groupExpression(groupBy, sql`group_values`);
  // Hours are counted as hoursOf counts them: one ending at or before the span's start is before it.
  const { rows } = await sql<{ groups: Record<string, string>; hour: Date | null; value: string }>`
    select ${groups} as groups,
      case when hour > ${span.from}::timestamptz - interval '1 hour' then hour end as hour,
      ${rollupValue(metric)} as value
    from usage_rollups
    where org_id = ${orgId} and metric = ${metric.code} and ${hoursUpTo(span)}
    group by 1, 2 order by 2 nulls first`.execute(ctx.db);
  const totals = new Map<
    string,
    { dimensions: Record<string, string>; opening: string; changes: { at: Date; level: string }[] }
  >();
  for (const row of rows) {
    const key = JSON.stringify(row.groups);
    const group = totals.get(key) ?? { dimensions: row.groups, opening: '0', changes: [] };
    totals.set(key, group);
    if (row.hour === null) {
      group.opening = row.value;
      continue;
    }
    const before = group.changes.at(-1)?.level ?? group.opening;
    // A sum's rollups are changes (+5, −2); a latest value's are levels.
    group.changes.push({
      at: row.hour,
      level: metric.aggregation === 'sum' ? addQuantities(before, row.value) : row.value,
    });
  }
  return [...totals.values()].flatMap(({ dimensions, opening, changes }) => {
    const level = changes.at(-1)?.level ?? opening;
    if (changes.length === 0 && addQuantities(opening, '0') === '0') return [];
    return [
      {
        metric: metric.code,
        dimensions,
        quantity: level,
        held: { opening, changes: changes.map((c) => ({ at: fromDate(c.at), level: c.level })) },
      },
    ];
  });
}

async function groupsOf(
  ctx: Ctx,
  orgId: string,
  metric: MetricRow,
  groupBy: readonly string[],
  span: Span,
): Promise<{ groups: Record<string, string>; value: string | null }[]> {
  const { rows } = await groupsQuery(ctx, orgId, metric, groupBy, span).execute(ctx.db);
  return rows;
}

/**
 * A metric's whole total over `span` as a scalar subquery (null without usage), for a statement that
 * reads it with other things at once (an entitlement check reads it with the units consumed). A
 * recurring metric's is its level at the span's end, as `heldLevels` reads it.
 */
export function periodTotalExpression(
  ctx: Ctx,
  orgId: Operand<string>,
  metric: MetricRow,
  span: SpanOperand,
): RawBuilder<string | null> {
  if (metric.recurring) {
    return sql<string | null>`(select ${rollupValue(metric)} from usage_rollups
      where org_id = ${orgId} and metric = ${metric.code} and ${hoursUpTo(span)})`;
  }
  return sql<string | null>`(select value from (${groupsQuery(ctx, orgId, metric, [], span)}) as whole)`;
}

function groupsQuery(
  ctx: Ctx,
  orgId: Operand<string>,
  metric: MetricRow,
  groupBy: readonly string[],
  span: SpanOperand,
): RawBuilder<{ groups: Record<string, string>; value: string | null }> {
  if (metric.aggregation === 'unique_count') {
    const groups = groupExpression(groupBy, sql`group_values`);
    return sql`
      select ${groups} as groups, count(distinct value)::text as value from usage_unique_values
      where org_id = ${orgId} and metric = ${metric.code} and ${hoursOf(span)}
      group by 1`;
  }
  if (metric.aggregation === 'time_weighted_sum') return timeWeightedQuery(ctx, orgId, metric, groupBy, span);
  const groups = groupExpression(groupBy, sql`group_values`);
  return sql`
    select ${groups} as groups, ${rollupValue(metric)} as value from usage_rollups
    where org_id = ${orgId} and metric = ${metric.code} and ${hoursOf(span)}
    group by 1`;
}

/** Readings before the span that may still hold at its start: at most this far back. */
const CARRY_DAYS = 35;

/**
 * Σ value × hours it held: each reading holds until the next one of its group (or the end of the
 * span, or now, whichever is first), clipped to the span; the last reading before the span carries in.
 */
function timeWeightedQuery(
  ctx: Ctx,
  orgId: Operand<string>,
  metric: MetricRow,
  groupBy: readonly string[],
  span: SpanOperand,
): RawBuilder<{ groups: Record<string, string>; value: string | null }> {
  const now = ctx.clock.now().epochMilliseconds;
  let end: Operand<Date>;
  let carryFrom: Operand<Date>;
  if (span.from instanceof Date && span.to instanceof Date) {
    end = new Date(Math.min(span.to.getTime(), now));
    // Nothing before the span's start holds within it: a query that returns no row.
    if (end <= span.from) return sql`select '{}'::jsonb as groups, null::text as value where false`;
    carryFrom = new Date(span.from.getTime() - CARRY_DAYS * 86_400_000);
  } else {
    // The same bounds computed by the statement; a span ended before it began selects no reading.
    end = sql<Date>`least(${span.to}::timestamptz, ${span.now ?? new Date(now)}::timestamptz)`;
    carryFrom = sql<Date>`${span.from}::timestamptz - ${CARRY_DAYS} * interval '1 day'`;
  }
  const groups = groupExpression(groupBy, sql`properties`);
  // Each combination of the metric's dimensions is a series of its own (a pool of machines): a
  // reading holds until the next reading of the same series, whatever is asked to be grouped.
  const series = groupExpression(metric.dimensions, sql`properties`);
  return sql`
    select groups, round(sum(value * extract(epoch from (least(coalesce(next_at, ${end}), ${end})
        - greatest(occurred_at, ${span.from}))) / 3600), 12)::text as value
    from (
      select ${groups} as groups, (properties->>${metric.property ?? ''})::numeric as value, occurred_at,
        lead(occurred_at) over (partition by ${series} order by occurred_at, event_id) as next_at
      from usage_events
      where org_id = ${orgId} and code = ${metric.code} and occurred_at >= ${carryFrom} and occurred_at < ${end}
    ) readings
    where coalesce(next_at, ${end}) > ${span.from}
    group by groups`;
}

export interface SeriesPoint {
  start: Date;
  value: string;
}

/**
 * A metric's usage per hour or per day (the customer's days, in `timeZone`) over `span`, each group
 * of `groupBy` apart: what charts draw. Buckets without usage are left out.
 */
export async function usageSeries(
  ctx: Ctx,
  orgId: string,
  metric: MetricRow,
  options: { span: Span; granularity: 'hour' | 'day'; timeZone: string; groupBy: readonly string[] },
): Promise<{ groups: Record<string, string>; start: Date; value: string }[]> {
  const { span, granularity, timeZone, groupBy } = options;
  const bucket =
    granularity === 'hour'
      ? sql`hour`
      : sql`date_trunc('day', hour at time zone ${timeZone}) at time zone ${timeZone}`;
  const groups = groupExpression(groupBy, sql`group_values`);
  if (metric.aggregation === 'time_weighted_sum') {
    // Per bucket: the readings' hours within it. Computed from the hourly totals of each bucket.
    return timeWeightedSeries(ctx, orgId, metric, options);
  }
  const table = metric.aggregation === 'unique_count' ? sql`usage_unique_values` : sql`usage_rollups`;
  const value =
    metric.aggregation === 'unique_count' ? sql<string>`count(distinct value)::text` : rollupValue(metric);
  const { rows } = await sql<{ groups: Record<string, string>; start: Date; value: string }>`
    select ${groups} as groups, ${bucket} as start, ${value} as value from ${table}
    where org_id = ${orgId} and metric = ${metric.code} and ${hoursOf(span)}
    group by 1, 2 order by 2`.execute(ctx.db);
  return rows;
}

/** Time-weighted usage per bucket: the span cut into buckets, each integrated like a period. */
async function timeWeightedSeries(
  ctx: Ctx,
  orgId: string,
  metric: MetricRow,
  options: { span: Span; granularity: 'hour' | 'day'; timeZone: string; groupBy: readonly string[] },
): Promise<{ groups: Record<string, string>; start: Date; value: string }[]> {
  const { span, granularity, timeZone, groupBy } = options;
  const { rows: buckets } = await sql<{ start: Date; end: Date }>`
    select start, least(start + ${granularity === 'hour' ? sql`interval '1 hour'` : sql`interval '1 day'`}, ${span.to}::timestamptz) as end
    from generate_series(
      date_trunc(${granularity}, ${span.from}::timestamptz at time zone ${timeZone}) at time zone ${timeZone},
      ${span.to}::timestamptz - interval '1 second',
      ${granularity === 'hour' ? sql`interval '1 hour'` : sql`interval '1 day'`}) as start`.execute(ctx.db);
  const series: { groups: Record<string, string>; start: Date; value: string }[] = [];
  for (const { start, end } of buckets) {
    if (start.getTime() > ctx.clock.now().epochMilliseconds) break;
    const from = start < span.from ? span.from : start;
    for (const row of await groupsOf(ctx, orgId, metric, groupBy, { from, to: end })) {
      if (row.value !== null) series.push({ groups: row.groups, start, value: row.value });
    }
  }
  return series;
}
