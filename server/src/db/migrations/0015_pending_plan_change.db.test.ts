import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSubscribers } from '../../testing/billing-fixture.js';
import { engines, freshDatabase, type TestDatabase } from '../../testing/databases.js';
import { movePendingChangesOver } from './0015_pending_plan_change.js';

/**
 * Pending plan changes move onto the subscription in 0015: a downgrade waiting in the columns it had
 * before, and a change being paid for, known until then only by its draft invoice's lines.
 */
describe.each(engines())('migration 0015 on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(() => database.close());

  it('moves a waiting downgrade and a change being paid for onto the subscription, and nothing else', async () => {
    const db = database.db;
    const periodEnd = '2027-04-01T07:00:00Z';
    await seedSubscribers(db, { count: 4, prefix: 'pending', basePrice: 5000, timeZone: 'UTC', periodEnd });
    await seedSubscribers(db, { count: 0, prefix: 'target', basePrice: 1000, timeZone: 'UTC', periodEnd });
    const sub = (n: number) => `sub_pending00000${n}`;
    const org = (n: number) => `org_pending00000${n}`;
    // The columns a waiting downgrade had before 0015.
    await sql`
      alter table subscriptions add column scheduled_plan_id text, add column scheduled_plan_version_id text
    `.execute(db);
    await sql`
      update subscriptions set scheduled_plan_id = 'plan_target', scheduled_plan_version_id = 'plv_target'
       where id = ${sub(1)}`.execute(db);
    // Drafts of changes now: a change within the month (a prorated charge), a change of interval (a
    // whole period's fee), and one already issued, which is no longer pending.
    const draft = async (n: number, status: 'draft' | 'paid', kind: string, start: string, end: string) => {
      await sql`
        insert into invoices (org_id, id, issuer_id, customer_id, subscription_id, number, status,
          billing_reason, currency, period_start, period_end, subtotal, tax, total, amount_paid, tax_name,
          tax_percent, tax_inclusive, bill_to, auto_charge, created_at, updated_at)
        values (${org(n)}, ${`in_pending${n}`}, 'org_platform', ${`cus_pending00000${n}`}, ${sub(n)},
          ${status === 'draft' ? null : `BF-${n}`}, ${status}, 'subscription_update', 'USD', ${start}, ${end},
          100, 0, 100, 0, 'Tax', '0', false, '{}', false, now(), now())`.execute(db);
      await sql`
        insert into invoice_lines (org_id, id, invoice_id, position, kind, description, period_start,
          period_end, quantity, unit_amount, amount, plan_version_id)
        values (${org(n)}, ${`il_pending${n}a`}, ${`in_pending${n}`}, 0, 'proration_credit', 'Unused time',
          ${start}, ${end}, '1', '-5000', -200, 'plv_pending'),
          (${org(n)}, ${`il_pending${n}b`}, ${`in_pending${n}`}, 1, ${kind}, 'The new plan', ${start}, ${end},
          '1', '1000', 300, 'plv_target')`.execute(db);
    };
    await draft(2, 'draft', 'proration_charge', '2027-03-20T12:00:00Z', periodEnd);
    await draft(3, 'draft', 'license', '2027-03-20T12:00:00Z', '2028-01-01T00:00:00Z');
    await draft(4, 'paid', 'proration_charge', '2027-03-20T12:00:00Z', periodEnd);

    await movePendingChangesOver(db as unknown as Kysely<unknown>);
    await sql`
      alter table subscriptions drop column scheduled_plan_id, drop column scheduled_plan_version_id
    `.execute(db);

    const rows = await db
      .selectFrom('subscriptions')
      .select([
        'id',
        'pending_plan_id',
        'pending_plan_version_id',
        'pending_change_timing',
        'pending_change_at',
        'pending_period_end',
        'pending_invoice_id',
      ])
      .where('id', 'like', 'sub_pending%')
      .orderBy('id')
      .execute();
    const none = {
      pending_plan_id: null,
      pending_plan_version_id: null,
      pending_change_timing: null,
      pending_change_at: null,
      pending_period_end: null,
      pending_invoice_id: null,
    };
    const target = { pending_plan_id: 'plan_target', pending_plan_version_id: 'plv_target' };
    expect(rows).toEqual([
      {
        id: sub(1),
        ...none,
        ...target,
        pending_change_timing: 'period_end',
        pending_change_at: new Date(periodEnd),
      },
      {
        id: sub(2),
        ...target,
        pending_change_timing: 'now',
        pending_change_at: new Date('2027-03-20T12:00:00Z'),
        pending_period_end: null,
        pending_invoice_id: 'in_pending2',
      },
      {
        id: sub(3),
        ...target,
        pending_change_timing: 'now',
        pending_change_at: new Date('2027-03-20T12:00:00Z'),
        pending_period_end: new Date('2028-01-01T00:00:00Z'),
        pending_invoice_id: 'in_pending3',
      },
      { id: sub(4), ...none },
    ]);
  });
});
