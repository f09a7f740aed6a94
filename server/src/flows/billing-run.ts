import { type Ctx, withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import type {
  BillingCustomerRow,
  DunningFinalStep,
  InvoiceLineRow,
  InvoiceRow,
  PaymentMethodRow,
  PaymentRow,
  SubscriptionRow,
} from '../db/schema.js';
import type { BillingScope } from '../db/scope.js';
import * as invoicing from '../invoicing/index.js';
import * as ledger from '../ledger/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { customerContext, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import { completePlanChange } from './change-plan.js';
import { settleExpiredCheckouts } from './checkout.js';
import { applyPayment } from './invoice-ledger.js';
import { refundConflictingPayments } from './plan-conflicts.js';
import { type RenewalPass, RunMemo, renewDue, renewLocked } from './renewals.js';
import { ledgerAccount } from './subscription-billing.js';

export { RunMemo };

import { releaseIfSettled } from './subscription-lifecycle.js';

/**
 * The billing run (C18, C19, C27): whatever has come due by now, done once. Periods that ended are
 * renewed and their invoices issued; open invoices whose attempt is due are charged to the saved
 * card (and retried on the dunning schedule); statements whose month ended are closed.
 *
 * Due work is data, not timers: every item is found by a query on "due by now", done in its own
 * transaction under a row lock, and leaves a state in which finding it again does nothing. So a crash
 * at any point, a second worker, or a retried job repeats nothing, and a test clock only has to say
 * what "now" is. A card is charged outside any transaction with a key per invoice and attempt: a
 * repeated call after a crash is the same charge at the gateway.
 */

export interface BillingRunDeps {
  gateways: payments.GatewayRegistry;
  /** Cards charged at once (BILLFOLD_CHARGE_CONCURRENCY); 8 when not given. */
  chargeConcurrency?: number;
}

export const DEFAULT_CHARGE_CONCURRENCY = 8;

/**
 * Runs `work` on each item, at most `limit` at a time. The charges of a run wait on the gateway's
 * network more than on anything here: a few at once keep both the gateway and the database busy.
 */
async function eachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
    // Each charge is its own: outside any transaction, under its key per invoice and attempt.
    const toCollect = await invoicing.invoicesToCollect(ctx, now, within);
    const known = await loadForCollection(ctx, toCollect);
    await eachConcurrently(toCollect, deps.chargeConcurrency ?? DEFAULT_CHARGE_CONCURRENCY, async (due) => {
      const tenant = tenantContext(ctx, due.org_id);
      const outcome = await collectInvoice(tenant, deps, due.id, { known: known.get(due.id) });
      if (outcome === 'paid') report.charged++;
      if (outcome === 'failed') report.failed++;
    });
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

export type CollectionOutcome = 'paid' | 'failed' | 'pending' | 'skipped';

/** What charging an invoice reads before the gateway is called, loaded for a run's batch at once. */
export interface KnownForCollection {
  invoice: InvoiceRow;
  /** Its lines, for the event that says it was paid. */
  lines: InvoiceLineRow[];
  customer: BillingCustomerRow;
  methods: PaymentMethodRow[];
  /** The gateway customers already known, by gateway. */
  gatewayCustomers: Map<string, string>;
}

/** The invoices, their lines, customers, saved methods and gateway customers of `due`: five queries. */
async function loadForCollection(
  ctx: Ctx,
  due: readonly { org_id: string; id: string }[],
): Promise<Map<string, KnownForCollection>> {
  const orgIds = [...new Set(due.map((d) => d.org_id))];
  const [invoices, lines, customerRows, methods, gatewayCustomers] = await Promise.all([
    invoicing.invoicesByRefs(ctx, due),
    invoicing.linesOfInvoices(ctx, due),
    customers.findCustomers(ctx, orgIds),
    customers.paymentMethodsOf(ctx, orgIds),
    payments.knownGatewayCustomerRefs(ctx, orgIds),
  ]);
  // By organization first: a batch is hundreds of invoices, each looked up once.
  const customerOf = new Map(customerRows.map((c) => [c.org_id, c]));
  const methodsOf = new Map<string, PaymentMethodRow[]>();
  for (const method of methods)
    methodsOf.set(method.org_id, [...(methodsOf.get(method.org_id) ?? []), method]);
  const gatewayCustomersOf = new Map<string, Map<string, string>>();
  for (const [key, ref] of gatewayCustomers) {
    // `${org_id}|${gateway}`: a gateway's name has no bar.
    const bar = key.lastIndexOf('|');
    const orgId = key.slice(0, bar);
    const gateway = key.slice(bar + 1);
    const refs = gatewayCustomersOf.get(orgId) ?? new Map<string, string>();
    refs.set(gateway, ref);
    gatewayCustomersOf.set(orgId, refs);
  }
  const known = new Map<string, KnownForCollection>();
  for (const invoice of invoices) {
    const customer = customerOf.get(invoice.org_id);
    if (!customer) continue;
    known.set(invoice.id, {
      invoice,
      lines: lines.get(invoice.id) ?? [],
      customer,
      methods: methodsOf.get(invoice.org_id) ?? [],
      gatewayCustomers: gatewayCustomersOf.get(invoice.org_id) ?? new Map(),
    });
  }
  return known;
}

/**
 * Charges an open invoice's amount due to the customer's default method. The gateway's key names the
 * invoice and the attempt, so the same attempt repeated (a crash, a second worker) is one charge.
 */
export async function collectInvoice(
  ctx: TenantCtx,
  deps: BillingRunDeps,
  invoiceId: string,
  options: { now?: boolean; known?: KnownForCollection | undefined } = {},
): Promise<CollectionOutcome> {
  const { known } = options;
  const customer = known?.customer ?? (await customers.getCustomer(ctx));
  const cctx = await customerContext(ctx, customer);
  const invoice = known?.invoice ?? (await invoicing.getInvoice(cctx, invoiceId));
  const due = invoicing.amountDue(invoice);
  const scheduled =
    invoice.auto_charge &&
    invoice.next_attempt_at !== null &&
    invoice.next_attempt_at <= toDate(cctx.clock.now());
  // `now`: the customer pays an open invoice with the saved card (a new one, often) this moment.
  if (invoice.status !== 'open' || due === 0n || !(scheduled || options.now)) return 'skipped';
  const method = (known?.methods ?? (await customers.listPaymentMethods(cctx))).find((m) => m.is_default);
  if (!method || !deps.gateways.has(method.gateway)) {
    await settleFailure(cctx, invoice, 'No saved payment method to charge');
    return 'failed';
  }
  const gateway = deps.gateways.get(method.gateway);
  const charge: payments.SavedMethodCharge = {
    customerId: customer.id,
    gatewayCustomerRef:
      known?.gatewayCustomers.get(gateway.name) ??
      (await payments.gatewayCustomerRef(cctx, gateway, customer)),
    paymentMethodRef: method.gateway_ref,
    amount: due,
    currency: invoice.currency,
    description: `Invoice ${invoice.number}`,
    idempotencyKey: `invoice:${invoice.id}:attempt:${invoice.attempt_count}`,
    invoiceId: invoice.id,
  };
  let answer: Awaited<ReturnType<typeof payments.chargeAtGateway>>;
  try {
    answer = await payments.chargeAtGateway(cctx, gateway, charge);
  } catch (error) {
    // The gateway did not answer: nothing is recorded, and the next run asks again with the same key.
    cctx.log.warn({ err: error, invoice: invoice.id }, 'automatic charge did not complete');
    return 'pending';
  }
  // The payment and what it settles, in one transaction: a crash before it commits records neither,
  // and the next run asks the gateway again with the same key, which answers with the same charge.
  return withTransaction(cctx, async (tx) =>
    settleLocked(tx, await payments.recordCharge(tx, gateway, charge, answer), {
      attempt: invoice.attempt_count,
      customer,
      invoice,
      ...(known ? { lines: known.lines } : {}),
    }),
  );
}

/**
 * Applies a charge's outcome to the invoice it was for: paid (and the subscription active again), or
 * a failed attempt on the dunning schedule. A payment still processing (a mandate debit) waits for
 * its webhook, which calls this again.
 */
export async function settleInvoicePayment(
  ctx: TenantCtx,
  payment: PaymentRow,
  attempt?: number,
  knownCustomer?: BillingCustomerRow,
): Promise<CollectionOutcome> {
  return withTransaction(ctx, (tx) =>
    settleLocked(tx, payment, {
      ...(attempt === undefined ? {} : { attempt }),
      ...(knownCustomer ? { customer: knownCustomer } : {}),
    }),
  );
}

/**
 * `settleInvoicePayment` inside the caller's transaction. `known`: what the caller has read already
 * (the invoice as it was charged: its subscription and number do not change).
 */
async function settleLocked(
  tx: TenantCtx,
  payment: PaymentRow,
  known: { attempt?: number; customer?: BillingCustomerRow; invoice?: InvoiceRow; lines?: InvoiceLineRow[] },
): Promise<CollectionOutcome> {
  if (!payment.invoice_id) return 'skipped';
  const invoiceId = payment.invoice_id;
  if (payment.status === 'processing') {
    // No new attempt while this one is under way; its webhook settles it.
    await invoicing.awaitPaymentOutcome(tx, invoiceId);
    return 'pending';
  }
  const invoice = known.invoice?.id === invoiceId ? known.invoice : await invoicing.getInvoice(tx, invoiceId);
  const customer = known.customer ?? (await customers.getCustomer(tx));
  if (!invoice.subscription_id) return 'skipped';
  const sub = await subscriptions.getSubscription(tx, invoice.subscription_id, 'wait');
  if (payment.status === 'succeeded') {
    await applyPayment(
      tx,
      invoiceId,
      payment,
      ledgerAccount(sub, customer),
      known.lines ? { lines: known.lines } : {},
    );
    await releaseIfSettled(tx, sub, customer, `Invoice ${invoice.number} paid`);
    return 'paid';
  }
  await settleFailure(tx, invoice, payment.failure_message ?? 'The card was declined', known.attempt);
  return 'failed';
}

/**
 * The last retry failed: the issuer's setting says what becomes of the subscription. `keep` goes on
 * invoicing it (unpaid), `pause` stops its renewals until it owes nothing (then it resumes, the
 * paused days not billed), `cancel` ends it now; in every case the invoice stays owed.
 */
async function takeFinalStep(tx: TenantCtx, sub: SubscriptionRow, step: DunningFinalStep, reason: string) {
  // A subscription the customer paused or ended meanwhile is left as it is.
  if (!subscriptions.RENEWABLE.includes(sub.status)) return;
  const pastDue =
    sub.status === 'active' || sub.status === 'trialing'
      ? await subscriptions.transition(tx, sub, 'past_due', reason)
      : sub;
  if (step === 'keep') await subscriptions.transition(tx, pastDue, 'unpaid', reason);
  if (step === 'pause') await subscriptions.transition(tx, pastDue, 'paused', reason, { forPayment: true });
  if (step === 'cancel') await subscriptions.transition(tx, pastDue, 'cancelled', reason);
}

/** A failed attempt at an invoice: the next on the dunning schedule, or the last step after the last. */
export async function settleFailure(
  ctx: TenantCtx,
  invoice: InvoiceRow,
  why: string,
  attempt = invoice.attempt_count,
) {
  await withTransaction(ctx, async (tx) => {
    if (!invoice.subscription_id) return;
    const sub = await subscriptions.getSubscription(tx, invoice.subscription_id, 'wait');
    const {
      recorded,
      exhausted,
      finalStep,
      invoice: updated,
    } = await invoicing.recordFailedAttempt(tx, invoice.id, attempt, sub.time_zone);
    if (!recorded) return;
    if (exhausted) {
      await takeFinalStep(tx, sub, finalStep, `${invoice.number} unpaid after the last retry: ${why}`);
    } else if (sub.status === 'active' || sub.status === 'trialing') {
      await subscriptions.transition(tx, sub, 'past_due', `Payment of ${invoice.number} failed: ${why}`);
    }
    // Emails are logged until notifications exist: what the customer would be told, and when.
    tx.log.info(
      {
        email: 'invoice.payment_failed',
        org_id: invoice.org_id,
        invoice: invoice.number,
        attempt: updated.attempt_count,
        next_attempt_at: updated.next_attempt_at?.toISOString() ?? null,
      },
      `Payment of ${invoice.number} failed: ${why}`,
    );
  });
}
