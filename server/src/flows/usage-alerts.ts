import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { BillingCustomerRow, SubscriptionRow, UsageAlertRow } from '../db/schema.js';
import * as metering from '../metering/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { customerContext, type TenantCtx, tenantContext } from '../tenant.js';
import { upcomingInvoice } from './subscription-billing.js';

/**
 * Usage alerts evaluated (C24): what the tenant's thresholds stand at, and the process's evaluator
 * that looks at the organizations whose usage changed, soon after the change commits.
 *
 * An ingest batch or a consume appends a check row for each organization it changed, in its own
 * transaction (metering/alerts.ts), then wakes this process's evaluator. The evaluator takes the
 * checks of a round of organizations and settles their thresholds in one transaction: a crash
 * before it commits leaves the checks for the next evaluation or the minutely job, so no change goes
 * unlooked at, and the ingest never waits for an evaluation. A round costs a fixed number of
 * statements however many organizations it holds (each step reads or writes all of them at once, on
 * the plan terms kept in memory): on the embedded engine's one connection, one evaluation per
 * organization took most of the ingest's time. A round that fails is evaluated again one
 * organization at a time, on the plan read afresh, so one organization's bad data holds up none.
 */

/** Where each of the tenant's thresholds stands now: the plan's 80% and 100% of each limit, and its alerts. */
export async function thresholdStandings(ctx: TenantCtx): Promise<metering.ThresholdStanding[]> {
  const customer = await customers.findCustomer(ctx);
  const allowance = await metering.allowanceOf(ctx, customer);
  const alerts = await metering.alertsOf(
    ctx,
    allowance.live.map((sub) => sub.id),
  );
  // What entitlements count as used: units consumed and not released, plus this period's metered use.
  const used = new Map(
    await Promise.all(
      codesOf(allowance, alerts).map(
        async (code) =>
          [code, BigInt((await metering.checkEntitlement(ctx, customer, code, 0)).used)] as const,
      ),
    ),
  );
  return [
    ...usageStandings(allowance, alerts, used),
    ...(await invoiceStandings(ctx, customer, allowance.live, alerts)),
  ];
}

/** The plan's limits that have a number: each has its 80% and 100%. */
const limitedOf = (allowance: metering.PlanAllowance) =>
  allowance.limits.flatMap((l) => (l.limit === null ? [] : [{ feature: l.feature, limit: l.limit }]));

/** The features and metrics whose use the thresholds on units compare with. */
function codesOf(allowance: metering.PlanAllowance, alerts: readonly UsageAlertRow[]): string[] {
  return [
    ...new Set([
      ...limitedOf(allowance).map((l) => l.feature),
      ...alerts.flatMap((a) => (a.metric ? [a.metric] : [])),
    ]),
  ];
}

/** The thresholds on units: the plan's 80% and 100% of each limit, then the customer's alerts on units. */
function usageStandings(
  allowance: metering.PlanAllowance,
  alerts: readonly UsageAlertRow[],
  used: ReadonlyMap<string, bigint>,
): metering.ThresholdStanding[] {
  const subscriptionId = allowance.live[0]?.id ?? null;
  const standings: metering.ThresholdStanding[] = limitedOf(allowance).flatMap(({ feature, limit }) =>
    metering.LIMIT_PERCENTS.map((percent) => ({
      key: `limit/${feature}/${percent}%/${limit}`,
      period: allowance.period,
      subscriptionId,
      alertId: null,
      metric: feature,
      percent,
      // Whole units, rounded up: 80% of a limit of 3 is reached at 3.
      threshold: (BigInt(limit) * BigInt(percent) + 99n) / 100n,
      currency: null,
      value: used.get(feature) ?? 0n,
    })),
  );
  for (const alert of alerts) {
    if (alert.metric === null) continue;
    standings.push({
      key: `alert/${alert.id}`,
      period: allowance.period,
      subscriptionId: alert.subscription_id,
      alertId: alert.id,
      metric: alert.metric,
      percent: null,
      threshold: alert.threshold,
      currency: null,
      value: used.get(alert.metric) ?? 0n,
    });
  }
  return standings;
}

/** The customer's alerts on the upcoming invoice's amount of its live subscriptions `live`. */
async function invoiceStandings(
  ctx: TenantCtx,
  customer: BillingCustomerRow | undefined,
  live: readonly SubscriptionRow[],
  alerts: readonly UsageAlertRow[],
): Promise<metering.ThresholdStanding[]> {
  const onInvoices = live.filter((sub) =>
    alerts.some((a) => a.metric === null && a.subscription_id === sub.id),
  );
  if (onInvoices.length === 0 || !customer) return [];
  const standings: metering.ThresholdStanding[] = [];
  const billed = await customerContext(ctx, customer);
  for (const sub of onInvoices) {
    const upcoming = await upcomingInvoice(billed, sub);
    if (!upcoming) continue;
    for (const alert of alerts) {
      if (alert.metric !== null || alert.subscription_id !== sub.id) continue;
      standings.push({
        key: `alert/${alert.id}`,
        period: { from: sub.current_period_start, to: sub.current_period_end },
        subscriptionId: sub.id,
        alertId: alert.id,
        metric: null,
        percent: null,
        threshold: alert.threshold,
        currency: upcoming.currency,
        value: upcoming.total,
      });
    }
  }
  return standings;
}

/** Terms changing under a round this many times in a row: it gives up (its organizations go one by one). */
const ATTEMPTS = 3;

/** One organization of a round, on the terms it is evaluated on. */
interface RoundMember {
  tenant: TenantCtx;
  customer: BillingCustomerRow | undefined;
  terms: metering.EntitlementTerms;
}

/** Each organization with its terms: from memory unless `reload`, the others loaded together. */
async function withTerms(
  ctx: Ctx,
  of: readonly Omit<RoundMember, 'terms'>[],
  reload: boolean,
): Promise<RoundMember[]> {
  if (of.length === 0) return [];
  const terms = await metering.entitlementTermsOfMany(
    ctx,
    of.map(({ tenant, customer }) => ({ tenant, customer, reload })),
  );
  return of.map((member, i) => ({ ...member, terms: terms[i] as metering.EntitlementTerms }));
}

/**
 * `thresholdStandings` of many organizations, in a fixed number of statements in the common case
 * (their terms in memory and unchanged): their customers, their alerts, then one statement for
 * their stamps and what each uses. An organization whose stamps changed is read again on terms
 * loaded afresh; only an alert on an invoice's amount costs queries of its organization's own.
 */
export async function roundStandings(
  ctx: Ctx,
  orgIds: readonly string[],
): Promise<metering.OrganizationStandings[]> {
  if (orgIds.length === 0) return [];
  const customerOf = new Map(
    (await customers.findCustomers(ctx, orgIds)).map((customer) => [customer.org_id, customer]),
  );
  const alertsOf = new Map<string, UsageAlertRow[]>();
  for (const alert of await metering.alertsOfOrganizations(ctx, orgIds)) {
    const ofOrganization = alertsOf.get(alert.org_id) ?? [];
    ofOrganization.push(alert);
    alertsOf.set(alert.org_id, ofOrganization);
  }
  // The terms in memory, and those of organizations not in memory loaded together.
  const members = await withTerms(
    ctx,
    orgIds.map((orgId) => ({ tenant: tenantContext(ctx, orgId), customer: customerOf.get(orgId) })),
    false,
  );
  // The alerts of the subscriptions live under the member's terms, as `alertsOf` would read them.
  const liveAlerts = ({ tenant, terms }: RoundMember) => {
    const live = new Set(terms.allowance.live.map((sub) => sub.id));
    return (alertsOf.get(tenant.tenant.orgId) ?? []).filter((alert) => live.has(alert.subscription_id));
  };

  const used = new Map<string, ReadonlyMap<string, bigint>>();
  let pending = members;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === ATTEMPTS) {
      // Not a request's error: the round is rolled back and its organizations evaluated one by one.
      throw new Error(`the plans of a round's customers changed ${ATTEMPTS} times while it read them`);
    }
    const read = await metering.readUsed(
      ctx,
      pending.map((member) => ({
        tenant: member.tenant.tenant,
        terms: member.terms,
        codes: codesOf(member.terms.allowance, liveAlerts(member)),
      })),
    );
    const stale: RoundMember[] = [];
    for (const member of pending) {
      const orgId = member.tenant.tenant.orgId;
      const found = read.get(orgId);
      if (found?.termsHold) used.set(orgId, found.used);
      else stale.push(member);
    }
    // Their terms changed since they were kept: loaded afresh, together, and read again.
    const reloaded = await withTerms(ctx, stale, true);
    for (const member of reloaded) {
      const kept = members.findIndex((m) => m.tenant.tenant.orgId === member.tenant.tenant.orgId);
      members[kept] = member;
    }
    pending = reloaded;
  }

  const round: metering.OrganizationStandings[] = [];
  for (const member of members) {
    const orgId = member.tenant.tenant.orgId;
    const alerts = liveAlerts(member);
    const standings = usageStandings(member.terms.allowance, alerts, used.get(orgId) ?? new Map());
    if (member.customer && alerts.some((alert) => alert.metric === null)) {
      // The subscriptions as they are now: an invoice is priced from what the terms do not keep
      // (a change scheduled for the renewal).
      const live = await subscriptions.liveSubscriptions(member.tenant);
      standings.push(...(await invoiceStandings(member.tenant, member.customer, live, alerts)));
    }
    round.push({ orgId, standings });
  }
  return round;
}

/**
 * Evaluates the tenant whose usage changed: takes its checks and settles its thresholds in one
 * transaction. Nothing to take (another evaluation holds them, or took them already): nothing done.
 * The one-at-a-time path, on the plan read afresh: what a round falls back to when it fails.
 */
export async function evaluateUsageAlerts(
  ctx: TenantCtx,
): Promise<{ evaluated: boolean; reached: number; resolved: number }> {
  return withTransaction(ctx, async (tx) => {
    if (!(await metering.takeChecks(tx))) return { evaluated: false, reached: 0, resolved: 0 };
    const told = await metering.settleThresholds(tx, await thresholdStandings(tx));
    return { evaluated: true, reached: told.reached.length, resolved: told.resolved.length };
  });
}

/**
 * Evaluates the organizations `orgIds` whose usage changed, together: takes their checks and
 * settles their thresholds in one transaction. Returns the organizations evaluated: those whose
 * checks it took (none that another evaluation holds, or took already).
 */
export async function evaluateRound(
  ctx: Ctx,
  orgIds: readonly string[],
): Promise<{ evaluated: string[]; reached: number; resolved: number }> {
  return withTransaction(ctx, async (tx) => {
    const taken = await metering.takeRoundChecks(tx, orgIds);
    const told = await metering.settleRound(tx, await roundStandings(tx, taken));
    return { evaluated: taken, reached: told.reached.length, resolved: told.resolved.length };
  });
}

/** Organizations evaluated per round. */
const ROUND = 100;

/**
 * Evaluates the organizations waiting, `ROUND` at a time, until none waits or a round evaluates
 * fewer than it found (they failed: logged, and tried again at the next change or minute; or another
 * evaluation holds them). A round that fails is rolled back and its organizations evaluated one at
 * a time, so one whose data trips the evaluation does not hold up the others. Returns how many were
 * evaluated.
 */
export async function evaluateWaiting(ctx: Ctx): Promise<number> {
  let evaluated = 0;
  for (;;) {
    const waiting = await metering.organizationsToCheck(ctx, ROUND);
    if (waiting.length === 0) return evaluated;
    let round = 0;
    try {
      round = (await evaluateRound(ctx, waiting)).evaluated.length;
    } catch (error) {
      ctx.log.error({ err: error, org_ids: waiting }, 'usage alerts could not be evaluated together');
      round = await evaluateOneByOne(ctx, waiting);
    }
    evaluated += round;
    if (waiting.length < ROUND || round < waiting.length) return evaluated;
  }
}

/** Each organization in a transaction of its own; one that fails is logged and left waiting. */
async function evaluateOneByOne(ctx: Ctx, orgIds: readonly string[]): Promise<number> {
  let evaluated = 0;
  for (const orgId of orgIds) {
    try {
      if ((await evaluateUsageAlerts(tenantContext(ctx, orgId))).evaluated) evaluated++;
    } catch (error) {
      ctx.log.error({ err: error, org_id: orgId }, 'usage alerts could not be evaluated');
    }
  }
  return evaluated;
}

/**
 * This process's evaluator: told after a change commits, it evaluates shortly after (changes in the
 * meantime are evaluated together), one round at a time, so a burst of batches costs one evaluation
 * per organization rather than one per batch.
 */
export class UsageAlertEvaluator {
  readonly #ctx: Ctx;
  readonly #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(ctx: Ctx, options: { delayMs?: number } = {}) {
    this.#ctx = ctx;
    this.#delayMs = options.delayMs ?? 100;
  }

  /** Usage changed in a transaction that has committed. */
  usageChanged(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#run(), this.#delayMs);
    // A pending evaluation does not keep the process alive: the minutely job finishes what is left.
    this.#timer.unref();
  }

  /** Resolves once nothing is waiting to run in this process. */
  async idle(): Promise<void> {
    while (this.#timer || this.#running) {
      if (this.#running) await this.#running;
      else await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #run(): void {
    this.#timer = undefined;
    const rounds = async () => {
      for (;;) {
        this.#again = false;
        try {
          await evaluateWaiting(this.#ctx);
        } catch (error) {
          this.#ctx.log.error({ err: error }, 'usage alerts could not be evaluated');
        }
        // Checked and cleared together, with no await between: a change told meanwhile runs again.
        if (!this.#again || this.#closed) {
          this.#running = undefined;
          return;
        }
      }
    };
    this.#running = rounds();
  }
}
