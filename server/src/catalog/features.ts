import type { z } from 'zod';
import { recordAudit } from '../access/index.js';
import type { FeatureRow } from '../db/schema.js';
import { conflict } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { createFeatureBody } from './catalog.schema.js';

/** Features are what plans limit: computations, members, runs, storage, or any the operator names. */

/** Every feature of the catalog, by code: the names plans and invoices show. */
export async function allFeatures(ctx: TenantCtx): Promise<FeatureRow[]> {
  return scoped(ctx, 'issuer').selectFrom('features').selectAll().orderBy('code').execute();
}

/** A page of features by code; the cursor is a code. */
export async function listFeatures(ctx: TenantCtx, page: PageRequest): Promise<Slice<FeatureRow>> {
  return listPage(
    scoped(ctx, 'issuer').selectFrom('features').selectAll(),
    {
      by: [['features.code', 'asc']],
      id: 'features.code',
      cursorFrom: scoped(ctx, 'issuer').selectFrom('features'),
      noun: 'feature',
    },
    page,
  );
}

export async function createFeature(
  ctx: TenantCtx,
  input: z.infer<typeof createFeatureBody>,
): Promise<FeatureRow> {
  const row: FeatureRow = { org_id: ctx.tenant.issuerId, ...input, created_at: toDate(ctx.clock.now()) };
  const inserted = await ctx.db
    .insertInto('features')
    .values(row)
    .onConflict((c) => c.columns(['org_id', 'code']).doNothing())
    .returning('code')
    .executeTakeFirst();
  if (!inserted) throw conflict('feature.exists', `A feature with code ${input.code} exists`, 'code');
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'feature.created',
    targetType: 'feature',
    targetId: input.code,
    after: input,
  });
  return row;
}

export function presentFeature(row: FeatureRow) {
  return {
    object: 'feature' as const,
    code: row.code,
    name: row.name,
    unit: row.unit,
    created_at: row.created_at.toISOString(),
  };
}
