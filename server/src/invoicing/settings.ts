import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../access/index.js';
import type { BillingSettingsRow, TaxRateRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';

/**
 * An issuer's billing conventions, set by its operators: the invoice number prefix, the due day,
 * the retry schedule after a failed charge and what follows the last one, who invoices are from; and its tax rates by country or
 * state. The invoice counter itself is not editable: numbers must never repeat or skip.
 */

export const updateSettingsBody = z.strictObject({
  invoice_prefix: z
    .string()
    .regex(/^[A-Z0-9]{1,10}$/, 'Up to 10 capital letters and digits')
    .optional()
    .describe('Applies to invoices finalized from now on'),
  due_day: z.number().int().min(1).max(28).optional().describe('Day of the month an invoice is due'),
  retry_days: z
    .array(z.number().int().min(1).max(60))
    .max(8)
    .refine((days) => days.every((d, i) => i === 0 || d > (days[i - 1] ?? 0)), 'Days in increasing order')
    .optional()
    .describe('Days after the first failed charge to try again; after the last, the account is blocked'),
  dunning_final_step: z
    .enum(['keep', 'pause', 'cancel'])
    .optional()
    .describe(
      'When the last retry fails: keep invoicing the unpaid subscription, pause it (no new invoices until all it owes is paid, then it resumes), or cancel it (the invoice stays owed)',
    ),
  issuer_name: z.string().trim().min(1).max(200).optional(),
  issuer_address: z.string().trim().max(500).optional(),
  issuer_email: z.string().trim().email().optional(),
  refuse_paid_features_when_blocked: z
    .boolean()
    .optional()
    .describe(
      "While a customer's billing is blocked (the last retry failed), entitlement checks refuse the features only paid plans grant",
    ),
});

export const settingsObject = z.object({
  object: z.literal('billing_settings'),
  invoice_prefix: z.string(),
  next_invoice_number: z.number().int(),
  due_day: z.number().int(),
  retry_days: z.array(z.number().int()),
  dunning_final_step: z.enum(['keep', 'pause', 'cancel']),
  issuer_name: z.string(),
  issuer_address: z.string(),
  issuer_email: z.string(),
  refuse_paid_features_when_blocked: z.boolean(),
});

export const taxRateBody = z.strictObject({
  country: z.string().regex(/^[A-Z]{2}$/, 'An ISO 3166 country code'),
  region: z.string().max(10).default('').describe("A state's code, or empty for the whole country"),
  name: z.string().trim().min(1).max(40),
  percent: z.string().regex(/^[0-9]{1,2}(\.[0-9]{1,4})?$/, 'A percentage such as 18 or 7.25'),
  inclusive: z.boolean().default(false).describe('true: prices include the tax; false: it is added'),
});

export const taxRateObject = z.object({
  id: z.string().describe("The country, or the country and the state's code: IN, US-CA"),
  object: z.literal('tax_rate'),
  country: z.string(),
  region: z.string(),
  name: z.string(),
  percent: z.string(),
  inclusive: z.boolean(),
});

export function presentSettings(row: BillingSettingsRow): z.infer<typeof settingsObject> {
  return {
    object: 'billing_settings',
    invoice_prefix: row.invoice_prefix,
    next_invoice_number: Number(row.next_invoice_number),
    due_day: row.due_day,
    retry_days: row.retry_days,
    dunning_final_step: row.dunning_final_step,
    issuer_name: row.issuer_name,
    issuer_address: row.issuer_address,
    issuer_email: row.issuer_email,
    refuse_paid_features_when_blocked: row.refuse_paid_features_when_blocked,
  };
}

/** A rate's id: its country, or its country and state (a country code is always two letters). */
const taxRateId = (row: Pick<TaxRateRow, 'country' | 'region'>) =>
  `${row.country}${row.region ? `-${row.region}` : ''}`;

export const presentTaxRate = (row: TaxRateRow): z.infer<typeof taxRateObject> => ({
  id: taxRateId(row),
  object: 'tax_rate',
  country: row.country,
  region: row.region,
  name: row.name,
  percent: row.percent,
  inclusive: row.inclusive,
});

export async function getSettings(ctx: TenantCtx): Promise<BillingSettingsRow> {
  const row = await scoped(ctx, 'issuer').selectFrom('billing_settings').selectAll().executeTakeFirst();
  if (!row) throw notFound('billing_settings.not_found', 'This issuer has no billing settings');
  return row;
}

export async function updateSettings(
  ctx: TenantCtx,
  changes: z.infer<typeof updateSettingsBody>,
): Promise<BillingSettingsRow> {
  const before = await getSettings(ctx);
  const row = await scoped(ctx, 'issuer')
    .updateTable('billing_settings')
    .set({ ...changes, updated_at: toDate(ctx.clock.now()) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'billing_settings.updated',
    targetType: 'billing_settings',
    targetId: ctx.tenant.issuerId,
    before: Object.fromEntries(Object.keys(changes).map((k) => [k, before[k as keyof BillingSettingsRow]])),
    after: changes,
  });
  return row;
}

/** Tax rates by country, then state; the cursor is a rate's id (IN, US-CA). */
export async function listTaxRates(ctx: TenantCtx, page: PageRequest): Promise<Slice<TaxRateRow>> {
  return listPage(
    scoped(ctx, 'issuer').selectFrom('tax_rates').selectAll(),
    {
      by: [
        ['tax_rates.country', 'asc'],
        ['tax_rates.region', 'asc'],
      ],
      id: sql`tax_rates.country || case when tax_rates.region = '' then '' else '-' || tax_rates.region end`,
      cursorFrom: scoped(ctx, 'issuer').selectFrom('tax_rates'),
      noun: 'tax rate',
    },
    page,
  );
}

/** Sets the rate for a country or state; it applies to invoices drafted from now on. */
export async function putTaxRate(ctx: TenantCtx, input: z.infer<typeof taxRateBody>): Promise<TaxRateRow> {
  const row = await ctx.db
    .insertInto('tax_rates')
    .values({ org_id: ctx.tenant.issuerId, ...input })
    .onConflict((oc) =>
      oc.columns(['org_id', 'country', 'region']).doUpdateSet({
        name: input.name,
        percent: input.percent,
        inclusive: input.inclusive,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'tax_rate.set',
    targetType: 'tax_rate',
    targetId: taxRateId(input),
    after: input,
  });
  return row;
}

export async function removeTaxRate(ctx: TenantCtx, country: string, region: string): Promise<TaxRateRow> {
  const row = await scoped(ctx, 'issuer')
    .deleteFrom('tax_rates')
    .where('country', '=', country)
    .where('region', '=', region)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('tax_rate.not_found', 'No tax rate for that place');
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'tax_rate.removed',
    targetType: 'tax_rate',
    targetId: `${country}${region ? `-${region}` : ''}`,
    before: presentTaxRate(row),
  });
  return row;
}
