import { toDate } from '../time/index.js';
import { defineJob } from './queue.js';

/** Daily: drops expired sessions, and idempotency keys older than a day (Stripe keeps them 24 hours). */
export const housekeeping = defineJob({
  name: 'housekeeping',
  schedule: { cron: '17 3 * * *' },
  retryLimit: 3,
  handler: async ({ ctx }) => {
    const now = toDate(ctx.clock.now());
    const dayAgo = new Date(now.getTime() - 86_400_000);
    const sessions = await ctx.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    const keys = await ctx.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', dayAgo)
      .executeTakeFirst();
    ctx.log.info(
      { sessions: Number(sessions.numDeletedRows), idempotency_keys: Number(keys.numDeletedRows) },
      'housekeeping done',
    );
  },
});
