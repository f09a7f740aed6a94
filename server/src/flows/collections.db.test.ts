import { sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, silentLogger } from '../context.js';
import { createGatewayRegistry } from '../payments/index.js';
import { chargesAtTestGateway } from '../testing/billing.js';
import { seedSubscribers } from '../testing/billing-fixture.js';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';
import { RunMemo, runBilling } from './billing-run.js';
import { renewDue } from './renewals.js';

/**
 * Collections by the page: 250 renewal invoices (three pages of answers) charged by two billing runs
 * at once, with declines, a subscription held for payment, and a payment whose month has closed mixed
 * in. Counted at the gateway and in the database: one charge per invoice, one payment, one ledger
 * entry, one event.
 */

const COUNT = 250;
const AT = Temporal.Instant.from('2027-02-01T09:00:00Z');
const sub = (n: number) => `sub_pages${String(n).padStart(6, '0')}`;
const declined = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(sub);
const held = sub(11);
const late = sub(12);

describe.each(engines())('collections by the page on %s', (engine) => {
  let database: TestDatabase;
  let ctx: Ctx;
  beforeAll(async () => {
    database = await freshDatabase(engine);
    ctx = {
      db: database.db,
      clock: { now: () => AT },
      log: silentLogger,
      actor: { type: 'system', id: 'test' },
      requestId: 'collections',
    };
    await seedSubscribers(database.db, {
      count: COUNT,
      prefix: 'pages',
      basePrice: 2000,
      timeZone: 'America/Los_Angeles',
      periodEnd: '2027-02-01T08:00:00Z',
    });
  });
  afterAll(() => database.close());

  it('charges every invoice once when two runs collect the same pages at once', async () => {
    const db = database.db;
    await sql`update test_gateway_objects set data = jsonb_set(data, '{behaviour}', '"declined"')
      where id in (select gateway_ref from payment_methods where org_id in (
        select org_id from subscriptions where id = any(${declined}::text[])))`.execute(db);
    await sql`update subscriptions set status = 'past_due' where id = ${held}`.execute(db);
    const renewed = await renewDue(ctx, {}, new RunMemo(), new Set());
    expect(renewed.renewed).toBe(COUNT);
    // February's statement closed before its payment arrives: the payment goes late into March.
    await sql`update statements set status = 'closed', closed_at = now(), opening_balance = 0, credits = 0,
      license_charges = 2000, usage_charges = 0, other_charges = 0, closing_balance = -2000
      where subscription_id = ${late} and month = '2027-02'`.execute(db);

    const gateways = createGatewayRegistry({
      db,
      clock: ctx.clock,
      publicUrl: () => 'http://127.0.0.1:9',
      configured: [],
    });
    await Promise.all([
      runBilling(ctx, { gateways, chargeConcurrency: 4 }),
      runBilling(ctx, { gateways, chargeConcurrency: 4 }),
    ]);

    // At the gateway: each invoice charged once, every success recorded here.
    const charged = await chargesAtTestGateway(db);
    expect(charged.invoices).toHaveLength(COUNT);
    expect(charged.unrecorded).toEqual([]);
    const invoices = await db
      .selectFrom('invoices')
      .select(['id', 'subscription_id', 'status', 'attempt_count', 'amount_paid'])
      .execute();
    for (const invoice of invoices) {
      const atGateway = charged.invoices.find((c) => c.invoiceId === invoice.id);
      if (declined.includes(invoice.subscription_id ?? '')) {
        expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, amount_paid: 0n });
        expect(atGateway).toMatchObject({ succeeded: 0, failed: 1 });
      } else {
        expect(invoice).toMatchObject({ status: 'paid', attempt_count: 0, amount_paid: 2000n });
        expect(atGateway).toMatchObject({ succeeded: 1, failed: 0 });
      }
    }

    // Here: one payment per invoice, one ledger entry per success, one event per payment and per paid invoice.
    const counts = (
      await sql<{ payments: bigint; entries: bigint; paid_events: bigint; payment_events: bigint }>`
        select (select count(*) from payments) as payments,
          (select count(*) from ledger_entries where kind = 'payment') as entries,
          (select count(*) from events where type = 'invoice.paid') as paid_events,
          (select count(*) from events where type like 'payment.%') as payment_events`.execute(db)
    ).rows[0];
    expect(counts).toEqual({
      payments: BigInt(COUNT),
      entries: BigInt(COUNT - declined.length),
      paid_events: BigInt(COUNT - declined.length),
      payment_events: BigInt(COUNT),
    });
    const statuses = await db.selectFrom('subscriptions').select(['id', 'status']).execute();
    for (const { id, status } of statuses) {
      expect([id, status]).toEqual([id, declined.includes(id) ? 'past_due' : 'active']);
    }
    // The late payment: in March's statement, marked late and labelled with its month.
    const lateEntry = await db
      .selectFrom('ledger_entries as e')
      .innerJoin('statements as s', 's.id', 'e.statement_id')
      .select(['e.late', 'e.description', 's.month'])
      .where('e.subscription_id', '=', late)
      .where('e.kind', '=', 'payment')
      .executeTakeFirstOrThrow();
    expect(lateEntry).toMatchObject({ late: true, month: '2027-03' });
    expect(lateEntry.description).toMatch(/^Adjustment for February 2027: Payment for BF-/);
  });
});
