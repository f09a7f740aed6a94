import { sql } from 'kysely';
import { recordAudit, recordAudits } from '../access/index.js';
import { amountJson } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { CheckoutSessionRow, GatewayName, PaymentRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import * as events from '../events/index.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { CheckoutSessionObject, PaymentConflictObject, PaymentObject } from './payments.schema.js';
import type { GatewayPayment, PaymentGateway } from './port.js';

/**
 * Our records of what happens at gateways: the customer's reference at each gateway, the checkout
 * sessions we opened and the payments they made. A gateway's answer is applied once: the checkout's
 * row is locked and only an open session moves on, so the return from the hosted page and the
 * webhook, whichever comes first, apply it and the other changes nothing.
 */

/**
 * The gateway customers already known for several organizations, by `${org_id}|${gateway}`: across
 * organizations on purpose (a batch of the billing run).
 */
export async function knownGatewayCustomerRefs(
  ctx: Ctx,
  orgIds: readonly string[],
): Promise<Map<string, string>> {
  if (orgIds.length === 0) return new Map();
  const rows = await ctx.db
    .selectFrom('gateway_customers')
    .select(['org_id', 'gateway', 'gateway_customer_ref'])
    .where(sql<boolean>`org_id = any(${[...orgIds]}::text[])`)
    .execute();
  return new Map(rows.map((r) => [`${r.org_id}|${r.gateway}`, r.gateway_customer_ref]));
}

export async function gatewayCustomerRef(
  ctx: TenantCtx,
  gateway: PaymentGateway,
  customer: { org_id: string; id: string; name: string; email: string; country: string },
): Promise<string> {
  const known = await scoped(ctx)
    .selectFrom('gateway_customers')
    .select('gateway_customer_ref')
    .where('gateway', '=', gateway.name)
    .executeTakeFirst();
  if (known) return known.gateway_customer_ref;
  // The key makes a retry (or a concurrent first checkout) find the same gateway customer.
  const { ref } = await gateway.ensureCustomer({
    customerId: customer.id,
    name: customer.name,
    email: customer.email,
    country: customer.country,
    idempotencyKey: `customer:${customer.org_id}:${customer.id}`,
  });
  await ctx.db
    .insertInto('gateway_customers')
    .values({
      org_id: customer.org_id,
      gateway: gateway.name,
      customer_id: customer.id,
      gateway_customer_ref: ref,
      created_at: toDate(ctx.clock.now()),
    })
    .onConflict((c) => c.columns(['org_id', 'gateway']).doNothing())
    .execute();
  return ref;
}

export async function insertCheckoutSession(ctx: TenantCtx, row: CheckoutSessionRow): Promise<void> {
  await ctx.db.insertInto('checkout_sessions').values(row).execute();
  await recordAudit(ctx, {
    action: 'checkout_session.created',
    targetType: 'checkout_session',
    targetId: row.id,
    after: {
      gateway: row.gateway,
      plan_id: row.plan_id,
      amount: row.amount.toString(),
      currency: row.currency,
    },
  });
}

/** The gateway's page for a checkout recorded before the gateway was asked for it. */
export async function attachGatewaySession(
  ctx: TenantCtx,
  row: CheckoutSessionRow,
  session: { ref: string; url: string },
): Promise<CheckoutSessionRow> {
  return scoped(ctx)
    .updateTable('checkout_sessions')
    .set({ gateway_session_ref: session.ref, url: session.url })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getCheckoutSession(
  ctx: TenantCtx,
  id: string,
  options: { lock?: boolean } = {},
): Promise<CheckoutSessionRow> {
  const row = await scoped(ctx)
    .selectFrom('checkout_sessions')
    .selectAll()
    .where('id', '=', id)
    .$if(options.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) throw notFound('checkout_session.not_found', 'No such checkout session');
  return row;
}

export async function markCheckout(
  ctx: TenantCtx,
  row: CheckoutSessionRow,
  change: { status: 'complete' | 'expired'; paymentId?: string | null },
): Promise<CheckoutSessionRow> {
  const updated = await scoped(ctx)
    .updateTable('checkout_sessions')
    .set({
      status: change.status,
      completed_at: change.status === 'complete' ? toDate(ctx.clock.now()) : null,
      payment_id: change.paymentId ?? null,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    action: `checkout_session.${change.status === 'complete' ? 'completed' : 'expired'}`,
    targetType: 'checkout_session',
    targetId: row.id,
    before: { status: row.status },
    after: { status: change.status, payment_id: change.paymentId ?? null },
  });
  return updated;
}

/** A payment a gateway reports, to record: whose, and what it pays. */
export interface ReportedPayment {
  customerId: string;
  gateway: GatewayName;
  checkoutSessionId: string | null;
  /** The invoice this payment pays, when it pays one. */
  invoiceId?: string | null;
  payment: GatewayPayment;
}

/** Records a payment the gateway reports, once per gateway reference; later reports update its status. */
export async function recordPayment(ctx: TenantCtx, input: ReportedPayment): Promise<PaymentRow> {
  const [row] = await recordPayments(ctx, [{ ...input, orgId: ctx.tenant.orgId }]);
  return row as PaymentRow;
}

/**
 * `recordPayment` for many payments at once (the billing run's charges, across organizations): one
 * statement writes them, one more reads those reported before, and each new state is audited and
 * announced. Returns each payment as it now is, in the order given.
 */
export async function recordPayments(
  ctx: Ctx,
  reported: readonly (ReportedPayment & { orgId: string })[],
): Promise<PaymentRow[]> {
  if (reported.length === 0) return [];
  const now = toDate(ctx.clock.now());
  const keyOf = (gateway: string, ref: string) => `${gateway}|${ref}`;
  // One row per gateway reference (the upsert may touch a row once), in the order of their keys:
  // two runs recording the same payments wait for each other instead of deadlocking.
  const rows = [
    ...new Map(
      reported.map((input) => [
        keyOf(input.gateway, input.payment.ref),
        {
          org_id: input.orgId,
          id: newId('payment'),
          customer_id: input.customerId,
          gateway: input.gateway,
          gateway_payment_ref: input.payment.ref,
          amount: input.payment.amount,
          currency: input.payment.currency,
          status: input.payment.status,
          failure_code: input.payment.failureCode,
          failure_message: input.payment.failureMessage,
          checkout_session_id: input.checkoutSessionId,
          invoice_id: input.invoiceId ?? null,
          created_at: now,
          updated_at: now,
        },
      ]),
    ).entries(),
  ]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
  const changed = await ctx.db
    .insertInto('payments')
    .values(rows)
    .onConflict((c) =>
      c
        .columns(['gateway', 'gateway_payment_ref'])
        .doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          failure_code: eb.ref('excluded.failure_code'),
          failure_message: eb.ref('excluded.failure_message'),
          updated_at: now,
        }))
        // Succeeded is final: a late report of an earlier state changes nothing, and neither does
        // the same state reported again (a webhook redelivered, two runs recording one charge).
        .where('payments.status', '<>', 'succeeded')
        .whereRef('payments.status', '<>', 'excluded.status'),
    )
    .returningAll()
    .execute();
  const byKey = new Map(changed.map((row) => [keyOf(row.gateway, row.gateway_payment_ref), row]));
  const unchanged = rows.filter((row) => !byKey.has(keyOf(row.gateway, row.gateway_payment_ref)));
  if (unchanged.length > 0) {
    const known = await ctx.db
      .selectFrom('payments')
      .selectAll()
      .where(
        sql<boolean>`(gateway, gateway_payment_ref) in (select * from unnest(
          ${unchanged.map((row) => row.gateway)}::text[], ${unchanged.map((row) => row.gateway_payment_ref)}::text[]))`,
      )
      .execute();
    for (const row of known) byKey.set(keyOf(row.gateway, row.gateway_payment_ref), row);
  }
  await recordAudits(
    ctx,
    changed.map((row) => ({
      orgId: row.org_id,
      action: `payment.${row.status}`,
      targetType: 'payment',
      targetId: row.id,
      after: {
        amount: row.amount.toString(),
        currency: row.currency,
        status: row.status,
        gateway: row.gateway,
      },
    })),
  );
  await events.emitMany(
    ctx,
    changed.map((row) => ({ orgId: row.org_id, type: `payment.${row.status}`, object: presentPayment(row) })),
  );
  return reported.map((input) => {
    const row = byKey.get(keyOf(input.gateway, input.payment.ref));
    if (!row)
      throw new Error(`payment ${input.payment.ref} at ${input.gateway} was neither recorded nor found`);
    return row;
  });
}

export async function findPayment(ctx: TenantCtx, id: string | null): Promise<PaymentRow | undefined> {
  if (!id) return undefined;
  return scoped(ctx).selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
}

export function presentPayment(row: PaymentRow): PaymentObject {
  return {
    id: row.id,
    object: 'payment',
    gateway: row.gateway,
    amount: amountJson(row.amount),
    currency: row.currency,
    status: row.status,
    failure_code: row.failure_code,
    failure_message: row.failure_message,
    created_at: row.created_at.toISOString(),
  };
}

export function presentCheckoutSession(
  row: CheckoutSessionRow,
  payment?: PaymentRow,
  conflict?: PaymentConflictObject,
): CheckoutSessionObject {
  return {
    id: row.id,
    object: 'checkout_session',
    status: row.status,
    gateway: row.gateway,
    mode: row.mode,
    url: row.status === 'open' ? row.url : null,
    plan_id: row.plan_id,
    amount: amountJson(row.amount),
    credit_applied: amountJson(row.credit_applied),
    currency: row.currency,
    expires_at: row.expires_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    payment: payment ? presentPayment(payment) : null,
    outcome: row.status !== 'complete' ? null : conflict ? 'refunded_conflict' : 'applied',
    conflict: conflict ?? null,
    created_at: row.created_at.toISOString(),
  };
}

/** A checkout by the gateway's reference, whichever organization it belongs to (for webhooks). */
export async function findCheckoutByGatewayRef(
  ctx: Ctx,
  gateway: GatewayName,
  ref: string,
): Promise<CheckoutSessionRow | undefined> {
  return ctx.db
    .selectFrom('checkout_sessions')
    .selectAll()
    .where('gateway', '=', gateway)
    .where('gateway_session_ref', '=', ref)
    .executeTakeFirst();
}

/**
 * How long a delivery's claim on an event holds. A handler that crashed leaves its claim behind; the
 * gateway redelivers an event it got no 2xx for (Stripe for three days, Cashfree for a day), and the
 * first redelivery after the lease takes the claim over and applies the event.
 */
export const GATEWAY_EVENT_LEASE_MS = 2 * 60_000;

/**
 * Stores a gateway event and claims it, in one conditional write: a new event is inserted claimed; a
 * known one is claimed only if it is unprocessed and its claim (if any) has lapsed. Exactly one of any
 * number of concurrent deliveries gets `true` and runs the handler; the others are acknowledged as
 * duplicates and change nothing.
 */
export async function claimGatewayEvent(
  ctx: Ctx,
  gateway: GatewayName,
  event: { id: string; gatewayType: string; payload: unknown },
): Promise<boolean> {
  const now = toDate(ctx.clock.now());
  const lapsed = new Date(now.getTime() - GATEWAY_EVENT_LEASE_MS);
  const claimed = await ctx.db
    .insertInto('gateway_events')
    .values({
      gateway,
      event_id: event.id,
      type: event.gatewayType,
      org_id: null,
      payload: JSON.stringify(event.payload),
      received_at: now,
      claimed_at: now,
      processed_at: null,
    })
    .onConflict((c) =>
      c
        .columns(['gateway', 'event_id'])
        .doUpdateSet({ claimed_at: now })
        .where('gateway_events.processed_at', 'is', null)
        .where((eb) =>
          eb.or([eb('gateway_events.claimed_at', 'is', null), eb('gateway_events.claimed_at', '<', lapsed)]),
        ),
    )
    .returning('event_id')
    .executeTakeFirst();
  return claimed !== undefined;
}

/** Gives a claim back after its handler failed, so the gateway's redelivery can apply the event. */
export async function releaseGatewayEvent(ctx: Ctx, gateway: GatewayName, eventId: string) {
  await ctx.db
    .updateTable('gateway_events')
    .set({ claimed_at: null })
    .where('gateway', '=', gateway)
    .where('event_id', '=', eventId)
    .where('processed_at', 'is', null)
    .execute();
}

export async function markGatewayEventProcessed(
  ctx: Ctx,
  gateway: GatewayName,
  eventId: string,
  orgId: string | null,
) {
  await ctx.db
    .updateTable('gateway_events')
    .set({ processed_at: toDate(ctx.clock.now()), org_id: orgId })
    .where('gateway', '=', gateway)
    .where('event_id', '=', eventId)
    .execute();
}
