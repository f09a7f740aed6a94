import { sql } from 'kysely';
import { recordAudit } from '../access/index.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { PaymentMethodRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { PaymentMethodObject } from './customers.schema.js';

/**
 * Saved payment methods (C10): references to cards or mandates kept at the gateway, with what a
 * person needs to recognise them (brand, last four digits, expiry). Never a card number. They are
 * added through the gateway's hosted page (payments); here they are listed, made default, removed.
 */

/**
 * `listPaymentMethods` for several organizations in one query, in the same order within each: across
 * organizations on purpose (a batch of the billing run).
 */
export async function paymentMethodsOf(ctx: Ctx, orgIds: readonly string[]): Promise<PaymentMethodRow[]> {
  if (orgIds.length === 0) return [];
  return ctx.db
    .selectFrom('payment_methods')
    .selectAll()
    .where(sql<boolean>`org_id = any(${[...orgIds]}::text[])`)
    .orderBy('org_id')
    .orderBy('is_default', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/**
 * Newest first. Not the default first: which card is the default changes, and a page boundary drawn
 * on it would skip or repeat a card made the default between two pages (`is_default` marks it).
 */
const methodOrder = [
  ['payment_methods.created_at', 'desc'],
  ['payment_methods.id', 'desc'],
] as const;

/** Every saved method of the organization (a handful), for the steps that pick the default. */
export async function listPaymentMethods(ctx: TenantCtx): Promise<PaymentMethodRow[]> {
  let query = scoped(ctx).selectFrom('payment_methods').selectAll();
  for (const [column, direction] of methodOrder) query = query.orderBy(column, direction);
  return query.execute();
}

/** The saved methods a page at a time, for the API; the cursor is a method's id. */
export async function paymentMethodsPage(
  ctx: TenantCtx,
  page: PageRequest,
): Promise<Slice<PaymentMethodRow>> {
  return listPage(
    scoped(ctx).selectFrom('payment_methods').selectAll(),
    {
      by: methodOrder,
      id: 'payment_methods.id',
      cursorFrom: scoped(ctx).selectFrom('payment_methods'),
      noun: 'payment method',
    },
    page,
  );
}

async function lockMethod(ctx: TenantCtx, id: string): Promise<PaymentMethodRow> {
  const method = await scoped(ctx)
    .selectFrom('payment_methods')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!method) throw notFound('payment_method.not_found', 'No such payment method');
  return method;
}

export async function setDefaultPaymentMethod(ctx: TenantCtx, id: string): Promise<PaymentMethodRow> {
  const method = await lockMethod(ctx, id);
  if (method.is_default) return method;
  // One default per organization (a partial unique index): clear the old one first.
  await scoped(ctx)
    .updateTable('payment_methods')
    .set({ is_default: false })
    .where('is_default', '=', true)
    .execute();
  const updated = await scoped(ctx)
    .updateTable('payment_methods')
    .set({ is_default: true })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    action: 'payment_method.default_set',
    targetType: 'payment_method',
    targetId: id,
    before: { is_default: false },
    after: { is_default: true, kind: method.kind, brand: method.brand, last4: method.last4 },
  });
  return updated;
}

/** Removes a method; if it was the default, the newest remaining one becomes the default. */
export async function removePaymentMethod(ctx: TenantCtx, id: string): Promise<PaymentMethodRow> {
  const method = await lockMethod(ctx, id);
  await scoped(ctx).deleteFrom('payment_methods').where('id', '=', id).execute();
  let promoted: string | undefined;
  if (method.is_default) {
    const next = await scoped(ctx)
      .selectFrom('payment_methods')
      .select('id')
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (next) {
      await scoped(ctx)
        .updateTable('payment_methods')
        .set({ is_default: true })
        .where('id', '=', next.id)
        .execute();
      promoted = next.id;
    }
  }
  await recordAudit(ctx, {
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

/**
 * Saves a method the gateway reports (after a checkout or a setup), once per gateway reference. The
 * first method an organization saves becomes its default.
 */
export async function savePaymentMethod(
  ctx: TenantCtx,
  input: {
    customerId: string;
    gateway: PaymentMethodRow['gateway'];
    method: {
      ref: string;
      kind: string;
      brand: string;
      last4: string;
      expMonth: number | null;
      expYear: number | null;
    };
  },
): Promise<PaymentMethodRow> {
  const hasDefault = await scoped(ctx)
    .selectFrom('payment_methods')
    .select('id')
    .where('is_default', '=', true)
    .executeTakeFirst();
  const inserted = await ctx.db
    .insertInto('payment_methods')
    .values({
      org_id: ctx.tenant.orgId,
      id: newId('paymentMethod'),
      customer_id: input.customerId,
      gateway: input.gateway,
      gateway_ref: input.method.ref,
      kind: input.method.kind,
      brand: input.method.brand,
      last4: input.method.last4,
      exp_month: input.method.expMonth,
      exp_year: input.method.expYear,
      is_default: !hasDefault,
      created_at: toDate(ctx.clock.now()),
    })
    .onConflict((c) => c.columns(['org_id', 'gateway', 'gateway_ref']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    return scoped(ctx)
      .selectFrom('payment_methods')
      .selectAll()
      .where('gateway', '=', input.gateway)
      .where('gateway_ref', '=', input.method.ref)
      .executeTakeFirstOrThrow();
  }
  await recordAudit(ctx, {
    action: 'payment_method.saved',
    targetType: 'payment_method',
    targetId: inserted.id,
    after: presentPaymentMethod(inserted),
  });
  return inserted;
}
