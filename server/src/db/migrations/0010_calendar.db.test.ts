import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSubscribers } from '../../testing/billing-fixture.js';
import { engines, freshDatabase, type TestDatabase } from '../../testing/databases.js';
import { keepYearlySubscriptionsOnTheirDay } from './0010_calendar.js';

/**
 * Calendar years start on 1 January since 0010; yearly subscriptions from before billed years from
 * their start day, and must go on doing so.
 */
describe.each(engines())('migration 0010 on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(() => database.close());

  it('turns yearly calendar subscriptions into anniversary years on their local start day, and no other', async () => {
    const db = database.db;
    // Started at 06:00Z on 10 March 2027: 22:00 on the 9th in Los Angeles.
    const start = {
      count: 1,
      basePrice: 1000,
      timeZone: 'America/Los_Angeles',
      periodEnd: '2027-04-10T06:00:00Z',
    };
    await seedSubscribers(db, { ...start, prefix: 'yearly' });
    await seedSubscribers(db, { ...start, prefix: 'monthly' });
    await sql`update plans set billing_interval = 'year' where id = 'plan_yearly'`.execute(db);

    await keepYearlySubscriptionsOnTheirDay(db as unknown as Kysely<unknown>);
    const rows = await db
      .selectFrom('subscriptions')
      .select(['plan_id', 'billing_mode', 'anchor_day'])
      .where('plan_id', 'in', ['plan_yearly', 'plan_monthly'])
      .orderBy('plan_id', 'desc')
      .execute();
    expect(rows).toEqual([
      { plan_id: 'plan_yearly', billing_mode: 'anniversary', anchor_day: 9 },
      { plan_id: 'plan_monthly', billing_mode: 'calendar', anchor_day: 1 },
    ]);
  });
});
