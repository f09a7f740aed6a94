import { billSubscriptionUsageInAdvance, USAGE_IN_ADVANCE_JOB } from '../flows/usage-billing.js';
import { defineJob } from './queue.js';

/**
 * Usage of a charge paid in advance, billed once the ingest that counted it has committed (the job
 * is enqueued in its transaction). Billing is the difference from what was billed, so a job run
 * twice, or beaten to it by the billing run's sweep, bills nothing more.
 */
export const usageInAdvanceJob = defineJob<{ org_id: string; subscription_id: string }>({
  name: USAGE_IN_ADVANCE_JOB,
  retryLimit: 5,
  handler: async ({ ctx, data }) => {
    await billSubscriptionUsageInAdvance(ctx, data);
  },
});
