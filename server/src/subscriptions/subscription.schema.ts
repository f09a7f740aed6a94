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
  status: z.enum(['active', 'ended']),
  started_at: z.string(),
  ended_at: z.string().nullable(),
});

/** A subscription with the plan version it is billed by. */
export const subscriptionDetailObject = subscriptionObject.extend({
  plan_name: z.string(),
  currency: z.string(),
  interval: intervalSchema,
  version: planVersionObject.describe('The version this subscription is billed by, whatever the plan is now'),
});

export type SubscriptionObject = z.infer<typeof subscriptionObject>;
