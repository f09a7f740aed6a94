// The monthly run for many subscriptions (npm run bench, or alone: node --import tsx bench/billing-run.ts).
// 10,000 subscriptions on the embedded database come due at once; the billing run renews each, issues
// and numbers its invoice, charges the saved card at the built-in test gateway and posts the ledger.
// Baseline, in the same run on an identical database: the same invoice and ledger rows written with
// plain SQL, one INSERT per row and one transaction per subscription. Target: ratio <= 10.
// Prints one JSON document on stdout.
import { sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import { silentLogger } from '../server/src/context.js';
import { migrateToLatest, type OpenDatabase, openDatabase } from '../server/src/db/database.js';
import { runBilling } from '../server/src/flows/billing-run.js';
import { JobRunner, jobs } from '../server/src/jobs/index.js';
import { createGatewayRegistry } from '../server/src/payments/index.js';
import { seedSubscribers } from '../server/src/testing/billing-fixture.js';
import { systemClock } from '../server/src/time/index.js';

const COUNT = Number(process.env.BENCH_SUBSCRIPTIONS ?? 10_000);
const AT = Temporal.Instant.from('2027-02-01T09:00:00Z');
const clock = { now: () => AT };

async function prepared(): Promise<OpenDatabase> {
  const database = await openDatabase({ kind: 'pglite' });
  await migrateToLatest(database.db);
  const runner = new JobRunner({ db: database.db, clock: systemClock, log: silentLogger, jobs, work: false });
  await runner.start();
  await runner.stop();
  await seedSubscribers(database.db, {
    count: COUNT,
    prefix: 'bench',
    basePrice: 2000,
    timeZone: 'America/Los_Angeles',
    periodEnd: '2027-02-01T08:00:00Z',
  });
  return database;
}

const TABLES = [
  'invoices',
  'invoice_lines',
  'invoice_numbers',
  'ledger_entries',
  'statements',
  'payments',
  'subscription_events',
  'audit_events',
  'events',
  'test_gateway_objects',
];

async function rowCounts(database: OpenDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: bigint }>`select count(*) as n from ${sql.table(table)}`.execute(
      database.db,
    );
    counts[table] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}

/** The billing run, as `billfold start` runs it. */
async function measureRun() {
  const database = await prepared();
  const before = await rowCounts(database);
  const gateways = createGatewayRegistry({
    db: database.db,
    clock,
    publicUrl: () => 'http://127.0.0.1:9',
    configured: [],
  });
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const report = await runBilling(
    { db: database.db, clock, log: silentLogger, actor: { type: 'system', id: 'bench' }, requestId: 'bench' },
    { gateways },
  );
  const ms = performance.now() - started;
  const after = await rowCounts(database);
  const written = Object.fromEntries(TABLES.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
  await database.close();
  return {
    ms,
    report,
    written,
    heapDeltaMb: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6),
  };
}

/** The same invoice and ledger rows, written with plain SQL: what the run cannot do with less. */
async function measureBaseline() {
  const database = await prepared();
  const db = database.db;
  const subs = await db
    .selectFrom('subscriptions')
    .select(['org_id', 'id', 'customer_id'])
    .where('plan_id', '=', 'plan_bench')
    .execute();
  const start = '2027-02-01T08:00:00Z';
  const end = '2027-03-01T08:00:00Z';
  const started = performance.now();
  let number = 0;
  for (const sub of subs) {
    number++;
    const invoiceId = `in_base${number}`;
    const num = `BF-${String(number).padStart(6, '0')}`;
    await db.transaction().execute(async (tx) => {
      await sql`update billing_settings set next_invoice_number = next_invoice_number + 1 where org_id = 'org_platform'`.execute(
        tx,
      );
      await sql`insert into invoices (org_id, id, issuer_id, customer_id, subscription_id, number, status, billing_reason,
          currency, period_start, period_end, subtotal, tax, total, amount_paid, tax_name, tax_percent, tax_inclusive,
          bill_to, due_at, finalized_at, paid_at, auto_charge, created_at, updated_at)
        values (${sub.org_id}, ${invoiceId}, 'org_platform', ${sub.customer_id}, ${sub.id}, ${num}, 'paid', 'subscription_cycle',
          'USD', ${start}, ${end}, 2000, 0, 2000, 2000, 'Tax', '0', false, '{}', ${start}, ${start}, ${start}, true, now(), now())`.execute(
        tx,
      );
      await sql`insert into invoice_lines (org_id, id, invoice_id, position, kind, description, period_start, period_end,
          quantity, unit_amount, amount, plan_version_id)
        values (${sub.org_id}, ${`il_base${number}`}, ${invoiceId}, 0, 'license', 'Scale (Feb 1, 2027 – Feb 28, 2027)',
          ${start}, ${end}, '1', '2000', 2000, 'plv_bench')`.execute(tx);
      await sql`insert into invoice_numbers (org_id, number, invoice_org_id, invoice_id, assigned_at)
        values ('org_platform', ${num}, ${sub.org_id}, ${invoiceId}, now())`.execute(tx);
      await sql`insert into payments (org_id, id, customer_id, gateway, gateway_payment_ref, amount, currency, status,
          invoice_id, created_at, updated_at)
        values (${sub.org_id}, ${`pay_base${number}`}, ${sub.customer_id}, 'test', ${`tpay_base${number}`}, 2000, 'USD',
          'succeeded', ${invoiceId}, now(), now())`.execute(tx);
      await sql`insert into statements (org_id, id, subscription_id, currency, month, period_start, period_end, status)
        values (${sub.org_id}, ${`stmt_base${number}`}, ${sub.id}, 'USD', '2027-02', ${start}, ${end}, 'open')`.execute(
        tx,
      );
      for (const [kind, amount, key] of [
        ['license', -2000, 'line:0'],
        ['payment', 2000, 'payment'],
      ] as const) {
        await sql`insert into ledger_entries (org_id, id, subscription_id, statement_id, kind, amount, currency, description,
            effective_at, late, invoice_id, source_key, posted_at)
          values (${sub.org_id}, ${`le_base${number}${kind}`}, ${sub.id}, ${`stmt_base${number}`}, ${kind}, ${amount}, 'USD',
            ${num}, ${start}, false, ${invoiceId}, ${`invoice:${invoiceId}:${key}`}, now())`.execute(tx);
      }
      await sql`update subscriptions set current_period_start = ${start}, current_period_end = ${end}
        where org_id = ${sub.org_id} and id = ${sub.id}`.execute(tx);
    });
  }
  const ms = performance.now() - started;
  await database.close();
  return { ms, rows: number * 8 };
}

const run = await measureRun();
const baseline = await measureBaseline();
const ratio = Number((run.ms / baseline.ms).toFixed(2));
const rowsWritten = Object.values(run.written).reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    subscriptions: COUNT,
    engine: 'pglite',
    run: {
      wall_ms: Math.round(run.ms),
      per_subscription_ms: Number((run.ms / COUNT).toFixed(2)),
      report: run.report,
      rows_written: rowsWritten,
      rows_by_table: run.written,
      heap_delta_mb: run.heapDeltaMb,
    },
    baseline_plain_sql_inserts: { wall_ms: Math.round(baseline.ms), rows_written: baseline.rows },
    ratio,
    target_ratio: 10,
    met: ratio <= 10 && run.report.renewed === COUNT && run.report.charged === COUNT,
  }),
);
