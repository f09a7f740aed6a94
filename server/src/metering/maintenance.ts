import { sql } from 'kysely';
import type { Ctx } from '../context.js';
import { defineJob } from '../jobs/queue.js';
import { toDate } from '../time/index.js';

/**
 * Metering's upkeep, hourly: the months ahead get their partitions of usage_events before their
 * events arrive (a month's partition cannot be attached once the default partition holds rows of
 * it), rollup deltas older than an hour are merged, and deduplication ids older than 40 days go.
 */

/** How many months ahead (and this one) have their partition. */
const MONTHS_AHEAD = 3;
/** Event ids are kept this long: resends within 35 days are promised to count nothing. */
const KEEP_IDS_DAYS = 40;

const partitionName = (year: number, month: number) =>
  `usage_events_${year}_${String(month).padStart(2, '0')}`;

/** Creates the partitions of this month and the next `MONTHS_AHEAD`, where missing. */
export async function makePartitions(ctx: Ctx): Promise<string[]> {
  const now = toDate(ctx.clock.now());
  const made: string[] = [];
  for (let ahead = 0; ahead <= MONTHS_AHEAD; ahead++) {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1));
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    const name = partitionName(start.getUTCFullYear(), start.getUTCMonth() + 1);
    const exists = await sql<{ found: boolean }>`select to_regclass(${name}) is not null as found`.execute(
      ctx.db,
    );
    if (exists.rows[0]?.found) continue;
    try {
      await sql
        .raw(
          `create table ${name} partition of usage_events
           for values from ('${start.toISOString()}') to ('${end.toISOString()}')`,
        )
        .execute(ctx.db);
      made.push(name);
    } catch (error) {
      // Events of that month arrived first and sit in the default partition: they stay there
      // (still read and counted), and the month goes on without its own partition.
      ctx.log.warn({ err: error, partition: name }, 'a usage events partition could not be made');
    }
  }
  return made;
}

/**
 * Folds each (customer, metric, hour, group)'s rollup deltas older than `settled` into one row, in
 * one transaction per call: reads sum whatever rows there are, so a merge changes no total.
 */
export async function mergeRollups(ctx: Ctx, settled: Date): Promise<number> {
  return ctx.db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ merged: bigint }>`
      with gone as (
        delete from usage_rollups where hour < ${settled}
          and (org_id, metric, hour, group_values) in (
            select org_id, metric, hour, group_values from usage_rollups where hour < ${settled}
            group by 1, 2, 3, 4 having count(*) > 1)
        returning *
      ),
      merged as (
        insert into usage_rollups (org_id, metric, hour, group_values, events, total, greatest, latest_at, latest, merged)
        select org_id, metric, hour, group_values, sum(events), sum(total), max(greatest), max(latest_at),
          (array_agg(latest order by latest_at desc nulls last))[1], true
        from gone group by 1, 2, 3, 4
        returning 1
      )
      select count(*) as merged from merged`.execute(tx);
    return Number(rows[0]?.merged ?? 0);
  });
}

export const meteringUpkeep = defineJob({
  name: 'metering.upkeep',
  schedule: { cron: '7 * * * *' },
  retryLimit: 3,
  handler: async ({ ctx }) => {
    const now = toDate(ctx.clock.now());
    const partitions = await makePartitions(ctx);
    const merged = await mergeRollups(ctx, new Date(now.getTime() - 3_600_000));
    const ids = await ctx.db
      .deleteFrom('usage_event_ids')
      .where('received_at', '<', new Date(now.getTime() - KEEP_IDS_DAYS * 86_400_000))
      .executeTakeFirst();
    ctx.log.info(
      { partitions, rollups_merged: merged, event_ids_dropped: Number(ids.numDeletedRows) },
      'metering upkeep done',
    );
  },
});
