import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';
import { recordAudit } from '../access/index.js';
import { idOf } from '../api-shapes.js';
import { newId } from '../db/ids.js';
import type { TestClockRow } from '../db/schema.js';
import { conflict, invalid, notFound } from '../errors.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { fromDate, toDate } from '../time/index.js';

/**
 * Test clocks, as Stripe's: in test mode an organization's billing customer is attached to a clock
 * whose time only moves when told to. Billing for that customer reads this time instead of the
 * platform's, and moving it forward runs what would have run in between (flows/test-clocks.ts).
 */

const instant = z
  .string()
  .refine((value) => {
    try {
      Temporal.Instant.from(value);
      return true;
    } catch {
      return false;
    }
  }, 'An ISO 8601 timestamp with an offset, e.g. 2027-03-14T10:00:00Z')
  .describe('ISO 8601 timestamp with an offset');

export const createTestClockBody = z.strictObject({
  name: z.string().trim().min(1).max(100).default('Test clock'),
  frozen_time: instant.optional().describe('Where the clock starts; now when absent. Never in the past.'),
});

export const advanceTestClockBody = z.strictObject({
  frozen_time: instant.describe('Where to move the clock; later than it is now'),
});

export const testClockParams = z.strictObject({ test_clock_id: idOf('testClock') });

export const testClockObject = z.object({
  id: z.string(),
  object: z.literal('test_clock'),
  name: z.string(),
  frozen_time: z.string(),
  created_at: z.string(),
});

export function presentTestClock(row: TestClockRow): z.infer<typeof testClockObject> {
  return {
    id: row.id,
    object: 'test_clock',
    name: row.name,
    frozen_time: row.frozen_time.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

/** Creates a clock for the organization and attaches its billing customer to it. */
export async function createTestClock(
  ctx: TenantCtx,
  input: z.infer<typeof createTestClockBody>,
  customer: { id: string; gateway: string; test_clock_id: string | null },
): Promise<TestClockRow> {
  if (customer.gateway !== 'test') {
    throw invalid('test_clock.live_customer', 'Test clocks are for customers that pay at the test gateway');
  }
  if (customer.test_clock_id) {
    throw conflict('test_clock.already_attached', 'This customer is attached to a test clock already');
  }
  const now = ctx.clock.now();
  const start = input.frozen_time ? Temporal.Instant.from(input.frozen_time) : now;
  if (Temporal.Instant.compare(start, now) < 0) {
    throw invalid('test_clock.in_the_past', 'A test clock starts now or later', 'frozen_time');
  }
  const row: TestClockRow = {
    org_id: ctx.tenant.orgId,
    id: newId('testClock'),
    name: input.name,
    frozen_time: toDate(start),
    created_at: toDate(now),
  };
  await ctx.db.insertInto('test_clocks').values(row).execute();
  await scoped(ctx)
    .updateTable('billing_customers')
    .set({ test_clock_id: row.id })
    .where('id', '=', customer.id)
    .execute();
  await recordAudit(ctx, {
    action: 'test_clock.created',
    targetType: 'test_clock',
    targetId: row.id,
    after: { frozen_time: row.frozen_time.toISOString(), customer_id: customer.id },
  });
  return row;
}

export async function getTestClock(
  ctx: TenantCtx,
  id: string,
  options: { lock?: boolean } = {},
): Promise<TestClockRow> {
  let query = scoped(ctx).selectFrom('test_clocks').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('test_clock.not_found', 'No such test clock');
  return row;
}

export async function setFrozenTime(
  ctx: TenantCtx,
  row: TestClockRow,
  to: Temporal.Instant,
): Promise<TestClockRow> {
  await recordAudit(ctx, {
    action: 'test_clock.advanced',
    targetType: 'test_clock',
    targetId: row.id,
    before: { frozen_time: row.frozen_time.toISOString() },
    after: { frozen_time: to.toString() },
  });
  return scoped(ctx)
    .updateTable('test_clocks')
    .set({ frozen_time: toDate(to) })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * The earliest moment after which billing has something to do for the organization: a period end,
 * an automatic charge, a month to close. The clock steps from one to the next.
 */
export async function nextDueInstant(ctx: TenantCtx): Promise<Temporal.Instant | undefined> {
  const [periods, charges, months] = await Promise.all([
    scoped(ctx)
      .selectFrom('subscriptions')
      .select((eb) => eb.fn.min('current_period_end').as('at'))
      .where('status', 'in', ['trialing', 'active', 'past_due', 'unpaid'])
      .executeTakeFirst(),
    scoped(ctx)
      .selectFrom('invoices')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', '=', 'open')
      .where('auto_charge', '=', true)
      .executeTakeFirst(),
    scoped(ctx)
      .selectFrom('statements')
      .select((eb) => eb.fn.min('period_end').as('at'))
      .where('status', '=', 'open')
      .executeTakeFirst(),
  ]);
  const candidates = [periods?.at, charges?.at, months?.at]
    .filter((at): at is Date => at instanceof Date)
    .map(fromDate);
  return candidates.sort(Temporal.Instant.compare)[0];
}
