import { type KyselyPlugin, sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, silentLogger } from '../context.js';
import * as subscriptions from '../subscriptions/index.js';
import { tenantContext } from '../tenant.js';
import { seedSubscribers } from '../testing/billing-fixture.js';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';
import { describeSubscriptions } from './billing-customer.js';
import { RunMemo, renewDue } from './renewals.js';
import { billingCustomerContext, upcomingInvoice } from './subscription-billing.js';

/**
 * Renewals by the batch: the billing run's bulk path, with the one-at-a-time cases mixed in, a
 * subscription whose data is bad set aside without holding up the others, and numbers that stay
 * gapless across batches. And a page of subscriptions described in a fixed number of queries.
 */

const AT = Temporal.Instant.from('2027-02-01T09:00:00Z');
const ctxOf = (database: TestDatabase, plugins: KyselyPlugin[] = []): Ctx => ({
  db: plugins.reduce((db, plugin) => db.withPlugin(plugin), database.db),
  clock: { now: () => AT },
  log: silentLogger,
  actor: { type: 'system', id: 'test' },
  requestId: 'renewals',
});
const sub = (n: number) => `sub_batch${String(n).padStart(6, '0')}`;
const org = (n: number) => `org_batch${String(n).padStart(6, '0')}`;

describe.each(engines())('renewals by the batch on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
    await seedSubscribers(database.db, {
      count: 30,
      prefix: 'batch',
      basePrice: 2000,
      timeZone: 'America/Los_Angeles',
      periodEnd: '2027-02-01T08:00:00Z',
    });
  });
  afterAll(() => database.close());

  it('renews every batch in bulk, sets a bad subscription aside, and keeps numbers gapless', async () => {
    const db = database.db;
    await sql`update subscriptions set cancel_at_period_end = true where id = ${sub(5)}`.execute(db);
    await sql`update subscriptions set status = 'trialing' where id = ${sub(6)}`.execute(db);
    await sql`update subscriptions set status = 'paused', paused_for_payment = true where id = ${sub(7)}`.execute(
      db,
    );
    // A zone no calendar knows: this subscription's period cannot be computed.
    await sql`update subscriptions set time_zone = 'Nowhere/Atlantis' where id = ${sub(9)}`.execute(db);
    await sql`insert into webhook_endpoints (org_id, id, url, description, secret, events, status, created_at)
      values (${org(1)}, 'we_batch', 'https://hooks.example/billing', 'Billing', 'whsec_batch', '{invoice.*}',
        'enabled', now())`.execute(db);

    const setAside = new Set<string>();
    // Batches of 8: four batches, the second of which fails until its bad subscription is split off.
    const pass = await renewDue(ctxOf(database), {}, new RunMemo(), setAside, 8);
    expect(pass.setAside.map((s) => s.subscriptionId)).toEqual([sub(9)]);
    // 30, less the paused one and the bad one; the cancelled one counts (its renewal is its end).
    expect(pass.renewed).toBe(28);

    const one = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows[0] as T;
    const invoices = await one(sql<{
      n: bigint;
      lowest: string;
      highest: string;
      next: bigint;
      lines: bigint;
    }>`
      select count(*) as n, min(number) as lowest, max(number) as highest,
        (select next_invoice_number from billing_settings where org_id = 'org_platform') as next,
        (select count(*) from invoice_lines) as lines
      from invoices where status = 'open' and next_attempt_at is not null`);
    // 27 invoices: not the cancelled, paused or bad ones. Numbers 1 to 27, none skipped.
    expect(invoices).toEqual({ n: 27n, lowest: 'BF-000001', highest: 'BF-000027', next: 28n, lines: 27n });
    const register = await one(sql<{ n: bigint }>`
      select count(*) as n from invoice_numbers r join invoices i on i.id = r.invoice_id and i.number = r.number`);
    expect(register.n).toBe(27n);

    const ledger = await one(sql<{ entries: bigint; total: bigint; statements: bigint; months: string[] }>`
      select count(*) as entries, sum(amount)::int8 as total, count(distinct statement_id) as statements,
        array_agg(distinct s.month) as months
      from ledger_entries e join statements s on s.org_id = e.org_id and s.id = e.statement_id`);
    expect(ledger).toEqual({ entries: 27n, total: -54000n, statements: 27n, months: ['2027-02'] });

    const states = await sql<{ id: string; status: string; current_period_end: Date }>`
      select id, status, current_period_end from subscriptions where id in (${sql.join([sub(5), sub(6), sub(7), sub(9), sub(10)])})
      order by id`.execute(db);
    expect(states.rows.map((r) => [r.id, r.status, r.current_period_end.toISOString()])).toEqual([
      [sub(5), 'cancelled', '2027-02-01T08:00:00.000Z'],
      [sub(6), 'active', '2027-03-01T08:00:00.000Z'],
      [sub(7), 'paused', '2027-02-01T08:00:00.000Z'],
      // Still due: the next run tries it again.
      [sub(9), 'active', '2027-02-01T08:00:00.000Z'],
      [sub(10), 'active', '2027-03-01T08:00:00.000Z'],
    ]);

    // The outbox: an event per invoice, and a delivery (with its job) to the endpoint that wants them.
    const outbox = await one(sql<{ events: bigint; deliveries: bigint; jobs: bigint }>`
      select (select count(*) from events where type = 'invoice.finalized') as events,
        (select count(*) from webhook_deliveries where endpoint_id = 'we_batch') as deliveries,
        (select count(*) from pgboss.job where name = 'webhooks.deliver') as jobs`);
    expect(outbox).toEqual({ events: 27n, deliveries: 1n, jobs: 1n });

    // Run again: nothing is due but the subscription set aside, which stays aside for this run.
    const again = await renewDue(ctxOf(database), {}, new RunMemo(), setAside, 8);
    expect(again).toEqual({ renewed: 0, setAside: [] });
  });

  it('describes a page of 1 and a page of 20 subscriptions with the same number of queries', async () => {
    const db = database.db;
    // Twenty subscriptions of one organization, one with a downgrade waiting.
    await sql`
      insert into subscriptions (org_id, id, customer_id, plan_issuer_id, plan_id, plan_version_id, status,
        started_at, created_at, billing_mode, anchor_day, time_zone, current_period_start, current_period_end,
        cancel_at_period_end, updated_at, pending_plan_id, pending_plan_version_id, pending_change_timing,
        pending_change_at)
      select org_id, id || '_' || n, customer_id, plan_issuer_id, plan_id, plan_version_id, status, started_at,
        created_at, billing_mode, anchor_day, time_zone, current_period_start, current_period_end,
        n = 3, updated_at, case when n = 4 then plan_id end, case when n = 4 then plan_version_id end,
        case when n = 4 then 'period_end' end, case when n = 4 then current_period_end end
      from subscriptions, generate_series(1, 19) as n where id = ${sub(20)}`.execute(db);
    let queries = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        queries++;
        return args.result;
      },
    };
    const ctx = ctxOf(database, [counting]);
    const page = async (size: number) => {
      const { rows } = await subscriptions.listSubscriptions(tenantContext(ctxOf(database), org(20)), {
        limit: size,
      });
      queries = 0;
      const described = await describeSubscriptions(tenantContext(ctx, org(20)), rows);
      return { described, rows, queries };
    };
    const single = await page(1);
    const twenty = await page(20);
    expect(twenty.described).toHaveLength(20);
    expect(twenty.queries).toBe(single.queries);
    // What each next invoice says is what the one-at-a-time computation says.
    for (const [i, row] of twenty.rows.entries()) {
      const upcoming = await upcomingInvoice(
        await billingCustomerContext(tenantContext(ctxOf(database), row.org_id)),
        row,
      );
      expect(twenty.described[i]?.next_invoice).toEqual(
        upcoming
          ? { at: upcoming.at.toString(), total: Number(upcoming.total), currency: upcoming.currency }
          : null,
      );
    }
  });
});
