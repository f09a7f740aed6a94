import { recordAudit } from '../access/index.js';
import { amountJson } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import type { GatewayName, PaymentLinkRow, PaymentLinkStatus, PaymentRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import { presentPayment } from './checkout-sessions.js';
import type { PaymentConflictObject, PaymentLinkObject } from './payments.schema.js';

/**
 * Our records of payment links (C12): active → paid, cancelled or expired, each change once, under
 * a lock on the link's row.
 */

export async function insertPaymentLink(ctx: TenantCtx, row: PaymentLinkRow): Promise<void> {
  await ctx.db.insertInto('payment_links').values(row).execute();
  await recordAudit(ctx, {
    action: 'payment_link.created',
    targetType: 'payment_link',
    targetId: row.id,
    after: {
      plan_id: row.plan_id,
      invoice_id: row.invoice_id,
      amount: row.amount.toString(),
      currency: row.currency,
      expires_at: row.expires_at,
    },
  });
}

export async function getPaymentLink(
  ctx: TenantCtx,
  id: string,
  options: { lock?: boolean } = {},
): Promise<PaymentLinkRow> {
  const row = await scoped(ctx)
    .selectFrom('payment_links')
    .selectAll()
    .where('id', '=', id)
    .$if(options.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) throw notFound('payment_link.not_found', 'No such payment link');
  return row;
}

export async function findPaymentLinkByGatewayRef(ctx: Ctx, gateway: GatewayName, ref: string) {
  return ctx.db
    .selectFrom('payment_links')
    .selectAll()
    .where('gateway', '=', gateway)
    .where('gateway_link_ref', '=', ref)
    .executeTakeFirst();
}

/** The organization's payment links, newest first; the cursor is a link's id. */
export async function listPaymentLinks(ctx: TenantCtx, page: PageRequest): Promise<Slice<PaymentLinkRow>> {
  return listPage(
    scoped(ctx).selectFrom('payment_links').selectAll(),
    {
      by: [
        ['payment_links.created_at', 'desc'],
        ['payment_links.id', 'desc'],
      ],
      id: 'payment_links.id',
      cursorFrom: scoped(ctx).selectFrom('payment_links'),
      noun: 'payment link',
    },
    page,
  );
}

export async function markPaymentLink(
  ctx: TenantCtx,
  row: PaymentLinkRow,
  status: Exclude<PaymentLinkStatus, 'active'>,
  paymentId: string | null = null,
): Promise<PaymentLinkRow> {
  const now = toDate(ctx.clock.now());
  const updated = await scoped(ctx)
    .updateTable('payment_links')
    .set({
      status,
      paid_at: status === 'paid' ? now : null,
      cancelled_at: status === 'cancelled' ? now : null,
      payment_id: paymentId,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    action: `payment_link.${status}`,
    targetType: 'payment_link',
    targetId: row.id,
    before: { status: row.status },
    after: { status, payment_id: paymentId },
  });
  return updated;
}

export function presentPaymentLink(
  row: PaymentLinkRow,
  now: Date,
  payment?: PaymentRow,
  conflict?: PaymentConflictObject,
): PaymentLinkObject {
  // An active link past its expiry is expired, whether or not the gateway has said so yet.
  const status = row.status === 'active' && now >= row.expires_at ? 'expired' : row.status;
  return {
    id: row.id,
    object: 'payment_link',
    status,
    gateway: row.gateway,
    url: row.url,
    plan_id: row.plan_id,
    invoice_id: row.invoice_id,
    amount: amountJson(row.amount),
    currency: row.currency,
    description: row.description,
    expires_at: row.expires_at.toISOString(),
    paid_at: row.paid_at?.toISOString() ?? null,
    cancelled_at: row.cancelled_at?.toISOString() ?? null,
    payment: payment ? presentPayment(payment) : null,
    outcome: row.status !== 'paid' ? null : conflict ? 'refunded_conflict' : 'applied',
    conflict: conflict ?? null,
    created_at: row.created_at.toISOString(),
  };
}
