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
import * as invoicing from '../invoicing/index.js';
import * as payments from '../payments/index.js';
import * as subscriptions from '../subscriptions/index.js';
import { type CustomerCtx, customerContext, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { BillingRunDeps } from './billing-run.js';
import { applyPayment, applyPayments, type BatchPayment } from './invoice-ledger.js';
import { ledgerAccount } from './subscription-billing.js';
import { releaseIfSettled } from './subscription-lifecycle.js';

/**
 * Collections (C18, C19): open invoices charged to the customer's saved card, and what each charge's
 * outcome does: the invoice paid (and its subscription active again), or a failed attempt on the
 * dunning schedule.
 *
 * The gateway is called for each invoice outside any transaction, under a key that names the invoice
 * and the attempt (`invoice:<id>:attempt:<n>`), so the same attempt repeated (a crash, a second
 * worker) is one charge. The answers of a page of charges are then recorded together in one
 * transaction, with multi-row statements: a crash before it commits records none of them, and the
 * next run asks the gateway again with the same keys, which answers with the same charges.
 */

export type CollectionOutcome = 'paid' | 'failed' | 'pending' | 'skipped';

/** Charges answered by the gateway, recorded a page at a time: one transaction each. */
const PAGE = 100;

export const DEFAULT_CHARGE_CONCURRENCY = 8;

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

/** A charge the gateway has answered, not yet recorded here. */
interface AnsweredCharge {
  ctx: CustomerCtx;
  gateway: payments.PaymentGateway;
  charge: payments.SavedMethodCharge;
  answer: payments.GatewayPayment;
  /** The invoice as it was charged: its subscription, number and attempt do not change meanwhile. */
  invoice: InvoiceRow;
  lines?: InvoiceLineRow[];
}

/**
 * The billing run's collections: each of `due` (across organizations) charged in its own tenant
 * context, at most `concurrency` at the gateway at once, and the answers recorded a page at a time.
 * Returns each invoice's outcome, in no particular order.
 */
export async function collectInvoices(
  ctx: Ctx,
  deps: BillingRunDeps,
  due: readonly { org_id: string; id: string }[],
): Promise<CollectionOutcome[]> {
  const known = await loadForCollection(ctx, due);
  const outcomes: CollectionOutcome[] = [];
  for (let start = 0; start < due.length; start += PAGE) {
    const answered: AnsweredCharge[] = [];
    await eachConcurrently(
      due.slice(start, start + PAGE),
      deps.chargeConcurrency ?? DEFAULT_CHARGE_CONCURRENCY,
      async (item) => {
        const charged = await chargeInvoice(tenantContext(ctx, item.org_id), deps, item.id, {
          known: known.get(item.id),
        });
        if (typeof charged === 'string') outcomes.push(charged);
        else answered.push(charged);
      },
    );
    outcomes.push(...(await recordAnswers(ctx, answered)));
  }
  return outcomes;
}

/**
 * Charges an open invoice's amount due to the customer's default method, and records the outcome.
 * `now`: the customer pays an open invoice with the saved card (a new one, often) this moment, due
 * or not.
 */
export async function collectInvoice(
  ctx: TenantCtx,
  deps: BillingRunDeps,
  invoiceId: string,
  options: { now?: boolean } = {},
): Promise<CollectionOutcome> {
  const charged = await chargeInvoice(ctx, deps, invoiceId, options);
  if (typeof charged === 'string') return charged;
  const [outcome] = await recordAnswers(ctx, [charged]);
  return outcome ?? 'skipped';
}

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
 * Asks the gateway to charge an open invoice's amount due to the customer's default method; nothing
 * is recorded here. Returns the gateway's answer, or the outcome when there was nothing to charge
 * (skipped), nothing to charge it to (failed, settled now), or no answer (pending: the next run asks
 * again with the same key).
 */
async function chargeInvoice(
  ctx: TenantCtx,
  deps: BillingRunDeps,
  invoiceId: string,
  options: { now?: boolean; known?: KnownForCollection | undefined },
): Promise<AnsweredCharge | CollectionOutcome> {
  const { known } = options;
  const customer = known?.customer ?? (await customers.getCustomer(ctx));
  const cctx = await customerContext(ctx, customer);
  const invoice = known?.invoice ?? (await invoicing.getInvoice(cctx, invoiceId));
  const due = invoicing.amountDue(invoice);
  const scheduled =
    invoice.auto_charge &&
    invoice.next_attempt_at !== null &&
    invoice.next_attempt_at <= toDate(cctx.clock.now());
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
  try {
    const answer = await payments.chargeAtGateway(cctx, gateway, charge);
    return { ctx: cctx, gateway, charge, answer, invoice, ...(known ? { lines: known.lines } : {}) };
  } catch (error) {
    // The gateway did not answer: nothing is recorded, and the next run asks again with the same key.
    cctx.log.warn({ err: error, invoice: invoice.id }, 'automatic charge did not complete');
    return 'pending';
  }
}

/**
 * The gateway's answers for a page of charges, recorded in one transaction: the payments, and what
 * each settles. Succeeded payments are applied together (`applyPayments`); anything else (a decline,
 * a debit still processing, a payment some webhook recorded first) goes through `settleLocked` one
 * at a time, as it does outside a run.
 *
 * Locks are taken subscriptions first, then invoices, each set in key order, as every settlement
 * does: two runs recording overlapping pages wait for each other instead of deadlocking.
 */
async function recordAnswers(ctx: Ctx, answered: readonly AnsweredCharge[]): Promise<CollectionOutcome[]> {
  if (answered.length === 0) return [];
  return withTransaction(ctx, async (tx) => {
    const subs = new Map(
      (
        await subscriptions.lockSubscriptions(
          tx,
          answered.flatMap(({ invoice }) =>
            invoice.subscription_id ? [{ org_id: invoice.org_id, id: invoice.subscription_id }] : [],
          ),
        )
      ).map((sub) => [`${sub.org_id}|${sub.id}`, sub]),
    );
    const outcomes: CollectionOutcome[] = [];
    // Customers on one test clock share its time; everyone else shares the run's.
    const byClock = new Map<string, AnsweredCharge[]>();
    for (const item of answered) {
      const clock = item.ctx.customer.test_clock_id ?? '';
      const page = byClock.get(clock);
      if (page) page.push(item);
      else byClock.set(clock, [item]);
    }
    for (const page of byClock.values()) {
      const clocked: Ctx = { ...tx, clock: (page[0] as AnsweredCharge).ctx.clock };
      const recorded = await payments.recordPayments(
        clocked,
        page.map(({ ctx: cctx, gateway, charge, answer }) => ({
          orgId: cctx.tenant.orgId,
          customerId: charge.customerId,
          gateway: gateway.name,
          checkoutSessionId: null,
          invoiceId: charge.invoiceId ?? null,
          payment: answer,
        })),
      );
      const together: { item: AnsweredCharge; payment: PaymentRow; sub: SubscriptionRow }[] = [];
      for (const [i, item] of page.entries()) {
        const payment = recorded[i] as PaymentRow;
        const sub = subs.get(`${item.invoice.org_id}|${item.invoice.subscription_id}`);
        if (payment.status === 'succeeded' && payment.invoice_id === item.invoice.id && sub) {
          together.push({ item, payment, sub });
          continue;
        }
        outcomes.push(
          await settleLocked({ ...item.ctx, db: tx.db }, payment, {
            attempt: item.invoice.attempt_count,
            customer: item.ctx.customer,
            invoice: item.invoice,
            ...(item.lines ? { lines: item.lines } : {}),
          }),
        );
      }
      outcomes.push(...(await applyTogether(clocked, together)));
    }
    return outcomes;
  });
}

/** Succeeded payments of a page, each with its subscription locked: applied with multi-row statements. */
async function applyTogether(
  tx: Ctx,
  together: readonly { item: AnsweredCharge; payment: PaymentRow; sub: SubscriptionRow }[],
): Promise<CollectionOutcome[]> {
  if (together.length === 0) return [];
  const invoices = new Map(
    (
      await invoicing.lockInvoices(
        tx,
        together.map(({ item }) => item.invoice),
      )
    ).map((row) => [row.id, row]),
  );
  const lines = new Map(together.flatMap(({ item }) => (item.lines ? [[item.invoice.id, item.lines]] : [])));
  const unread = together.filter(({ item }) => !item.lines).map(({ item }) => item.invoice);
  for (const [id, of] of await invoicing.linesOfInvoices(tx, unread)) lines.set(id, of);
  const batch: (BatchPayment & { item: AnsweredCharge; sub: SubscriptionRow })[] = together.map(
    ({ item, payment, sub }) => ({
      item,
      sub,
      payment,
      invoice: invoices.get(item.invoice.id) as InvoiceRow,
      account: ledgerAccount(sub, item.ctx.customer),
    }),
  );
  const { deferred } = await applyPayments(tx, batch, lines);
  // A payment for a month already closed: its entry goes late into the open month, one at a time.
  for (const late of deferred as typeof batch) {
    await applyPayment({ ...late.item.ctx, db: tx.db }, late.invoice.id, late.payment, late.account, {
      lines: lines.get(late.invoice.id) ?? [],
    });
  }
  // A subscription held for payment is active again once it owes nothing (once, if it had two invoices).
  const bySubscription = new Map(batch.map((paid) => [`${paid.sub.org_id}|${paid.sub.id}`, paid]));
  for (const { item, sub } of bySubscription.values()) {
    await releaseIfSettled(
      { ...item.ctx, db: tx.db },
      sub,
      item.ctx.customer,
      `Invoice ${item.invoice.number} paid`,
    );
  }
  return batch.map(() => 'paid' as const);
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
