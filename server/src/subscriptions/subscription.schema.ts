import { z } from 'zod';
import { idOf } from '../api-shapes.js';
import { intervalSchema, planVersionObject } from '../catalog/index.js';

/** Request and response shapes of subscriptions: which plan version an organization is on (C7). */

export const moveToPlanBody = z.strictObject({
  plan_id: idOf('plan'),
  version: z.number().int().min(1).optional().describe('Defaults to the current version'),
});

export const organizationParams = z.strictObject({ org_id: idOf('organization') });

export const subscriptionObject = z.object({
  id: z.string(),
  object: z.literal('subscription'),
  org_id: z.string(),
  customer_id: z.string(),
  plan_id: z.string(),
  plan_version_id: z.string(),
  status: z.enum(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'cancelled']),
  billing_mode: z
    .enum(['calendar', 'anniversary'])
    .describe(
      'calendar: periods aligned on the calendar (Monday, the 1st, 1 January); anniversary: counted from the start',
    ),
  billing_day: z
    .number()
    .int()
    .describe('The day of month periods start on; for weekly plans the ISO weekday (1 = Monday)'),
  time_zone: z.string().describe('Periods are computed in this IANA time zone'),
  current_period_start: z.string(),
  current_period_end: z.string().describe('When the next invoice is issued and charged'),
  trial_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
  scheduled_plan_id: z.string().nullable().describe('A downgrade that applies when this period ends'),
  started_at: z.string(),
  paused_at: z.string().nullable(),
  paused_for_payment: z
    .boolean()
    .describe('Paused because an invoice went unpaid after the last retry; paying what is owed resumes it'),
  cancelled_at: z.string().nullable(),
  ended_at: z.string().nullable(),
});

export const subscriptionParams = z.strictObject({ subscription_id: idOf('subscription') });

export const cancelSubscriptionBody = z
  .strictObject({
    at: z
      .enum(['period_end', 'now'])
      .optional()
      .describe('period_end: keep it until the period ends (the default); now: end it now'),
    at_period_end: z.boolean().optional().describe('The older spelling of `at`: false is `now`'),
    credit: z
      .enum(['balance', 'card'])
      .optional()
      .describe(
        'Ending now: where the unused days of a fee paid in advance go, the credit balance (the default) or back to the card that paid the period',
      ),
    reason: z.string().trim().max(500).default('Cancelled by the customer'),
  })
  .superRefine((body, issues) => {
    if (body.at !== undefined && body.at_period_end !== undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['at_period_end'],
        message: 'Give `at` or `at_period_end`, not both',
      });
    }
    const endsNow = body.at === 'now' || body.at_period_end === false;
    if (body.credit !== undefined && !endsNow) {
      issues.addIssue({
        code: 'custom',
        path: ['credit'],
        message: 'Only a cancellation now credits anything',
      });
    }
  });

export const changePlanBody = z.strictObject({
  plan_id: idOf('plan'),
  timing: z
    .enum(['now', 'period_end'])
    .optional()
    .describe(
      'A downgrade: period_end (the default) waits for the period to end; now applies it at once, ' +
        'crediting the unused days of the current plan. An upgrade, and a move to another interval, ' +
        'always apply now.',
    ),
});

export const subscriptionEventObject = z.object({
  id: z.string(),
  kind: z.string(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  plan_version_id: z.string().nullable(),
  reason: z.string(),
  occurred_at: z.string(),
});

/** A subscription with the plan version it is billed by. */
export const subscriptionDetailObject = subscriptionObject.extend({
  next_invoice: z
    .object({
      at: z.string().describe('When it is issued and charged: the end of the current period'),
      total: z.number().describe('Minor units, with tax'),
      currency: z.string(),
    })
    .nullable()
    .describe('The next regular invoice; null when the subscription ends with this period'),
  plan_name: z.string(),
  currency: z.string(),
  interval: intervalSchema,
  version: planVersionObject.describe('The version this subscription is billed by, whatever the plan is now'),
});

export type SubscriptionObject = z.infer<typeof subscriptionObject>;
