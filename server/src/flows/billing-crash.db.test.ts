import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargesAtTestGateway } from '../testing/billing.js';
import { seedSubscribers } from '../testing/billing-fixture.js';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';

/**
 * Crash safety of the monthly run (C18): 1,000 subscriptions whose February and March both come due
 * in one run, in a worker process killed with SIGKILL at random points at least 20 times (half of
 * them while cards are being charged) and restarted each time, then finished by two workers at once.
 * Afterwards every invoice exists once, the numbers run with no gap or duplicate, no card was charged
 * twice (counted at the test gateway), every ledger balances, and every closed statement adds up.
 */

const SUBSCRIPTIONS = 1000;
const KILLS = 20;

describe.runIf(engines().includes('postgres'))('the monthly run, killed again and again', () => {
  let database: TestDatabase;
  const children: ChildProcess[] = [];
  const worker = resolve(import.meta.dirname, '../testing/billing-crash-worker.ts');

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    // Periods ended at midnight on 1 February in Los Angeles; the run happens on 1 March, 01:00 there.
    await seedSubscribers(database.db, {
      count: SUBSCRIPTIONS,
      prefix: 'crash',
      basePrice: 2000,
      timeZone: 'America/Los_Angeles',
      periodEnd: '2027-02-01T08:00:00Z',
    });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await database.close();
  });

  function run(): { child: ChildProcess; started: Promise<void>; finished: Promise<boolean> } {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', worker, database.url ?? '', '2027-03-01T09:00:00Z'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    let output = '';
    let markStarted: () => void = () => {};
    const started = new Promise<void>((resolveStarted) => {
      markStarted = resolveStarted;
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('run-started')) markStarted();
    });
    const finished = new Promise<boolean>((resolveExit) =>
      child.once('exit', () => {
        markStarted();
        resolveExit(output.includes('run-finished'));
      }),
    );
    return { child, started, finished };
  }

  it('leaves every invoice once, numbers without gaps, one charge per invoice and balanced ledgers', async () => {
    let kills = 0;
    let progress: string[] = [];
    // Kills that landed while invoices were still unpaid: mid-way through the run, not after it.
    let midway = 0;
    const chargedAtGateway = async () =>
      Number(
        (
          await sql<{
            n: bigint;
          }>`select count(*) as n from test_gateway_objects where kind = 'payment'`.execute(database.db)
        ).rows[0]?.n,
      );
    while (kills < KILLS) {
      const charged = await chargedAtGateway();
      const { child, started, finished } = run();
      let exited = false;
      void finished.then(() => {
        exited = true;
      });
      await started;
      // Every other kill waits for the charges: the gateway has charged cards whose payments this
      // run has not recorded yet (it records a page of answers at a time), the window that matters.
      if (kills % 2 === 1) {
        while (!exited && (await chargedAtGateway()) === charged) await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, (kills % 2 === 1 ? 0 : 150) + Math.floor(Math.random() * 400)));
      child.kill('SIGKILL');
      if (await finished) break;
      kills++;
      // How far the run had come: invoices issued, charged at the gateway, and paid (recorded).
      const done = await sql<{ issued: bigint; paid: bigint }>`
        select count(*) as issued, count(*) filter (where status = 'paid') as paid from invoices`.execute(
        database.db,
      );
      progress = [...progress, `${done.rows[0]?.issued}/${await chargedAtGateway()}/${done.rows[0]?.paid}`];
      if (Number(done.rows[0]?.paid) < 2 * SUBSCRIPTIONS) midway++;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // The run was interrupted mid-way, not only after its payments ended: on a quiet machine the
    // restarted runs may pay the last invoices before the last kills, which then land on the rest.
    expect(midway, progress.join(', ')).toBeGreaterThanOrEqual(KILLS / 2);
    // Then two workers at once finish the run: they share it without doing anything twice.
    const [first, second] = [run(), run()];
    expect(await Promise.all([first.finished, second.finished])).toEqual([true, true]);
    console.info(
      `  billing run killed ${kills} times; invoices issued/charged/paid when each kill landed: ${progress.join(', ')}`,
    );

    const db = database.db;
    const one = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows[0] as T;

    // Every subscription renewed twice: one invoice per subscription and period, each paid.
    expect(
      await one(sql<{ invoices: bigint; paid: bigint; periods: bigint }>`
        select count(*) as invoices, count(*) filter (where status = 'paid') as paid,
               count(distinct (subscription_id, period_start)) as periods
        from invoices where billing_reason = 'subscription_cycle'`),
    ).toEqual({
      invoices: BigInt(2 * SUBSCRIPTIONS),
      paid: BigInt(2 * SUBSCRIPTIONS),
      periods: BigInt(2 * SUBSCRIPTIONS),
    });
    const subs = await one(sql<{ renewed: bigint }>`
      select count(*) as renewed from subscriptions where current_period_end = '2027-04-01T07:00:00Z'`);
    expect(subs.renewed).toBe(BigInt(SUBSCRIPTIONS));

    // Numbers BF-000001 … BF-002000: no gap, no duplicate, each pointing at its invoice.
    const numbers = await one(sql<{
      count: bigint;
      distinct: bigint;
      lowest: string;
      highest: string;
      next: bigint;
    }>`
      select count(*) as count, count(distinct number) as distinct, min(number) as lowest, max(number) as highest,
        (select next_invoice_number from billing_settings where org_id = 'org_platform') as next
      from invoices where number is not null`);
    expect(numbers).toEqual({
      count: BigInt(2 * SUBSCRIPTIONS),
      distinct: BigInt(2 * SUBSCRIPTIONS),
      lowest: 'BF-000001',
      highest: `BF-${String(2 * SUBSCRIPTIONS).padStart(6, '0')}`,
      next: BigInt(2 * SUBSCRIPTIONS + 1),
    });
    const register = await one(sql<{ n: bigint }>`
      select count(*) as n from invoice_numbers r join invoices i on i.org_id = r.invoice_org_id and i.id = r.invoice_id
      where i.number = r.number`);
    expect(register.n).toBe(BigInt(2 * SUBSCRIPTIONS));

    // At the gateway: one charge per invoice, never two.
    const charges = await one(sql<{ payments: bigint; invoices: bigint; most: bigint }>`
      select count(*) as payments, count(distinct split_part(idempotency_key, ':', 2)) as invoices,
        max(per) as most
      from (select idempotency_key, count(*) over (partition by split_part(idempotency_key, ':', 2)) as per
            from test_gateway_objects where kind = 'payment') charged`);
    expect(charges).toEqual({
      payments: BigInt(2 * SUBSCRIPTIONS),
      invoices: BigInt(2 * SUBSCRIPTIONS),
      most: 1n,
    });
    // Per invoice, by the gateway's own records: each paid, with exactly one successful charge, and
    // no successful charge that Billfold has no payment for.
    const perInvoice = await chargesAtTestGateway(db);
    expect(perInvoice.invoices.filter((i) => i.status !== 'paid' || i.succeeded !== 1)).toEqual([]);
    expect(perInvoice.unrecorded).toEqual([]);
    const recorded = await one(
      sql<{ n: bigint }>`select count(*) as n from payments where status = 'succeeded'`,
    );
    expect(recorded.n).toBe(BigInt(2 * SUBSCRIPTIONS));

    // Every ledger balances (charges met by payments), and each entry was posted once.
    const ledgers = await one(sql<{ unbalanced: bigint; entries: bigint }>`
      select count(*) filter (where balance <> 0) as unbalanced, sum(entries)::int8 as entries
      from (select subscription_id, sum(amount) as balance, count(*) as entries
            from ledger_entries group by subscription_id) per_subscription`);
    expect(ledgers).toEqual({ unbalanced: 0n, entries: BigInt(4 * SUBSCRIPTIONS) });

    // February closed for everyone, and every closed statement adds up.
    const statements = await one(sql<{ closed: bigint; wrong: bigint }>`
      select count(*) filter (where status = 'closed') as closed,
        count(*) filter (where status = 'closed' and closing_balance <>
          opening_balance + credits - license_charges - usage_charges - other_charges) as wrong
      from statements`);
    expect(statements).toEqual({ closed: BigInt(SUBSCRIPTIONS), wrong: 0n });
  }, 600_000);
});
