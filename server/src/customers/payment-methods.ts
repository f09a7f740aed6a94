import { recordAudit } from '../access/index.js';
import type { Ctx } from '../context.js';
import type { PaymentMethodRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import type { PaymentMethodObject } from './customers.schema.js';

/**
 * Saved payment methods (C10): references to cards or mandates kept at the gateway, with what a
 * person needs to recognise them (brand, last four digits, expiry). Never a card number. They are
 * added through the gateway's hosted page (payments); here they are listed, made default, removed.
 */

export async function listPaymentMethods(ctx: Ctx, orgId: string): Promise<PaymentMethodRow[]> {
  return ctx.db
    .selectFrom('payment_methods')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('is_default', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

async function lockMethod(ctx: Ctx, orgId: string, id: string): Promise<PaymentMethodRow> {
  const method = await ctx.db
    .selectFrom('payment_methods')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!method) throw notFound('payment_method.not_found', 'No such payment method');
  return method;
}

export async function setDefaultPaymentMethod(
  ctx: Ctx,
  orgId: string,
  id: string,
): Promise<PaymentMethodRow> {
  const method = await lockMethod(ctx, orgId, id);
  if (method.is_default) return method;
  // One default per organization (a partial unique index): clear the old one first.
  await ctx.db
    .updateTable('payment_methods')
    .set({ is_default: false })
    .where('org_id', '=', orgId)
    .where('is_default', '=', true)
    .execute();
  const updated = await ctx.db
    .updateTable('payment_methods')
    .set({ is_default: true })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    orgId,
    action: 'payment_method.default_set',
    targetType: 'payment_method',
    targetId: id,
    before: { is_default: false },
    after: { is_default: true },
  });
  return updated;
}

/** Removes a method; if it was the default, the newest remaining one becomes the default. */
export async function removePaymentMethod(ctx: Ctx, orgId: string, id: string): Promise<PaymentMethodRow> {
  const method = await lockMethod(ctx, orgId, id);
  await ctx.db.deleteFrom('payment_methods').where('org_id', '=', orgId).where('id', '=', id).execute();
  let promoted: string | undefined;
  if (method.is_default) {
    const next = await ctx.db
      .selectFrom('payment_methods')
      .select('id')
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (next) {
      await ctx.db
        .updateTable('payment_methods')
        .set({ is_default: true })
        .where('org_id', '=', orgId)
        .where('id', '=', next.id)
        .execute();
      promoted = next.id;
    }
  }
  await recordAudit(ctx, {
    orgId,
    action: 'payment_method.removed',
    targetType: 'payment_method',
    targetId: id,
    before: presentPaymentMethod(method),
    after: promoted ? { new_default: promoted } : null,
  });
  return method;
}

export function presentPaymentMethod(row: PaymentMethodRow): PaymentMethodObject {
  return {
    id: row.id,
    object: 'payment_method',
    gateway: row.gateway,
    kind: row.kind,
    brand: row.brand,
    last4: row.last4,
    exp_month: row.exp_month,
    exp_year: row.exp_year,
    is_default: row.is_default,
    created_at: row.created_at.toISOString(),
  };
}
