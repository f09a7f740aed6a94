import { evaluateWaiting } from '../flows/usage-alerts.js';
import { defineJob } from './queue.js';

/**
 * Every minute: the usage alerts of organizations still waiting to be evaluated. Each process
 * evaluates its own changes within moments of their commit; this finds what a crash or a process
 * that only ingests (the usage import) left behind.
 */
export const usageAlertsJob = defineJob({
  name: 'usage.alerts',
  schedule: { cron: '* * * * *' },
  retryLimit: 2,
  handler: async ({ ctx }) => {
    const evaluated = await evaluateWaiting(ctx);
    if (evaluated > 0) ctx.log.info({ evaluated }, 'usage alerts evaluated');
  },
});
