// The monthly run for many subscriptions (npm run bench, or alone: node --import tsx bench/billing-run.ts).
// For each engine (PGlite, PostgreSQL) and each size (1,000 and 10,000 by default; BENCH_SIZES=1000,10000,50000),
// that many subscriptions come due at once on a fresh database, and the billing run
//   1. renews them: the next period, the invoice with its line and number, the statement, the ledger
//      entry and the outbox event, batch by batch (charges excluded), then
//   2. charges every invoice at the built-in test gateway and settles it (runBilling, as `billfold start` runs it).
// Counted through the driver: statements and transactions per subscription.
// Baseline, in the same run on an identical fresh database: the rows of step 1 written the fastest plain
// way, multi-row INSERTs (and one multi-row UPDATE) in batches of 500, one transaction per batch.
// Targets: step 1 within 3x the baseline; step 1 at >= 500 subscriptions/s on PostgreSQL and >= 200/s on
// PGlite; steps 1 and 2 at >= 200/s on PostgreSQL; the cost per subscription flat (largest size within
// 1.5x of the smallest). Sizes under 10,000 take the median of BENCH_REPEATS (3) rounds. Prints one
// JSON document on stdout (its last line).
//   BENCH_ENGINES=pglite,postgres  BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import { type Ctx, silentLogger } from '../server/src/context.js';
import { StatementCounter } from '../server/src/db/counting.js';
import {
  type DatabaseConfig,
  migrateToLatest,
  type OpenDatabase,
  openDatabase,
} from '../server/src/db/database.js';
import { runBilling } from '../server/src/flows/billing-run.js';
import { RunMemo, renewDue } from '../server/src/flows/renewals.js';
import { JobRunner, jobs } from '../server/src/jobs/index.js';
import { createGatewayRegistry } from '../server/src/payments/index.js';
import { seedSubscribers } from '../server/src/testing/billing-fixture.js';
import { systemClock } from '../server/src/time/index.js';

type Engine = 'pglite' | 'postgres';
const SIZES = (process.env.BENCH_SIZES ?? process.env.BENCH_SUBSCRIPTIONS ?? '1000,10000')
  .split(',')
  .map(Number);
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',') as Engine[];
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CHARGE_CONCURRENCY = Number(process.env.BILLFOLD_CHARGE_CONCURRENCY ?? 8);
// Where step 2 runs: its target is PostgreSQL's; on PGlite (one connection) it takes minutes at 10,000.
const CHARGES_ON = (process.env.BENCH_CHARGES ?? 'postgres').split(',');
const BATCH = 500;
/** Rounds of each size under 10,000 (BENCH_REPEATS), their medians reported. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const AT = Temporal.Instant.from('2027-02-01T09:00:00Z');
const clock = { now: () => AT };

/** A fresh database of `engine`, counted; on PostgreSQL one of its own, dropped on close. */
async function freshDatabase(engine: Engine, counter: StatementCounter): Promise<OpenDatabase> {
  const instrument: DatabaseConfig['instrument'] = (dialect) => counter.wrap(dialect);
  if (engine === 'pglite') return openDatabase({ kind: 'pglite', instrument });
  const admin = await openDatabase({ kind: 'postgres', url: POSTGRES_URL, poolSize: 1 });
  const name = `billfold_bench_${randomBytes(5).toString('hex')}`;
  await sql.raw(`create database ${name}`).execute(admin.db);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 10, instrument });
  return {
    ...database,
    close: async () => {
      await database.close();
      await sql.raw(`drop database ${name} with (force)`).execute(admin.db);
      await admin.close();
    },
  };
}

async function prepared(engine: Engine, count: number, counter: StatementCounter): Promise<OpenDatabase> {
  const database = await freshDatabase(engine, counter);
  await migrateToLatest(database.db);
  const runner = new JobRunner({ db: database.db, clock: systemClock, log: silentLogger, jobs, work: false });
  await runner.start();
  await runner.stop();
  await seedSubscribers(database.db, {
    count,
    prefix: 'bench',
    basePrice: 2000,
    timeZone: 'America/Los_Angeles',
    periodEnd: '2027-02-01T08:00:00Z',
  });
  if (engine === 'postgres') await sql`analyze`.execute(database.db);
  return database;
}

const TABLES = [
  'invoices',
  'invoice_lines',
  'invoice_numbers',
  'ledger_entries',
  'statements',
  'events',
  'payments',
  'subscription_events',
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

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(TABLES.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));

function phase(count: number, ms: number, counter: StatementCounter) {
  return {
    wall_ms: Math.round(ms),
    per_subscription_ms: Number((ms / count).toFixed(3)),
    subscriptions_per_second: Math.round(count / (ms / 1000)),
    statements_per_subscription: Number((counter.statements / count).toFixed(2)),
    transactions_per_subscription: Number((counter.transactions / count).toFixed(3)),
  };
}

/** The billing run: renewals by the batch, then the charges. */
async function measureRun(engine: Engine, count: number) {
  const counter = new StatementCounter();
  const database = await prepared(engine, count, counter);
  const ctx: Ctx = {
    db: database.db,
    clock,
    log: silentLogger,
    actor: { type: 'system', id: 'bench' },
    requestId: 'bench',
  };
  const gateways = createGatewayRegistry({
    db: database.db,
    clock,
    publicUrl: () => 'http://127.0.0.1:9',
    configured: [],
  });
  const before = await rowCounts(database);
  counter.reset();
  let started = performance.now();
  const renewals = await renewDue(ctx, {}, new RunMemo(), new Set());
  const renew = phase(count, performance.now() - started, counter);
  const renewedRows = diff(await rowCounts(database), before);

  if (!CHARGES_ON.includes(engine)) {
    await database.close();
    return {
      renew: { ...renew, renewed: renewals.renewed, set_aside: renewals.setAside.length, rows: renewedRows },
      rows_written: renewedRows,
    };
  }
  counter.reset();
  started = performance.now();
  const report = await runBilling(ctx, { gateways, chargeConcurrency: CHARGE_CONCURRENCY });
  const charge = phase(count, performance.now() - started, counter);
  const written = diff(await rowCounts(database), before);
  await database.close();
  return {
    renew: { ...renew, renewed: renewals.renewed, set_aside: renewals.setAside.length, rows: renewedRows },
    charge: { ...charge, report },
    rows_written: written,
    renew_and_charge_per_second: Math.round(count / ((renew.wall_ms + charge.wall_ms) / 1000)),
  };
}

/** The renewal's rows, written the fastest plain way: what the run cannot do with less. */
async function measureBaseline(engine: Engine, count: number) {
  const counter = new StatementCounter();
  const database = await prepared(engine, count, counter);
  const db = database.db;
  const start = new Date('2027-02-01T08:00:00Z');
  const end = new Date('2027-03-01T08:00:00Z');
  const now = new Date(AT.epochMilliseconds);
  counter.reset();
  const started = performance.now();
  let number = 0;
  let after = '';
  for (;;) {
    const written = await db.transaction().execute(async (tx) => {
      const subs = await tx
        .selectFrom('subscriptions')
        .select(['org_id', 'id', 'customer_id'])
        .where('current_period_end', '<=', now)
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
        .forUpdate()
        .execute();
      if (subs.length === 0) return 0;
      after = subs.at(-1)?.id ?? after;
      await sql`update billing_settings set next_invoice_number = next_invoice_number + ${subs.length}
        where org_id = 'org_platform'`.execute(tx);
      const rows = subs.map((sub) => {
        number++;
        return {
          sub,
          n: number,
          num: `BF-${String(number).padStart(6, '0')}`,
          invoiceId: `in_base${number}`,
        };
      });
      await tx
        .insertInto('invoices')
        .values(
          rows.map(({ sub, num, invoiceId }) => ({
            org_id: sub.org_id,
            id: invoiceId,
            issuer_id: 'org_platform',
            customer_id: sub.customer_id,
            subscription_id: sub.id,
            number: num,
            status: 'open' as const,
            billing_reason: 'subscription_cycle' as const,
            currency: 'USD',
            period_start: start,
            period_end: end,
            subtotal: 2000n,
            tax: 0n,
            total: 2000n,
            amount_paid: 0n,
            tax_name: 'Tax',
            tax_percent: '0',
            tax_inclusive: false,
            bill_to: JSON.stringify({ name: 'Load', country: 'US' }),
            due_at: start,
            finalized_at: now,
            auto_charge: true,
            next_attempt_at: now,
            attempt_count: 0,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      await tx
        .insertInto('invoice_lines')
        .values(
          rows.map(({ sub, n, invoiceId }) => ({
            org_id: sub.org_id,
            id: `il_base${n}`,
            invoice_id: invoiceId,
            position: 0,
            kind: 'license' as const,
            description: 'Scale (Feb 1, 2027 – Feb 28, 2027)',
            period_start: start,
            period_end: end,
            quantity: '1',
            unit_amount: '2000',
            amount: 2000n,
            plan_version_id: 'plv_bench',
          })),
        )
        .execute();
      await tx
        .insertInto('invoice_numbers')
        .values(
          rows.map(({ sub, num, invoiceId }) => ({
            org_id: 'org_platform',
            number: num,
            invoice_org_id: sub.org_id,
            invoice_id: invoiceId,
            assigned_at: now,
          })),
        )
        .execute();
      await tx
        .insertInto('statements')
        .values(
          rows.map(({ sub, n }) => ({
            org_id: sub.org_id,
            id: `stmt_base${n}`,
            subscription_id: sub.id,
            currency: 'USD',
            month: '2027-02',
            period_start: start,
            period_end: end,
            status: 'open' as const,
          })),
        )
        .execute();
      await tx
        .insertInto('ledger_entries')
        .values(
          rows.map(({ sub, n, num, invoiceId }) => ({
            org_id: sub.org_id,
            id: `le_base${n}`,
            subscription_id: sub.id,
            statement_id: `stmt_base${n}`,
            kind: 'license' as const,
            amount: -2000n,
            currency: 'USD',
            description: `${num}: Scale (Feb 1, 2027 – Feb 28, 2027)`,
            effective_at: start,
            late: false,
            invoice_id: invoiceId,
            source_key: `invoice:${invoiceId}:line:0`,
            posted_at: now,
          })),
        )
        .execute();
      await tx
        .insertInto('events')
        .values(
          rows.map(({ sub, n, num }) => ({
            org_id: sub.org_id,
            id: `evt_base${n}`,
            type: 'invoice.finalized',
            data: JSON.stringify({ object: { number: num, total: 2000 } }),
            created_at: now,
          })),
        )
        .execute();
      await sql`update subscriptions s set current_period_start = ${start}, current_period_end = ${end}, updated_at = ${now}
        from (values ${sql.join(rows.map(({ sub }) => sql`(${sub.org_id}, ${sub.id})`))}) as v (org_id, id)
        where s.org_id = v.org_id and s.id = v.id`.execute(tx);
      return subs.length;
    });
    if (written === 0) break;
  }
  const ms = performance.now() - started;
  await database.close();
  return { ...phase(count, ms, counter), rows_written: number * 6 };
}

/** The middle one of `items` by `key` (of three: the second fastest). */
function medianBy<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

interface SizeResult {
  engine: Engine;
  subscriptions: number;
  run: Awaited<ReturnType<typeof measureRun>>;
  baseline_multi_row_inserts: Awaited<ReturnType<typeof measureBaseline>>;
  ratio: number;
  rounds?: { renew_ms: number[]; baseline_ms: number[] };
  targets: Record<string, number>;
  met: boolean;
}

const results: SizeResult[] = [];
for (const engine of ENGINES) {
  // A small round first, not reported: both sides measured with their code compiled and warm.
  if (process.env.BENCH_WARMUP !== '0') {
    await measureRun(engine, 500);
    await measureBaseline(engine, 500);
  }
  for (const count of SIZES) {
    // A small size is over in about a second, where one pause of the machine moves the ratio by a
    // fifth: it is measured several times (run and baseline in turns) and the medians compared.
    const rounds = count < 10_000 ? REPEATS : 1;
    const runs: Awaited<ReturnType<typeof measureRun>>[] = [];
    const baselines: Awaited<ReturnType<typeof measureBaseline>>[] = [];
    for (let round = 0; round < rounds; round++) {
      runs.push(await measureRun(engine, count));
      baselines.push(await measureBaseline(engine, count));
    }
    const run = medianBy(runs, (r) => r.renew.wall_ms);
    const baseline = medianBy(baselines, (b) => b.wall_ms);
    const ratio = Number((run.renew.wall_ms / baseline.wall_ms).toFixed(2));
    const renewTarget = engine === 'postgres' ? 500 : 200;
    results.push({
      engine,
      subscriptions: count,
      run,
      baseline_multi_row_inserts: baseline,
      ratio,
      ...(rounds > 1
        ? {
            rounds: {
              renew_ms: runs.map((r) => r.renew.wall_ms),
              baseline_ms: baselines.map((b) => b.wall_ms),
            },
          }
        : {}),
      targets: {
        ratio: 3,
        renew_per_second: renewTarget,
        ...(engine === 'postgres' ? { renew_and_charge_per_second: 200 } : {}),
      },
      met:
        ratio <= 3 &&
        run.renew.subscriptions_per_second >= renewTarget &&
        (engine !== 'postgres' ||
          run.charge === undefined ||
          (run.renew_and_charge_per_second ?? 0) >= 200) &&
        run.renew.renewed === count &&
        (run.charge === undefined || run.charge.report.charged === count),
    });
    console.error(
      `${engine} ${count}: renew ${run.renew.wall_ms} ms, baseline ${baseline.wall_ms} ms, ratio ${ratio}`,
    );
  }
}
/** Cost per subscription at the largest size over the smallest, per engine: flat is <= 1.5. */
const flatness = Object.fromEntries(
  ENGINES.map((engine) => {
    const mine = results.filter((r) => r.engine === engine);
    const first = mine[0];
    const last = mine.at(-1);
    const growth =
      first && last
        ? Number((last.run.renew.per_subscription_ms / first.run.renew.per_subscription_ms).toFixed(2))
        : 1;
    return [engine, { from: first?.subscriptions, to: last?.subscriptions, per_subscription_growth: growth }];
  }),
);
const largest = results.at(-1);
console.log(
  JSON.stringify({
    subscriptions: largest?.subscriptions,
    run: {
      wall_ms: largest?.run.renew.wall_ms,
      rows_written: Object.values(largest?.run.rows_written ?? {}).reduce((a, b) => a + b, 0),
    },
    ratio: largest?.ratio,
    results,
    flatness,
    charge_concurrency: CHARGE_CONCURRENCY,
    met:
      results.every((r) => r.met) && Object.values(flatness).every((f) => f.per_subscription_growth <= 1.5),
  }),
);
