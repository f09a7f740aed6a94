import { sql } from 'kysely';
import type { z } from 'zod';
import { recordAudit } from '../access/index.js';
import { amountJson } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { FeatureRow, MetricRow, PlanRow, PlanVersionRow } from '../db/schema.js';
import { invalid, notFound } from '../errors.js';
import { parseCurrencyCode } from '../money/index.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type {
  ChargeInput,
  createPlanBody,
  draftPreviewBody,
  LimitInput,
  PlanObject,
  PlanVersionObject,
  PricePreviewObject,
  planListQuery,
  updatePlanBody,
} from './catalog.schema.js';
import { allFeatures } from './features.js';
import { allMetrics } from './metrics.js';
import { type CatalogTerms, checkCostsNothing, checkPricing, type PricingInput } from './plan-rules.js';
import { previewPrice } from './preview.js';

/**
 * Plans (C5) and their versions (C7). A plan's name, description and audience change in place; its
 * prices, trial and limits live in immutable versions. Every pricing edit publishes the next version
 * and makes it current: new subscribers get it, existing ones keep the version they subscribed to
 * until they are moved.
 */

export interface PlanWithVersion {
  plan: PlanRow;
  version: PlanVersionRow;
  audience: string[];
}

/** Names and units of the features and metrics a version refers to by code, for presenting it. */
export interface CatalogNames {
  features: ReadonlyMap<string, FeatureRow>;
  metrics: ReadonlyMap<string, MetricRow>;
}

export async function loadCatalogNames(ctx: TenantCtx): Promise<CatalogNames> {
  const [features, metrics] = await Promise.all([allFeatures(ctx), allMetrics(ctx)]);
  return {
    features: new Map(features.map((f) => [f.code, f])),
    metrics: new Map(metrics.map((m) => [m.code, m])),
  };
}

function termsOf(names: CatalogNames): CatalogTerms {
  return { metrics: names.metrics, features: new Set(names.features.keys()) };
}

export async function createPlan(
  ctx: TenantCtx,
  input: z.infer<typeof createPlanBody>,
): Promise<PlanWithVersion> {
  const currency = parseCurrencyCode(input.currency);
  checkPricing(input, currency, termsOf(await loadCatalogNames(ctx)));
  if (input.is_default) checkCostsNothing(input, 'default');
  if (input.unbilled) checkCostsNothing(input, 'unbilled');
  await checkAudience(ctx, input.visibility, input.audience_org_ids);

  const existing = await scoped(ctx, 'issuer')
    .selectFrom('plans')
    .select('id')
    .where('code', '=', input.code)
    .executeTakeFirst();
  if (existing) throw invalid('plan.code_taken', `A plan with code ${input.code} exists`, 'code');

  if (input.is_default) await clearDefault(ctx);
  const plan = planRow(ctx, newId('plan'), { ...input, currency });
  await ctx.db.insertInto('plans').values(plan).execute();
  await setAudience(ctx, plan, input.audience_org_ids);
  const version = await insertVersion(ctx, plan, 1, input);
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'plan.created',
    targetType: 'plan',
    targetId: plan.id,
    after: input,
  });
  return { plan, version, audience: input.visibility === 'restricted' ? input.audience_org_ids : [] };
}

/** A new plan's row, version 1 current. */
function planRow(
  ctx: TenantCtx,
  id: string,
  input: Pick<
    z.infer<typeof createPlanBody>,
    'code' | 'name' | 'description' | 'interval' | 'environment' | 'visibility' | 'is_default' | 'unbilled'
  > & { currency: PlanRow['currency'] },
): PlanRow {
  const now = toDate(ctx.clock.now());
  return {
    org_id: ctx.tenant.issuerId,
    id,
    code: input.code,
    name: input.name,
    description: input.description,
    currency: input.currency,
    billing_interval: input.interval,
    environment: input.environment,
    visibility: input.visibility,
    is_default: input.is_default,
    unbilled: input.unbilled,
    disabled_at: null,
    current_version: 1,
    created_at: now,
    updated_at: now,
  };
}

/**
 * What terms being edited would bill for `usage`: checked as a new plan's terms are (the same 400s,
 * naming the field), priced by the billing core, written nowhere.
 */
export async function previewDraft(
  ctx: TenantCtx,
  input: z.infer<typeof draftPreviewBody>,
): Promise<PricePreviewObject> {
  const currency = parseCurrencyCode(input.currency);
  const names = await loadCatalogNames(ctx);
  checkPricing(input, currency, termsOf(names));
  const plan = planRow(ctx, 'plan_draft', {
    ...input,
    currency,
    code: 'draft',
    description: '',
    environment: 'any',
    visibility: 'public',
    is_default: false,
    unbilled: false,
  });
  const version = versionRow(ctx, plan, 1, { ...input, trial_days: 0 });
  return previewPrice({ plan, version, metrics: names.metrics, usage: input.usage, draft: true });
}

export async function updatePlan(
  ctx: TenantCtx,
  planId: string,
  changes: z.infer<typeof updatePlanBody>,
): Promise<PlanWithVersion> {
  const before = await getPlan(ctx, planId, { lock: true });
  const { plan } = before;
  const pricing: PricingInput & { trial_days: number } = {
    base_price: changes.base_price ?? amountJson(before.version.base_price),
    trial_days: changes.trial_days ?? before.version.trial_days,
    fee_timing: changes.fee_timing ?? before.version.fee_timing,
    minimum_commitment: changes.minimum_commitment ?? amountJson(before.version.minimum_commitment),
    limits: changes.limits ?? (before.version.limits as LimitInput[]),
    charges: changes.charges ?? (before.version.charges as ChargeInput[]),
  };
  const repriced =
    changes.base_price !== undefined ||
    changes.trial_days !== undefined ||
    changes.fee_timing !== undefined ||
    changes.minimum_commitment !== undefined ||
    changes.limits !== undefined ||
    changes.charges !== undefined;
  if (repriced) checkPricing(pricing, parseCurrencyCode(plan.currency), termsOf(await loadCatalogNames(ctx)));
  const isDefault = changes.is_default ?? plan.is_default;
  if (isDefault) checkCostsNothing(pricing, 'default');
  if (plan.unbilled) checkCostsNothing(pricing, 'unbilled');
  const visibility = changes.visibility ?? plan.visibility;
  const audience = changes.audience_org_ids ?? before.audience;
  await checkAudience(ctx, visibility, audience);

  if (changes.is_default && !plan.is_default) await clearDefault(ctx);
  const updated = await scoped(ctx, 'issuer')
    .updateTable('plans')
    .set({
      name: changes.name ?? plan.name,
      description: changes.description ?? plan.description,
      environment: changes.environment ?? plan.environment,
      visibility,
      is_default: isDefault,
      current_version: repriced ? plan.current_version + 1 : plan.current_version,
      updated_at: toDate(ctx.clock.now()),
    })
    .where('id', '=', planId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (changes.audience_org_ids !== undefined || changes.visibility !== undefined) {
    await setAudience(ctx, updated, audience);
  }
  const version = repriced
    ? await insertVersion(ctx, updated, updated.current_version, pricing)
    : before.version;
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: repriced ? 'plan.version_published' : 'plan.updated',
    targetType: 'plan',
    targetId: planId,
    before: { ...summary(before.plan), version: before.version.version },
    after: { ...summary(updated), version: version.version, changes },
  });
  return { plan: updated, version, audience: visibility === 'restricted' ? audience : [] };
}

export async function setPlanDisabled(ctx: TenantCtx, planId: string, disabled: boolean) {
  const before = await getPlan(ctx, planId, { lock: true });
  if (disabled && before.plan.is_default) {
    throw invalid('plan.default_disabled', 'Make another plan the default before disabling this one');
  }
  // Already so: nothing changes, nothing is audited, the plan is answered as it is.
  if ((before.plan.disabled_at !== null) === disabled) return before;
  const plan = await scoped(ctx, 'issuer')
    .updateTable('plans')
    .set({
      disabled_at: disabled ? (before.plan.disabled_at ?? toDate(ctx.clock.now())) : null,
      updated_at: toDate(ctx.clock.now()),
    })
    .where('id', '=', planId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: disabled ? 'plan.disabled' : 'plan.enabled',
    targetType: 'plan',
    targetId: planId,
    before: summary(before.plan),
    after: summary(plan),
  });
  return { ...before, plan };
}

export async function getPlan(
  ctx: TenantCtx,
  planId: string,
  options: { lock?: boolean; version?: number; versionId?: string } = {},
): Promise<PlanWithVersion> {
  const plan = await scoped(ctx, 'issuer')
    .selectFrom('plans')
    .selectAll()
    .where('id', '=', planId)
    // Serializes edits of one plan: the next version number is read and written under the lock.
    .$if(options.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!plan) throw notFound('plan.not_found', 'No such plan');
  const versionNumber = options.version ?? plan.current_version;
  const version = await scoped(ctx, 'issuer')
    .selectFrom('plan_versions')
    .selectAll()
    .where('plan_id', '=', planId)
    .$if(options.versionId === undefined, (q) => q.where('version', '=', versionNumber))
    .$if(options.versionId !== undefined, (q) => q.where('id', '=', options.versionId ?? ''))
    .executeTakeFirst();
  if (!version) {
    throw notFound(
      'plan_version.not_found',
      `Plan ${planId} has no version ${options.versionId ?? versionNumber}`,
    );
  }
  const audience = await scoped(ctx, 'issuer')
    .selectFrom('plan_audiences')
    .select('customer_org_id')
    .where('plan_id', '=', planId)
    .orderBy('customer_org_id')
    .execute();
  return { plan, version, audience: audience.map((a) => a.customer_org_id) };
}

/**
 * Plan versions by id with their plans, for a page of a list: two queries whatever the page's size.
 * Keyed by `${issuerId}|${versionId}`; an id that does not exist is absent.
 */
export async function versionsByIds(
  ctx: Ctx,
  refs: readonly { issuerId: string; versionId: string }[],
): Promise<Map<string, { plan: PlanRow; version: PlanVersionRow }>> {
  const found = new Map<string, { plan: PlanRow; version: PlanVersionRow }>();
  if (refs.length === 0) return found;
  const versions = await ctx.db
    .selectFrom('plan_versions')
    .selectAll()
    .where(
      sql<boolean>`(org_id, id) in (select * from unnest(${refs.map((r) => r.issuerId)}::text[], ${refs.map((r) => r.versionId)}::text[]))`,
    )
    .execute();
  if (versions.length === 0) return found;
  const plans = await ctx.db
    .selectFrom('plans')
    .selectAll()
    .where(
      sql<boolean>`(org_id, id) in (select * from unnest(${versions.map((v) => v.org_id)}::text[], ${versions.map((v) => v.plan_id)}::text[]))`,
    )
    .execute();
  for (const version of versions) {
    const plan = plans.find((p) => p.org_id === version.org_id && p.id === version.plan_id);
    if (plan) found.set(`${version.org_id}|${version.id}`, { plan, version });
  }
  return found;
}

/** One version by its id, whatever plan it belongs to. */
export async function findPlanVersion(
  ctx: TenantCtx,
  versionId: string,
): Promise<PlanVersionRow | undefined> {
  return scoped(ctx, 'issuer')
    .selectFrom('plan_versions')
    .selectAll()
    .where('id', '=', versionId)
    .executeTakeFirst();
}

/** A plan's versions, newest first; the cursor is a version's id. */
export async function listPlanVersions(
  ctx: TenantCtx,
  planId: string,
  page: PageRequest,
): Promise<Slice<PlanVersionRow>> {
  await getPlan(ctx, planId);
  const versions = () => scoped(ctx, 'issuer').selectFrom('plan_versions').where('plan_id', '=', planId);
  return listPage(
    versions().selectAll(),
    {
      by: [
        ['plan_versions.version', 'desc'],
        ['plan_versions.id', 'desc'],
      ],
      id: 'plan_versions.id',
      cursorFrom: versions(),
      noun: 'version',
    },
    page,
  );
}

/** Plans joined to their current versions. */
function plansWithVersions(ctx: TenantCtx) {
  return scoped(ctx, 'issuer')
    .selectFrom('plans')
    .innerJoin('plan_versions', (join) =>
      join
        .onRef('plan_versions.org_id', '=', 'plans.org_id')
        .onRef('plan_versions.plan_id', '=', 'plans.id')
        .onRef('plan_versions.version', '=', 'plans.current_version'),
    )
    .selectAll('plans')
    .select([
      'plan_versions.id as version_id',
      'plan_versions.base_price',
      'plan_versions.trial_days',
      'plan_versions.fee_timing',
      'plan_versions.minimum_commitment',
      'plan_versions.limits',
      'plan_versions.charges',
      'plan_versions.created_by as version_created_by',
      'plan_versions.created_at as version_created_at',
    ]);
}

type PlanVersionJoin = Awaited<ReturnType<ReturnType<typeof plansWithVersions>['execute']>>[number];

/** Plans with their current versions, filtered, oldest first, a page at a time. */
export async function listPlans(
  ctx: TenantCtx,
  query: z.infer<typeof planListQuery>,
): Promise<Slice<PlanWithVersion>> {
  let q = plansWithVersions(ctx);
  if (query.status === 'active') q = q.where('plans.disabled_at', 'is', null);
  if (query.status === 'disabled') q = q.where('plans.disabled_at', 'is not', null);
  if (query.currency) q = q.where('plans.currency', '=', query.currency.toUpperCase());
  if (query.interval) q = q.where('plans.billing_interval', '=', query.interval);
  if (query.environment) q = q.where('plans.environment', '=', query.environment);
  if (query.visibility) q = q.where('plans.visibility', '=', query.visibility);
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('plans.code', 'ilike', pattern), eb('plans.name', 'ilike', pattern)]));
  }
  const slice = await listPage(
    q,
    {
      by: [
        ['plans.created_at', 'asc'],
        ['plans.id', 'asc'],
      ],
      id: 'plans.id',
      cursorFrom: scoped(ctx, 'issuer').selectFrom('plans'),
      noun: 'plan',
    },
    query,
  );
  return { rows: await withAudiences(ctx, slice.rows), has_more: slice.has_more };
}

/** Every plan that can be offered: enabled and billed, oldest first (a catalog, not a customer list). */
export async function offerablePlans(ctx: TenantCtx): Promise<PlanWithVersion[]> {
  const rows = await plansWithVersions(ctx)
    .where('plans.disabled_at', 'is', null)
    .where('plans.unbilled', '=', false)
    .orderBy('plans.created_at')
    .orderBy('plans.id')
    .execute();
  return withAudiences(ctx, rows);
}

async function withAudiences(ctx: TenantCtx, rows: PlanVersionJoin[]): Promise<PlanWithVersion[]> {
  const audiences = await audiencesOf(
    ctx,
    rows.filter((r) => r.visibility === 'restricted').map((r) => r.id),
  );
  return rows.map(
    ({
      version_id,
      base_price,
      trial_days,
      fee_timing,
      minimum_commitment,
      limits,
      charges,
      version_created_by,
      version_created_at,
      ...plan
    }) => ({
      plan,
      version: {
        org_id: plan.org_id,
        id: version_id,
        plan_id: plan.id,
        version: plan.current_version,
        base_price,
        trial_days,
        fee_timing,
        minimum_commitment,
        limits,
        charges,
        created_by: version_created_by,
        created_at: version_created_at,
      },
      audience: audiences.get(plan.id) ?? [],
    }),
  );
}

export async function audiencesOf(ctx: TenantCtx, planIds: string[]): Promise<Map<string, string[]>> {
  const byPlan = new Map<string, string[]>();
  if (planIds.length === 0) return byPlan;
  const rows = await scoped(ctx, 'issuer')
    .selectFrom('plan_audiences')
    .select(['plan_id', 'customer_org_id'])
    .where('plan_id', 'in', planIds)
    .orderBy('customer_org_id')
    .execute();
  for (const row of rows) byPlan.set(row.plan_id, [...(byPlan.get(row.plan_id) ?? []), row.customer_org_id]);
  return byPlan;
}

async function insertVersion(
  ctx: Ctx,
  plan: PlanRow,
  version: number,
  pricing: PricingInput & { trial_days: number },
): Promise<PlanVersionRow> {
  const row = versionRow(ctx, plan, version, pricing);
  await ctx.db
    .insertInto('plan_versions')
    .values({ ...row, limits: JSON.stringify(row.limits), charges: JSON.stringify(row.charges) })
    .execute();
  return row;
}

function versionRow(
  ctx: Ctx,
  plan: PlanRow,
  version: number,
  pricing: PricingInput & { trial_days: number },
): PlanVersionRow {
  return {
    org_id: plan.org_id,
    id: newId('planVersion'),
    plan_id: plan.id,
    version,
    base_price: BigInt(pricing.base_price),
    trial_days: pricing.trial_days,
    fee_timing: pricing.fee_timing,
    minimum_commitment: BigInt(pricing.minimum_commitment),
    limits: pricing.limits,
    charges: pricing.charges,
    created_by: ctx.actor.id,
    created_at: toDate(ctx.clock.now()),
  };
}

async function clearDefault(ctx: TenantCtx) {
  await scoped(ctx, 'issuer')
    .updateTable('plans')
    .set({ is_default: false })
    .where('is_default', '=', true)
    .execute();
}

async function checkAudience(ctx: Ctx, visibility: PlanRow['visibility'], orgIds: readonly string[]) {
  if (visibility === 'public') return;
  const unique = [...new Set(orgIds)];
  if (unique.length === 0) return; // Restricted to nobody yet: only operators see it.
  const found = await ctx.db
    .selectFrom('organizations')
    .select('id')
    .where('id', 'in', unique)
    .where('kind', '<>', 'platform')
    .execute();
  const missing = unique.find((id) => !found.some((row) => row.id === id));
  if (missing) throw invalid('plan.unknown_organization', `No organization ${missing}`, 'audience_org_ids');
}

async function setAudience(ctx: TenantCtx, plan: PlanRow, orgIds: readonly string[]) {
  await scoped(ctx, 'issuer').deleteFrom('plan_audiences').where('plan_id', '=', plan.id).execute();
  const unique = plan.visibility === 'restricted' ? [...new Set(orgIds)] : [];
  if (unique.length === 0) return;
  await ctx.db
    .insertInto('plan_audiences')
    .values(unique.map((customer_org_id) => ({ org_id: plan.org_id, plan_id: plan.id, customer_org_id })))
    .execute();
}

function summary(plan: PlanRow) {
  return {
    name: plan.name,
    currency: plan.currency,
    description: plan.description,
    environment: plan.environment,
    visibility: plan.visibility,
    is_default: plan.is_default,
    disabled: plan.disabled_at !== null,
    current_version: plan.current_version,
  };
}

// ---- presenting -------------------------------------------------------------------------------

export function presentVersion(version: PlanVersionRow, names: CatalogNames): PlanVersionObject {
  return {
    id: version.id,
    object: 'plan_version',
    plan_id: version.plan_id,
    version: version.version,
    base_price: amountJson(version.base_price),
    trial_days: version.trial_days,
    fee_timing: version.fee_timing,
    minimum_commitment: amountJson(version.minimum_commitment),
    limits: (version.limits as LimitInput[]).map((limit) => {
      const feature = names.features.get(limit.feature);
      return { ...limit, name: feature?.name ?? limit.feature, unit: feature?.unit ?? '' };
    }),
    charges: (version.charges as ChargeInput[]).map((charge) => {
      const metric = names.metrics.get(charge.metric);
      return {
        ...charge,
        pay_in_advance: charge.pay_in_advance ?? false,
        name: metric?.name ?? charge.metric,
        unit: metric?.unit ?? '',
        aggregation: metric?.aggregation ?? 'sum',
      };
    }),
    created_at: version.created_at.toISOString(),
  };
}

export function presentPlan({ plan, version, audience }: PlanWithVersion, names: CatalogNames): PlanObject {
  return {
    id: plan.id,
    object: 'plan',
    code: plan.code,
    name: plan.name,
    description: plan.description,
    currency: plan.currency,
    interval: plan.billing_interval,
    environment: plan.environment,
    is_default: plan.is_default,
    version: presentVersion(version, names),
    visibility: plan.visibility,
    audience_org_ids: audience,
    unbilled: plan.unbilled,
    disabled: plan.disabled_at !== null,
    disabled_at: plan.disabled_at?.toISOString() ?? null,
    created_at: plan.created_at.toISOString(),
    updated_at: plan.updated_at.toISOString(),
  };
}
