import { z } from 'zod';
import { listQuery } from '../api-shapes.js';
import { aggregationSchema, limitModeSchema } from '../catalog/catalog.schema.js';

/**
 * Request and response shapes of metering (C21–C25): usage events in, usage read, limits checked.
 * Quantities are decimal strings (a machine hour is often a fraction), limits whole units.
 */

/** Most events a batch takes: one statement's worth, acknowledged together. */
export const MAX_BATCH = 1000;
/** Most bytes a batch's body takes: 1 KB an event on average, five times an ordinary one. */
export const MAX_BATCH_BYTES = MAX_BATCH * 1024;

export const usageEventBody = z.strictObject({
  event_id: z
    .string()
    .min(1)
    .max(200)
    .describe('Your id for the event: a resend with the same id is counted once (kept 40 days)'),
  customer: z
    .string()
    .min(1)
    .max(200)
    .describe("The customer's organization id (org_...) or the external_id you set on it"),
  code: z.string().min(1).max(63).describe('Code of the metric the event counts towards'),
  timestamp: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When it happened (ISO 8601); now when left out'),
  properties: z
    .record(z.string().max(63), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
    .optional()
    .describe('Values the metric reads (its property) and splits by (its dimensions)'),
});
export type UsageEventInput = z.infer<typeof usageEventBody>;

export const usageEventBatchBody = z.strictObject({
  // Each event is checked on its own (one bad event does not refuse the batch): shape only here.
  events: z
    .array(z.unknown())
    .min(1)
    .max(MAX_BATCH)
    .describe(`Up to ${MAX_BATCH} events, each as POST /v1/events takes one`),
});

export const usageEventObject = z.object({
  object: z.literal('event'),
  event_id: z.string(),
  status: z.enum(['accepted', 'duplicate']),
});

export const eventErrorObject = z.object({
  index: z.number().int(),
  event_id: z.string().nullable(),
  code: z.string(),
  message: z.string(),
});

export const usageEventBatchObject = z.object({
  object: z.literal('event_batch'),
  accepted: z.number().int(),
  duplicates: z.array(z.object({ index: z.number().int(), event_id: z.string() })),
  errors: z.array(eventErrorObject),
});

const customerQuery = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('Operators and ingest keys: the customer (organization id or external_id)');

export const usageSummaryQuery = z.strictObject({ customer: customerQuery });

export const usageThresholdsQuery = listQuery.extend({ customer: customerQuery });

export const usageQuery = z.strictObject({
  customer: customerQuery,
  metric: z.string().min(1).max(63),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Start (inclusive); the current period when left out'),
  to: z.iso.datetime({ offset: true }).optional().describe('End (exclusive)'),
  granularity: z.enum(['hour', 'day']).default('day'),
  group_by: z.string().max(63).optional().describe("One of the metric's dimensions"),
});

const point = z.object({ start: z.string(), value: z.string() });

export const usageObject = z.object({
  object: z.literal('usage'),
  metric: z.object({ code: z.string(), name: z.string(), unit: z.string(), aggregation: aggregationSchema }),
  from: z.string(),
  to: z.string(),
  granularity: z.enum(['hour', 'day']),
  total: z.string(),
  series: z.array(point),
  groups: z.array(
    z.object({ values: z.record(z.string(), z.string()), total: z.string(), series: z.array(point) }),
  ),
});

export const usageSummaryObject = z.object({
  object: z.literal('usage_summary'),
  period: z.object({ start: z.string(), end: z.string() }).nullable(),
  metrics: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      unit: z.string(),
      aggregation: aggregationSchema,
      total: z.string(),
      feature: z.string().nullable(),
      limit: z.number().int().nullable(),
      mode: limitModeSchema.nullable(),
    }),
  ),
});

export const entitlementBody = z.strictObject({
  customer: z.string().min(1).max(200).describe("The customer's organization id or external_id"),
  feature: z.string().min(1).max(63),
  quantity: z.number().int().min(1).max(1_000_000_000).default(1),
});

export const entitlementObject = z.object({
  object: z.literal('entitlement'),
  feature: z.string(),
  allowed: z.boolean(),
  mode: limitModeSchema.nullable(),
  limit: z.number().int().nullable(),
  used: z.number().int(),
  remaining: z.number().int().nullable(),
  over_limit: z.boolean(),
  reason: z
    .enum(['limit_reached', 'billing_blocked'])
    .nullable()
    .describe(
      "Why it is not allowed: a hard limit reached, or the customer's billing blocked and the feature only paid plans grant (the issuer's setting refuse_paid_features_when_blocked); null when allowed",
    ),
});
export type EntitlementObject = z.infer<typeof entitlementObject>;
