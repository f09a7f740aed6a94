import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { ChargeInput, LimitInput } from '../catalog/index.js';
import * as catalog from '../catalog/index.js';
import type { Ctx } from '../context.js';
import type { BillingCustomerRow, MetricRow, PlanVersionRow, SubscriptionRow } from '../db/schema.js';
import * as subscriptions from '../subscriptions/index.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { calendarMonthPeriod, toDate } from '../time/index.js';
import { metricsByCode } from './ingest.js';
import type { Span } from './totals.js';

/**
 * What decides a customer's entitlements: its live plans' limits and charges (or the default plan's),
 * the period usage is counted in, the issuer's metrics, and whether paid features are refused while
 * its billing is blocked. Loading them takes six to eight queries, so each process keeps them in
 * memory, with the stamps of the customer and the issuer they were loaded under (migration 0022):
 * a trigger replaces a stamp whenever a row they derive from changes, and every statement that acts
 * on the terms reads the stamps too and acts only if they are unchanged. So cached terms are never
 * used after a change has committed, in any process, and nothing has to be told to forget them.
 */

/** What the terms need of a billing customer: the zone its calendar months are counted in. */
export type TermsCustomer = Pick<BillingCustomerRow, 'time_zone'>;

/** What an organization's plan allows and charges, and the period its usage is counted in. */
export interface PlanAllowance {
  limits: LimitInput[];
  charges: ChargeInput[];
  /** The current period: the subscription's, or the calendar month in the customer's zone. */
  period: Span;
  /** The live subscriptions, the one whose period counts first. */
  live: SubscriptionRow[];
}

/** The customer's and the issuer's stamps; null for an organization whose terms never changed. */
export interface Stamps {
  customer: string | null;
  issuer: string | null;
}

export interface EntitlementTerms {
  stamps: Stamps;
  timeZone: string;
  allowance: PlanAllowance;
  /** The issuer's metrics by code: a feature named like one also counts its usage this period. */
  metrics: ReadonlyMap<string, MetricRow>;
  /**
   * Features refused now: while billing is blocked and the issuer refuses paid features then, those
   * the live plans grant and the default plan does not. Empty otherwise.
   */
  refusedAsUnpaid: ReadonlySet<string>;
}

/** The limits and charges of the organization's live subscriptions (or of the default plan). */
export async function allowanceOf(
  ctx: TenantCtx,
  customer: TermsCustomer | undefined,
): Promise<PlanAllowance> {
  const { allowance } = await plansOf(ctx, customer);
  return allowance;
}

async function plansOf(
  ctx: TenantCtx,
  customer: TermsCustomer | undefined,
  shared?: IssuerParts,
): Promise<{ allowance: PlanAllowance; fallback: PlanVersionRow | undefined }> {
  const live = await subscriptions.liveSubscriptions(ctx);
  const versions = await Promise.all(
    live.map(async (sub) => {
      const kept = shared?.versions.get(sub.plan_version_id);
      if (kept) return kept;
      const version = await catalog.findPlanVersion(ctx, sub.plan_version_id);
      return version && shared ? sharedVersion(shared, version) : version;
    }),
  );
  const terms = versions.flatMap((v) => (v ? [v] : []));
  const fallback = terms.length === 0 ? (await catalog.findDefaultPlan(ctx))?.version : undefined;
  return { allowance: allowanceFrom(ctx, customer, live, terms, fallback), fallback };
}

/** The allowance of the live subscriptions `live` on their plans' `versions` (or the default plan's). */
function allowanceFrom(
  ctx: TenantCtx,
  customer: TermsCustomer | undefined,
  live: SubscriptionRow[],
  versions: readonly PlanVersionRow[],
  fallback: PlanVersionRow | undefined,
): PlanAllowance {
  const terms = fallback ? [...versions, fallback] : versions;
  const limits = new Map<string, LimitInput>();
  for (const version of terms) {
    for (const limit of version.limits as LimitInput[]) {
      // Two subscriptions naming one feature: the more generous limit holds.
      const held = limits.get(limit.feature);
      if (!held || moreGenerous(limit, held)) limits.set(limit.feature, limit);
    }
  }
  const sub = live[0];
  const period: Span = sub
    ? { from: sub.current_period_start, to: sub.current_period_end }
    : monthOf(ctx, customer?.time_zone ?? 'UTC');
  return {
    limits: [...limits.values()],
    charges: terms.flatMap((version) => version.charges as ChargeInput[]),
    period,
    live,
  };
}

function moreGenerous(a: LimitInput, b: LimitInput): boolean {
  if (a.limit === null) return b.limit !== null || (a.mode === 'soft' && b.mode === 'hard');
  if (b.limit === null) return false;
  return a.limit > b.limit;
}

function monthOf(ctx: TenantCtx, timeZone: string): Span {
  const period = calendarMonthPeriod(ctx.clock.now(), timeZone);
  return { from: toDate(period.startInstant), to: toDate(period.endInstant) };
}

/** A limit that lets some use through: unlimited, soft, or above zero. */
const grants = (limit: LimitInput) => limit.limit === null || limit.mode === 'soft' || limit.limit > 0;

/**
 * The stamps of the customer and its issuer, as two columns. Read before the terms they guard, so a
 * change committed while the terms load leaves a stamp the next statement finds changed.
 */
export function stampColumns(ctx: TenantCtx) {
  return sql`
    (select stamp::text from entitlement_stamps where org_id = ${ctx.tenant.orgId}) as customer_stamp,
    (select stamp::text from entitlement_stamps where org_id = ${ctx.tenant.issuerId}) as issuer_stamp`;
}

/**
 * What the terms of an issuer's customers share, as of one stamp of the issuer: its metrics and the
 * plan versions read so far, kept once rather than in each customer's terms (a customer's terms were
 * 18 KB, most of it the same metrics and plan). The issuer's stamp changes with any of them, so what
 * is kept under a stamp is never used once a change has committed (a change committed while a part
 * loads is kept under the stamp read before it, which the next statement finds changed).
 */
interface IssuerParts {
  metrics: ReadonlyMap<string, MetricRow> | undefined;
  versions: Map<string, PlanVersionRow>;
}
const issuerParts = new LRUCache<string, IssuerParts>({ max: 1_000 });

function partsOf(issuerId: string, stamp: string | null): IssuerParts {
  const key = `${issuerId}/${stamp}`;
  let parts = issuerParts.get(key);
  if (!parts) {
    parts = { metrics: undefined, versions: new Map() };
    issuerParts.set(key, parts);
  }
  return parts;
}

/** The kept copy of `version`: the first one read under the stamp. */
function sharedVersion(parts: IssuerParts, version: PlanVersionRow): PlanVersionRow {
  const kept = parts.versions.get(version.id);
  if (kept) return kept;
  parts.versions.set(version.id, version);
  return version;
}

async function sharedMetrics(ctx: TenantCtx, parts: IssuerParts): Promise<ReadonlyMap<string, MetricRow>> {
  parts.metrics ??= await metricsByCode(ctx);
  return parts.metrics;
}

async function loadTerms(ctx: TenantCtx, customer: TermsCustomer | undefined): Promise<EntitlementTerms> {
  const { rows } = await sql<{ customer_stamp: string | null; issuer_stamp: string | null }>`
    select ${stampColumns(ctx)}`.execute(ctx.db);
  const stamps = { customer: rows[0]?.customer_stamp ?? null, issuer: rows[0]?.issuer_stamp ?? null };
  const parts = partsOf(ctx.tenant.issuerId, stamps.issuer);
  const [{ allowance, fallback }, metrics] = await Promise.all([
    plansOf(ctx, customer, parts),
    sharedMetrics(ctx, parts),
  ]);
  return termsFrom(ctx, customer, stamps, allowance, fallback, metrics);
}

async function termsFrom(
  ctx: TenantCtx,
  customer: TermsCustomer | undefined,
  stamps: Stamps,
  allowance: PlanAllowance,
  fallback: PlanVersionRow | undefined,
  metrics: ReadonlyMap<string, MetricRow>,
): Promise<EntitlementTerms> {
  return {
    stamps,
    timeZone: customer?.time_zone ?? 'UTC',
    allowance,
    metrics,
    refusedAsUnpaid: allowance.live.some(subscriptions.blocksBilling)
      ? await unpaidFeatures(ctx, allowance, fallback)
      : new Set(),
  };
}

/** While billing is blocked: what the live plans grant beyond the default plan, if the issuer refuses it. */
async function unpaidFeatures(
  ctx: TenantCtx,
  allowance: PlanAllowance,
  fallback: PlanVersionRow | undefined,
): Promise<ReadonlySet<string>> {
  const settings = await scoped(ctx, 'issuer')
    .selectFrom('billing_settings')
    .select('refuse_paid_features_when_blocked')
    .executeTakeFirst();
  if (!settings?.refuse_paid_features_when_blocked) return new Set();
  const free = fallback ?? (await catalog.findDefaultPlan(ctx))?.version;
  const granted = new Set(
    ((free?.limits ?? []) as LimitInput[]).filter(grants).map((limit) => limit.feature),
  );
  return new Set(
    allowance.limits.filter((limit) => grants(limit) && !granted.has(limit.feature)).map((l) => l.feature),
  );
}

// Stamps are random per database state, so one cache serves any database this process talks to.
const cached = new LRUCache<string, EntitlementTerms>({ max: 25_000 });
const keyOf = (ctx: TenantCtx) => `${ctx.tenant.issuerId}/${ctx.tenant.orgId}`;

/**
 * The customer's terms: from memory unless `reload`, with the period current (a calendar month is
 * the one holding now on the context's clock, which a test clock moves). The caller acts on them
 * in a statement that checks their stamps, and asks again with `reload` if they changed.
 */
export async function entitlementTerms(
  ctx: TenantCtx,
  customer: TermsCustomer | undefined,
  reload: boolean,
): Promise<EntitlementTerms> {
  const key = keyOf(ctx);
  const timeZone = customer?.time_zone ?? 'UTC';
  let terms = reload ? undefined : cached.get(key);
  if (!terms || terms.timeZone !== timeZone) {
    terms = await loadTerms(ctx, customer);
    cached.set(key, terms);
  }
  const { period, live } = terms.allowance;
  const now = ctx.clock.now().epochMilliseconds;
  if (live.length === 0 && (now < period.from.getTime() || now >= period.to.getTime())) {
    terms = { ...terms, allowance: { ...terms.allowance, period: monthOf(ctx, timeZone) } };
    cached.set(key, terms);
  }
  return terms;
}

/** A customer whose terms are asked for with others': from memory unless `reload`. */
export interface TermsRequest {
  tenant: TenantCtx;
  customer: TermsCustomer | undefined;
  reload: boolean;
}

/**
 * `entitlementTerms` of many customers (a round of the alerts' evaluation): those in memory as they
 * are, the others loaded together in a fixed number of queries however many they are: their stamps,
 * their live subscriptions, those subscriptions' plan versions, and each issuer's default plan and
 * metrics. Only a customer whose billing is blocked costs queries of its own.
 */
export async function entitlementTermsOfMany(
  ctx: Ctx,
  requests: readonly TermsRequest[],
): Promise<EntitlementTerms[]> {
  const missing = requests.filter(({ tenant, customer, reload }) => {
    const kept = reload ? undefined : cached.get(keyOf(tenant));
    return !kept || kept.timeZone !== (customer?.time_zone ?? 'UTC');
  });
  if (missing.length > 0) {
    const loaded = await loadTermsOfMany(ctx, missing);
    for (const [i, { tenant }] of missing.entries()) cached.set(keyOf(tenant), loaded[i] as EntitlementTerms);
  }
  // All in memory now: each with its period made current, as `entitlementTerms` does.
  return Promise.all(requests.map(({ tenant, customer }) => entitlementTerms(tenant, customer, false)));
}

async function loadTermsOfMany(ctx: Ctx, requests: readonly TermsRequest[]): Promise<EntitlementTerms[]> {
  const orgIds = requests.map(({ tenant }) => tenant.tenant.orgId);
  const issuers = new Set(requests.map(({ tenant }) => tenant.tenant.issuerId));
  // The stamps first, as `loadTerms` reads them: a change committed meanwhile leaves one changed.
  const { rows: stampRows } = await sql<{ org_id: string; stamp: string }>`
    select org_id, stamp::text as stamp from entitlement_stamps
    where org_id = any(${[...orgIds, ...issuers]}::text[])`.execute(ctx.db);
  const stampOf = new Map(stampRows.map((row) => [row.org_id, row.stamp]));
  // In `liveSubscriptions`' order within each organization.
  const live = await ctx.db
    .selectFrom('subscriptions')
    .selectAll()
    .where(sql<boolean>`org_id = any(${orgIds}::text[])`)
    .where('status', 'in', subscriptions.LIVE_STATUSES)
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .execute();
  const liveOf = new Map<string, SubscriptionRow[]>();
  for (const sub of live) {
    const ofOrganization = liveOf.get(sub.org_id) ?? [];
    ofOrganization.push(sub);
    liveOf.set(sub.org_id, ofOrganization);
  }
  // Each subscription's plan version from its tenant's issuer, as `findPlanVersion` reads it.
  const wanted = requests.flatMap(({ tenant }) =>
    (liveOf.get(tenant.tenant.orgId) ?? []).map((sub) => [tenant.tenant.issuerId, sub.plan_version_id]),
  );
  const versions =
    wanted.length === 0
      ? []
      : await ctx.db
          .selectFrom('plan_versions')
          .selectAll()
          .where(
            sql<boolean>`(org_id, id) in (select * from unnest(${wanted.map(([issuer]) => issuer)}::text[],
              ${wanted.map(([, id]) => id)}::text[]))`,
          )
          .execute();
  const versionOf = new Map(
    versions.map((version) => [
      `${version.org_id}/${version.id}`,
      sharedVersion(partsOf(version.org_id, stampOf.get(version.org_id) ?? null), version),
    ]),
  );
  // Each issuer's metrics, and its default plan if a customer has no plan of its own: read once.
  const fallbackOf = new Map<string, PlanVersionRow | undefined>();
  const terms: EntitlementTerms[] = [];
  for (const { tenant, customer } of requests) {
    const { orgId, issuerId } = tenant.tenant;
    const subs = liveOf.get(orgId) ?? [];
    const held = subs.flatMap((sub) => versionOf.get(`${issuerId}/${sub.plan_version_id}`) ?? []);
    if (held.length === 0 && !fallbackOf.has(issuerId)) {
      fallbackOf.set(issuerId, (await catalog.findDefaultPlan(tenant))?.version);
    }
    const fallback = held.length === 0 ? fallbackOf.get(issuerId) : undefined;
    const stamps = { customer: stampOf.get(orgId) ?? null, issuer: stampOf.get(issuerId) ?? null };
    const metrics = await sharedMetrics(tenant, partsOf(issuerId, stamps.issuer));
    const allowance = allowanceFrom(tenant, customer, subs, held, fallback);
    terms.push(await termsFrom(tenant, customer, stamps, allowance, fallback, metrics));
  }
  return terms;
}
