import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import * as metering from '../metering/index.js';
import { customerContext, type TenantCtx, tenantContext } from '../tenant.js';
import { upcomingInvoice } from './subscription-billing.js';

/**
 * Usage alerts evaluated (C24): what the tenant's thresholds stand at, and the process's evaluator
 * that looks at the organizations whose usage changed, soon after the change commits.
 *
 * An ingest batch or a consume appends a check row for each organization it changed, in its own
 * transaction (metering/alerts.ts), then wakes this process's evaluator. The evaluator takes an
 * organization's checks and settles its thresholds in one transaction: a crash before it commits
 * leaves the checks for the next evaluation or the minutely job, so no change goes unlooked at, and
 * the ingest never waits for an evaluation.
 */

/** Where each of the tenant's thresholds stands now: the plan's 80% and 100% of each limit, and its alerts. */
export async function thresholdStandings(ctx: TenantCtx): Promise<metering.ThresholdStanding[]> {
  const customer = await customers.findCustomer(ctx);
  const allowance = await metering.allowanceOf(ctx, customer);
  const { live } = allowance;
  const alerts = await metering.alertsOf(
    ctx,
    live.map((sub) => sub.id),
  );
  const limited = allowance.limits.flatMap((l) =>
    l.limit === null ? [] : [{ feature: l.feature, limit: l.limit }],
  );
  const codes = new Set([
    ...limited.map((l) => l.feature),
    ...alerts.flatMap((a) => (a.metric ? [a.metric] : [])),
  ]);
  // What entitlements count as used: units consumed and not released, plus this period's metered use.
  const used = new Map(
    await Promise.all(
      [...codes].map(
        async (code) =>
          [code, BigInt((await metering.checkEntitlement(ctx, customer, code, 0)).used)] as const,
      ),
    ),
  );
  const subscriptionId = live[0]?.id ?? null;
  const standings: metering.ThresholdStanding[] = limited.flatMap(({ feature, limit }) =>
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
  const onInvoices = live.filter((sub) =>
    alerts.some((a) => a.metric === null && a.subscription_id === sub.id),
  );
  if (onInvoices.length > 0 && customer) {
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
  }
  return standings;
}

/**
 * Evaluates the tenant whose usage changed: takes its checks and settles its thresholds in one
 * transaction. Nothing to take (another evaluation holds them, or took them already): nothing done.
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

/** Organizations evaluated per round. */
const ROUND = 100;

/**
 * Evaluates the organizations waiting, `ROUND` at a time, until none waits or a round evaluates
 * fewer than it found (they failed: logged, and tried again at the next change or minute; or another
 * evaluation holds them). Returns how many were evaluated.
 */
export async function evaluateWaiting(ctx: Ctx): Promise<number> {
  let evaluated = 0;
  for (;;) {
    const waiting = await metering.organizationsToCheck(ctx, ROUND);
    let round = 0;
    for (const orgId of waiting) {
      try {
        if ((await evaluateUsageAlerts(tenantContext(ctx, orgId))).evaluated) round++;
      } catch (error) {
        ctx.log.error({ err: error, org_id: orgId }, 'usage alerts could not be evaluated');
      }
    }
    evaluated += round;
    if (waiting.length < ROUND || round < waiting.length) return evaluated;
  }
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
