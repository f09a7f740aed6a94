import { sql } from 'kysely';
import { toDate } from '../time/index.js';
import { defineJob } from './queue.js';

/**
 * Daily: drops expired sessions, idempotency keys older than a day (Stripe keeps them 24 hours) and
 * ended rate-limit windows.
 */
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
    // Windows are timed by the database's clock (http/rate-limit.ts), so they end by it too.
    const windows = await ctx.db
      .deleteFrom('rate_limits')
      .where('window_ends_at', '<=', sql<Date>`now()`)
      .executeTakeFirst();
    ctx.log.info(
      {
        sessions: Number(sessions.numDeletedRows),
        idempotency_keys: Number(keys.numDeletedRows),
        rate_limits: Number(windows.numDeletedRows),
      },
      'housekeeping done',
    );
  },
});
