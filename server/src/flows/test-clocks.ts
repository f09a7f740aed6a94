import { Temporal } from 'temporal-polyfill';
import { withTransaction } from '../context.js';
import { invalid } from '../errors.js';
import type { TenantCtx } from '../tenant.js';
import * as testClocks from '../test-clocks/index.js';
import { type BillingRunDeps, type BillingRunReport, runBilling } from './billing-run.js';

/**
 * Moving a test clock forward runs everything that would have run meanwhile, in order: the clock
 * steps to the next moment something is due (a period end, a retry, a month's close), the billing
 * run does it, and so on until the target. A retry on day 3 happens on day 3, before day 5's.
 */
export async function advanceTestClock(
  ctx: TenantCtx,
  deps: BillingRunDeps,
  clockId: string,
  target: Temporal.Instant,
): Promise<{ clock: Awaited<ReturnType<typeof testClocks.getTestClock>>; report: BillingRunReport }> {
  let clock = await testClocks.getTestClock(ctx, clockId);
  if (Temporal.Instant.compare(target, Temporal.Instant.from(clock.frozen_time.toISOString())) <= 0) {
    throw invalid('test_clock.not_forward', 'A test clock only moves forward', 'frozen_time');
  }
  const total: BillingRunReport = { renewed: 0, charged: 0, failed: 0, closed: 0 };
  // Work that stays due after a run (a gateway that did not answer) must not hold the clock still.
  let stalled = false;
  for (;;) {
    const frozen = Temporal.Instant.from(clock.frozen_time.toISOString());
    const due = await testClocks.nextDueInstant(ctx);
    let step = target;
    if (!stalled && due && Temporal.Instant.compare(due, target) < 0) {
      step = Temporal.Instant.compare(due, frozen) > 0 ? due : frozen;
    }
    const current = clock;
    clock = await withTransaction(ctx, (tx) => testClocks.setFrozenTime(tx, current, step));
    const at = step;
    // The billing run of this organization alone, at the clock's time.
    const report = await runBilling({ ...ctx, clock: { now: () => at } }, deps, { only: [ctx.tenant.orgId] });
    total.renewed += report.renewed;
    total.charged += report.charged;
    total.failed += report.failed;
    total.closed += report.closed;
    const didNothing = report.renewed + report.charged + report.failed + report.closed === 0;
    stalled = didNothing && Temporal.Instant.compare(step, frozen) <= 0;
    if (Temporal.Instant.compare(step, target) === 0) return { clock, report: total };
  }
}
