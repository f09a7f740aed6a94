import { runBilling } from '../flows/billing-run.js';
import type { GatewayRegistry } from '../payments/index.js';
import { defineJob } from './queue.js';

/**
 * Every minute: the billing run on the platform's clock (renewals at each customer's local midnight,
 * charges, retries, statement closings). Each item it does is found anew by "due by now" and left
 * done, so a crash mid-run loses nothing and the next minute finishes it.
 */
export const billingRunJob = (deps: { gateways: GatewayRegistry; chargeConcurrency?: number }) =>
  defineJob({
    name: 'billing.run',
    schedule: { cron: '* * * * *' },
    retryLimit: 2,
    expireInSeconds: 15 * 60,
    handler: async ({ ctx }) => {
      const report = await runBilling(ctx, deps);
      if (report.renewed + report.charged + report.failed + report.closed > 0) {
        ctx.log.info({ ...report }, 'billing run done');
      }
    },
  });
