import { z } from 'zod';
import { amountInput, idOf, listQuery, timestamp } from '../api-shapes.js';
import { FEE_TIMINGS } from '../billing/index.js';
import { isCurrencyCode } from '../money/index.js';
import { BILLING_INTERVALS } from '../time/index.js';

/**
 * Request and response shapes of the catalog (C5–C7); the OpenAPI document is generated from them.
 *
 * Amounts: `base_price` is an integer in the currency's minor units (cents, paise, yen), as every
 * amount in the API. Unit prices are decimal strings in major units ("0.0125" USD per machine hour),
 * because a unit price is often a fraction of a minor unit; they become minor units once, on the
 * line total (half-up), in pricing.ts.
 */

const code = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'Use lowercase letters, digits and underscores, starting with a letter')
  .describe('Stable identifier used by integrations, e.g. machine_hours');
const name = z.string().trim().min(1).max(120);
const decimal = z
  .string()
  .regex(/^\d{1,18}(\.\d{1,12})?$/, 'Use a non-negative decimal such as 12 or 0.0125 (at most 12 decimals)')
  .describe('Non-negative decimal string');
const unitPrice = decimal.describe('Price per unit in major units, e.g. "0.0125"');
const currency = z
  .string()
  .refine(isCurrencyCode, 'Unknown currency: use an ISO 4217 code such as USD, INR or JPY')
  .describe('ISO 4217 currency code');
const amount = amountInput(0, { min: 'Prices cannot be negative' });

export const aggregationSchema = z
  .enum(['count', 'sum', 'max', 'unique_count', 'latest', 'time_weighted_sum'])
  .describe(
    'How events add up over a period: count of events, sum / max / latest of a property, unique count of a property, or time-weighted sum (machines × hours)',
  );
export const pricingModelSchema = z.enum(['per_unit', 'graduated', 'volume', 'package', 'percentage']);
export const intervalSchema = z
  .enum(BILLING_INTERVALS)
  .describe('How often the plan is billed: week, month, quarter, half_year (6 months) or year');
export const environmentSchema = z.enum(['production', 'staging', 'any']);
export const visibilitySchema = z.enum(['public', 'restricted']);
export const limitModeSchema = z
  .enum(['hard', 'soft'])
  .describe('hard: the action is refused at the limit; soft: it is allowed and alerted');

// ---- features and metrics --------------------------------------------------------------------

export const createFeatureBody = z.strictObject({ code, name, unit: z.string().trim().min(1).max(40) });

export const createMetricBody = z.strictObject({
  code,
  name,
  unit: z.string().trim().min(1).max(40),
  aggregation: aggregationSchema,
  property: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/)
    .optional()
    .describe('The event property the aggregation reads; every aggregation but count needs one'),
  dimensions: z
    .array(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/))
    .max(8)
    .default([])
    .describe(
      'Event properties usage can be split and priced by: machine_type, region, pool, license_type ...',
    ),
  recurring: z
    .boolean()
    .default(false)
    .describe(
      'A level that carries from period to period (seats): with sum (events add or remove units) or latest (events report the level); billed by the days each unit is held',
    ),
});

export const featureObject = z.object({
  object: z.literal('feature'),
  code: z.string(),
  name: z.string(),
  unit: z.string(),
  created_at: timestamp,
});

export const metricObject = z.object({
  id: z.string(),
  object: z.literal('metric'),
  code: z.string(),
  name: z.string(),
  unit: z.string(),
  aggregation: aggregationSchema,
  property: z.string().nullable(),
  dimensions: z.array(z.string()),
  recurring: z.boolean(),
  created_at: timestamp,
});

// ---- prices, limits and charges ----------------------------------------------------------------

const tier = z.strictObject({
  up_to: decimal.nullable().describe('Upper bound of the tier, inclusive; null on the last tier'),
  unit_price: unitPrice,
  flat_price: decimal.default('0').describe('Charged once for the tier, in major units'),
});

export const chargePriceSchema = z.discriminatedUnion('model', [
  z.strictObject({ model: z.literal('per_unit'), unit_price: unitPrice }),
  z.strictObject({ model: z.literal('graduated'), tiers: z.array(tier).min(1).max(50) }),
  z.strictObject({ model: z.literal('volume'), tiers: z.array(tier).min(1).max(50) }),
  z.strictObject({
    model: z.literal('package'),
    package_size: decimal.describe('Units in one package'),
    package_price: unitPrice.describe('Price of one package, in major units'),
  }),
  z.strictObject({
    model: z.literal('percentage'),
    rate: z
      .string()
      .describe('Percent of each transaction\'s value, 0 to 100 with at most 4 decimals, e.g. "2.9"'),
    fixed_amount: decimal.default('0').describe('Added to the fee of each transaction, in major units'),
    per_transaction_min_amount: decimal
      .nullable()
      .default(null)
      .describe('Least fee of one transaction, in major units; null for none'),
    per_transaction_max_amount: decimal
      .nullable()
      .default(null)
      .describe('Greatest fee of one transaction, in major units; null for none'),
  }),
]);

export const limitSchema = z.strictObject({
  feature: z.string().max(63),
  mode: limitModeSchema,
  limit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().describe('null: unlimited'),
});

export const chargeSchema = z.strictObject({
  metric: z.string().max(63).describe('Code of the metric this charge prices'),
  price: chargePriceSchema,
  included_quantity: decimal
    .default('0')
    .describe('Units included in the base price before the price applies'),
  dimensions: z
    .array(z.string().max(63))
    .max(4)
    .default([])
    .describe('Metric dimensions usage is split by, each group priced by its rate'),
  rates: z
    .array(
      z.strictObject({
        dimensions: z.record(z.string().max(63), z.string().max(120)),
        price: chargePriceSchema,
      }),
    )
    .max(500)
    .default([])
    .describe('Rate card: the price for one combination of dimension values; other groups use `price`'),
  pay_in_advance: z
    .boolean()
    .optional()
    .describe(
      'Billed as usage arrives, for what it adds to the period so far (an invoice per batch of events), rather than when the period ends',
    ),
});

export type LimitInput = z.infer<typeof limitSchema>;
export type ChargeInput = z.infer<typeof chargeSchema>;

// ---- plans -------------------------------------------------------------------------------------

const pricingFields = {
  base_price: amount.describe('Fee per interval in minor units; 0 for a free plan'),
  trial_days: z.number().int().min(0).max(365),
  fee_timing: z
    .enum(FEE_TIMINGS)
    .describe('advance: the fee is billed when the period starts; arrears: when it ends'),
  minimum_commitment: amount.describe(
    "Minor units a period's fee and usage are topped up to, billed when the period ends; 0 for none",
  ),
  limits: z.array(limitSchema).max(50),
  charges: z.array(chargeSchema).max(50),
};

export const createPlanBody = z.strictObject({
  code,
  name,
  description: z.string().trim().max(1000).default(''),
  currency,
  interval: intervalSchema,
  environment: environmentSchema.default('any'),
  visibility: visibilitySchema.default('public'),
  audience_org_ids: z
    .array(idOf('organization'))
    .max(500)
    .default([])
    .describe('The organizations a restricted plan is offered to'),
  is_default: z.boolean().default(false).describe('The plan new customers start on (one per catalog)'),
  unbilled: z.boolean().default(false).describe('Resources on this plan are never charged'),
  base_price: pricingFields.base_price,
  trial_days: pricingFields.trial_days.default(0),
  fee_timing: pricingFields.fee_timing.default('advance'),
  minimum_commitment: pricingFields.minimum_commitment.default(0),
  limits: pricingFields.limits.default([]),
  charges: pricingFields.charges.default([]),
});

export const updatePlanBody = z
  .strictObject({
    name: name.optional(),
    description: z.string().trim().max(1000).optional(),
    environment: environmentSchema.optional(),
    visibility: visibilitySchema.optional(),
    audience_org_ids: z.array(idOf('organization')).max(500).optional(),
    is_default: z.boolean().optional(),
    base_price: pricingFields.base_price.optional(),
    trial_days: pricingFields.trial_days.optional(),
    fee_timing: pricingFields.fee_timing.optional(),
    minimum_commitment: pricingFields.minimum_commitment.optional(),
    limits: pricingFields.limits.optional(),
    charges: pricingFields.charges.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: 'Give at least one field to change' })
  .describe('Prices, trial and limits publish a new version; the other fields change the plan in place');

export const planParams = z.strictObject({ plan_id: idOf('plan') });

export const planListQuery = listQuery.extend({
  status: z.enum(['active', 'disabled', 'all']).default('active'),
  currency: z.string().max(3).optional(),
  interval: intervalSchema.optional(),
  environment: environmentSchema.optional(),
  visibility: visibilitySchema.optional(),
  q: z.string().trim().max(120).optional().describe('Matches code or name'),
});

export const previewBody = z.strictObject({
  version: z.number().int().min(1).optional().describe('Defaults to the current version'),
  usage: z
    .array(
      z.strictObject({
        metric: z.string().max(63),
        quantity: decimal.optional().describe('The usage total; the sum of `events` when they are given'),
        events: z
          .array(decimal)
          .max(10000)
          .optional()
          .describe('The value of each event, in major units: a percentage charge prices each transaction'),
        dimensions: z.record(z.string().max(63), z.string().max(120)).default({}),
      }),
    )
    .max(1000)
    .default([]),
});

/** Terms being edited, not saved yet: what the plan editor previews as the operator types. */
export const draftPreviewBody = z.strictObject({
  name: name.default('New plan'),
  currency,
  interval: intervalSchema,
  base_price: pricingFields.base_price,
  fee_timing: pricingFields.fee_timing.default('advance'),
  minimum_commitment: pricingFields.minimum_commitment.default(0),
  limits: pricingFields.limits.default([]),
  charges: pricingFields.charges.default([]),
  usage: previewBody.shape.usage,
});

const tierBreakdown = z.object({
  from: z.string(),
  to: z.string().nullable(),
  quantity: z.string(),
  unit_price: z.string(),
  flat_price: z.string(),
  subtotal: z.string().describe('Exact, before the line is rounded'),
});

export const planLimitObject = z.object({
  feature: z.string(),
  name: z.string(),
  unit: z.string(),
  mode: limitModeSchema,
  limit: z.number().nullable(),
});

export const planChargeObject = z.object({
  metric: z.string(),
  name: z.string(),
  unit: z.string(),
  aggregation: aggregationSchema,
  price: chargePriceSchema,
  included_quantity: z.string(),
  dimensions: z.array(z.string()),
  rates: z.array(z.object({ dimensions: z.record(z.string(), z.string()), price: chargePriceSchema })),
  pay_in_advance: z.boolean(),
});

export const planVersionObject = z.object({
  id: z.string(),
  object: z.literal('plan_version'),
  plan_id: z.string(),
  version: z.number(),
  base_price: z.number().describe('Minor units'),
  trial_days: z.number(),
  fee_timing: z.enum(FEE_TIMINGS),
  minimum_commitment: z.number().describe('Minor units; 0 for none'),
  limits: z.array(planLimitObject),
  charges: z.array(planChargeObject),
  created_at: timestamp,
});

const planFields = {
  id: z.string(),
  object: z.literal('plan'),
  code: z.string(),
  name: z.string(),
  description: z.string(),
  currency: z.string(),
  interval: intervalSchema,
  environment: environmentSchema,
  is_default: z.boolean(),
  version: planVersionObject.describe('The current version: what a new subscriber gets'),
};

/** A plan as its customers see it. */
export const offeredPlanObject = z.object({
  ...planFields,
  visibility: visibilitySchema.describe(
    'public: offered to every organization; restricted: made for a chosen few, this one among them',
  ),
  current: z.boolean().describe("Whether this is the organization's plan now"),
});

/** A plan as the operator sees it. */
export const planObject = z.object({
  ...planFields,
  visibility: visibilitySchema,
  audience_org_ids: z.array(z.string()),
  unbilled: z.boolean(),
  disabled: z.boolean(),
  disabled_at: timestamp.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const pricePreviewObject = z.object({
  object: z.literal('price_preview'),
  plan_id: z.string().nullable().describe('null for terms not saved yet'),
  version: z.number().nullable().describe('null for terms not saved yet'),
  currency: z.string(),
  lines: z.array(
    z.object({
      kind: z.enum(['base', 'usage']),
      description: z.string(),
      metric: z.string().nullable(),
      dimensions: z.record(z.string(), z.string()),
      quantity: z.string(),
      billable_quantity: z.string(),
      amount: z.number().describe('Minor units, rounded once for the line'),
      tiers: z.array(tierBreakdown),
    }),
  ),
  total: z.number().describe('Minor units'),
});

export type PlanObject = z.infer<typeof planObject>;
export type OfferedPlanObject = z.infer<typeof offeredPlanObject>;
export type PlanVersionObject = z.infer<typeof planVersionObject>;
export type PricePreviewObject = z.infer<typeof pricePreviewObject>;
