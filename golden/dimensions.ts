import type { z } from 'zod';
import {
  aggregationSchema,
  createPlanBody,
  intervalSchema,
  pricingModelSchema,
} from '../server/src/catalog/index.js';
import { subscriptionObject } from '../server/src/subscriptions/index.js';

/**
 * The dimensions golden scenarios are counted against. Each list is read from the model itself, so a
 * value added to the model's enum appears here, and in the coverage report as uncovered, without
 * anyone editing this file.
 *
 * `promised` is what the suite has scenarios for. A model value outside it is reported as uncovered
 * but does not fail the run (the engineer adding it sees the report, writes the scenario and adds the
 * value here); a gap inside it fails the run.
 */

export interface Dimension {
  name: string;
  /** Every value the model has today. */
  values: readonly string[];
  /** The values the suite covers; the others are reported as uncovered without failing. */
  promised: readonly string[];
}

/**
 * How an amount is priced: `base_price` is the plan's fee per interval (createPlanBody.base_price);
 * the others are the price models of usage charges (catalog.schema.ts, pricingModelSchema).
 */
export const pricingModel: Dimension = {
  name: 'pricing model',
  values: ['base_price', ...pricingModelSchema.options],
  promised: ['base_price', 'per_unit', 'graduated', 'volume', 'package', 'percentage'],
};

/** The plan's billing interval (catalog.schema.ts, intervalSchema). */
export const interval: Dimension = {
  name: 'interval',
  values: intervalSchema.options,
  promised: ['week', 'month', 'quarter', 'half_year', 'year'],
};

/** Periods from the 1st or from the day of subscribing (the subscription's billing_mode). */
export const alignment: Dimension = {
  name: 'alignment',
  values: subscriptionObject.shape.billing_mode.options,
  promised: ['calendar', 'anniversary'],
};

/**
 * When a plan's fee is billed: the plan's `fee_timing` enum (createPlanBody.fee_timing), at the start
 * of each period (`advance`, a plan's default) or at its end (`arrears`, R15).
 */
export const feeTiming: Dimension = {
  name: 'fee timing',
  values: enumOptions(createPlanBody.shape, 'fee_timing') ?? ['advance'],
  promised: ['advance', 'arrears'],
};

/** The statuses a subscription moves through (subscriptionObject.status): each entry is an event. */
export const lifecycleEvent: Dimension = {
  name: 'lifecycle event',
  values: subscriptionObject.shape.status.options,
  promised: ['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'cancelled'],
};

/**
 * The customer's time zone. Any IANA zone is accepted, so this list is the suite's own promise: no
 * offset (UTC), a zone behind UTC with daylight saving (Los Angeles), and one ahead of UTC by a half
 * hour (Kolkata), where a local midnight falls at 18:30 UTC the day before.
 */
export const timeZone: Dimension = {
  name: 'time zone',
  values: ['UTC', 'America/Los_Angeles', 'Asia/Kolkata'],
  promised: ['UTC', 'America/Los_Angeles', 'Asia/Kolkata'],
};

/** How a metric's events add up over a period (catalog.schema.ts, aggregationSchema). */
export const aggregation: Dimension = {
  name: 'aggregation',
  values: aggregationSchema.options,
  promised: ['count', 'sum', 'max', 'unique_count', 'latest', 'time_weighted_sum'],
};

export const dimensions = {
  pricingModel,
  interval,
  alignment,
  feeTiming,
  lifecycleEvent,
  timeZone,
  aggregation,
};
export type DimensionKey = keyof typeof dimensions;

/** The options of `shape[field]` when the model has that field as an enum (or a defaulted enum). */
export function enumOptions(shape: Record<string, z.ZodType>, field: string): readonly string[] | undefined {
  let schema: unknown = shape[field];
  // Unwrap .default()/.optional() to reach the enum.
  while (schema && typeof schema === 'object' && 'unwrap' in schema && !('options' in schema)) {
    schema = (schema as { unwrap(): unknown }).unwrap();
  }
  if (schema && typeof schema === 'object' && 'options' in schema) {
    const options = (schema as { options: unknown }).options;
    if (Array.isArray(options) && options.every((o) => typeof o === 'string')) return options;
  }
  return undefined;
}
