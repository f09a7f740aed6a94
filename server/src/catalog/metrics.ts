import type { z } from 'zod';
import { recordAudit } from '../access/index.js';
import { newId } from '../db/ids.js';
import type { MetricRow } from '../db/schema.js';
import { conflict, invalid } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { createMetricBody } from './catalog.schema.js';

/** Metrics say how usage events of one code add up over a period, and what they can be split by. */

/** Every metric of the catalog, by code: the names plans and invoices show. */
export async function allMetrics(ctx: TenantCtx): Promise<MetricRow[]> {
  return scoped(ctx, 'issuer').selectFrom('metrics').selectAll().orderBy('code').execute();
}

/** A page of metrics by code; the cursor is a code. */
export async function listMetrics(ctx: TenantCtx, page: PageRequest): Promise<Slice<MetricRow>> {
  return listPage(
    scoped(ctx, 'issuer').selectFrom('metrics').selectAll(),
    {
      by: [['metrics.code', 'asc']],
      id: 'metrics.code',
      cursorFrom: scoped(ctx, 'issuer').selectFrom('metrics'),
      noun: 'metric',
    },
    page,
  );
}

export async function createMetric(
  ctx: TenantCtx,
  input: z.infer<typeof createMetricBody>,
): Promise<MetricRow> {
  // Counting events needs no property; every other aggregation reads a number or value from one.
  if (input.aggregation === 'count' && input.property !== undefined) {
    throw invalid(
      'metric.property_unused',
      'A count aggregation counts events and reads no property',
      'property',
    );
  }
  if (input.aggregation !== 'count' && input.property === undefined) {
    throw invalid(
      'metric.property_required',
      `The ${input.aggregation} aggregation needs the property it reads`,
      'property',
    );
  }
  // A recurring metric holds a level from period to period: what the sum of its changes or its
  // latest reading says. A count, a peak, a unique count or an integral does not hold anything.
  if (input.recurring && input.aggregation !== 'sum' && input.aggregation !== 'latest') {
    throw invalid(
      'metric.recurring_aggregation',
      `A recurring metric holds a level: a sum of changes (+5, −2) or the latest value, not ${input.aggregation}`,
      'recurring',
    );
  }
  if (new Set(input.dimensions).size !== input.dimensions.length) {
    throw invalid('metric.duplicate_dimension', 'Name each dimension once', 'dimensions');
  }
  const row: MetricRow = {
    org_id: ctx.tenant.issuerId,
    id: newId('metric'),
    code: input.code,
    name: input.name,
    unit: input.unit,
    aggregation: input.aggregation,
    property: input.property ?? null,
    dimensions: input.dimensions,
    recurring: input.recurring,
    created_at: toDate(ctx.clock.now()),
  };
  const inserted = await ctx.db
    .insertInto('metrics')
    .values({ ...row, dimensions: JSON.stringify(row.dimensions) })
    .onConflict((c) => c.columns(['org_id', 'code']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) throw conflict('metric.exists', `A metric with code ${input.code} exists`, 'code');
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'metric.created',
    targetType: 'metric',
    targetId: row.id,
    after: input,
  });
  return row;
}

export function presentMetric(row: MetricRow) {
  return {
    id: row.id,
    object: 'metric' as const,
    code: row.code,
    name: row.name,
    unit: row.unit,
    aggregation: row.aggregation,
    property: row.property,
    dimensions: row.dimensions,
    recurring: row.recurring,
    created_at: row.created_at.toISOString(),
  };
}
