import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type { BillingScope } from '../db/scope.js';
import * as invoicing from '../invoicing/index.js';
import * as ledger from '../ledger/index.js';
import type * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { customerContext, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import { completePlanChange } from './change-plan.js';
import { settleExpiredCheckouts } from './checkout.js';
import { collectInvoices } from './collections.js';
import { refundConflictingPayments } from './plan-conflicts.js';
import { type RenewalPass, RunMemo, renewDue, renewLocked } from './renewals.js';
import { billDueUsageInAdvance } from './usage-billing.js';

export { RunMemo };

/**
 * The billing run (C18, C19, C27): whatever has come due by now, done once. Periods that ended are
 * renewed and their invoices issued; open invoices whose attempt is due are charged to the saved
 * card (and retried on the dunning schedule); statements whose month ended are closed.
 *
 * Due work is data, not timers: every item is found by a query on "due by now", done in its own
 * transaction under a row lock, and leaves a state in which finding it again does nothing. So a crash
 * at any point, a second worker, or a retried job repeats nothing, and a test clock only has to say
 * what "now" is. Charges are collections' (see collections.ts): a card is charged outside any
 * transaction with a key per invoice and attempt, so a repeated call after a crash is the same charge.
 */

export interface BillingRunDeps {
  gateways: payments.GatewayRegistry;
  /** Cards charged at once (BILLFOLD_CHARGE_CONCURRENCY); 8 when not given. */
  chargeConcurrency?: number;
}

export interface BillingRunReport {
  renewed: number;
  charged: number;
  failed: number;
  closed: number;
  /** Subscriptions whose renewal failed alone (bad data): logged, left due for the next run. */
  setAside?: RenewalPass['setAside'];
}

/**
 * Runs everything due for the organizations in `scope` until nothing is left. Without a scope it
 * covers every organization except those whose customer is on a test clock (their time is their own).
 *
 * The run acts for many tenants: its queries for due work (`renewDue`, `invoicesToCollect`,
 * `statementsToClose`, ...) deliberately cross organizations, filtered by `scope`; each item found is
 * then done in its own organization's tenant context.
 */
export async function runBilling(
  ctx: Ctx,
  deps: BillingRunDeps,
  scope?: BillingScope,
): Promise<BillingRunReport> {
  const within: BillingScope = scope ?? { except: await customers.orgsOnTestClocks(ctx) };
  const memo = new RunMemo();
  const setAside = new Set<string>();
  const report: BillingRunReport = { renewed: 0, charged: 0, failed: 0, closed: 0 };
  // Payments owed back whose refund a crash (or a gateway that did not answer) left unfinished.
  await refundConflictingPayments(ctx, deps.gateways, within);
  // Credit held by checkouts that expired goes back to the balance before renewals spend it.
  await settleExpiredCheckouts(ctx, deps.gateways, within);
  // Usage paid in advance that its job has not billed yet (lost in a crash, or still queued).
  await billDueUsageInAdvance(ctx, within);
  for (;;) {
    const before = report.renewed + report.charged + report.failed + report.closed;
    const now = toDate(ctx.clock.now());
    for (const draft of await invoicing.abandonedChangeDrafts(
      ctx,
      toDate(ctx.clock.now().subtract({ minutes: 10 })),
      within,
    )) {
      // A plan change interrupted after its claim: finish it with the same key, or withdraw it.
      await completePlanChange(tenantContext(ctx, draft.org_id), deps, draft).catch((error) =>
        ctx.log.warn({ err: error, invoice: draft.id }, 'an interrupted plan change was withdrawn'),
      );
    }
    const renewals = await renewDue(ctx, within, memo, setAside);
    report.renewed += renewals.renewed;
    if (renewals.setAside.length > 0) report.setAside = [...(report.setAside ?? []), ...renewals.setAside];
    // Each charge is its own at the gateway (its key names the invoice and the attempt); their
    // answers are recorded a page at a time.
    for (const outcome of await collectInvoices(
      ctx,
      deps,
      await invoicing.invoicesToCollect(ctx, now, within),
    )) {
      if (outcome === 'paid') report.charged++;
      if (outcome === 'failed') report.failed++;
    }
    for (const due of await ledger.statementsToClose(ctx, now, within)) {
      await withTransaction(tenantContext(ctx, due.org_id), (tx) => ledger.closeStatement(tx, due.id));
      report.closed++;
    }
    // A subscription several periods behind (a clock moved far) renews once per pass; stop when a
    // pass does nothing (what is left waits for a gateway that did not answer).
    if (report.renewed + report.charged + report.failed + report.closed === before) return report;
  }
}

/**
 * The period has ended: renews one subscription by itself (see `renewLocked`). Returns false when it
 * is not due, or another worker did it first.
 */
export async function renewSubscription(
  ctx: TenantCtx,
  subscriptionId: string,
  memo: RunMemo = new RunMemo(),
): Promise<boolean> {
  return withTransaction(ctx, async (tx) => {
    const sub = await subscriptions.getSubscription(tx, subscriptionId, 'wait');
    const customer = await customers.getCustomer(tx);
    return renewLocked(await customerContext(tx, customer), sub, memo);
  });
}
