import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshDatabase, type TestDatabase } from '../../testing/databases.js';

/**
 * Payments' purposes find ledger entries and payment links by payment id (flows/payment-purposes.ts):
 * 0023 indexes both on (org_id, payment_id), so those reads no longer walk an organization's history.
 */
describe.each(engines())('migration 0023 on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(() => database.close());

  /** The plan of a query, with sequential scans priced out, as on a table too big to scan. */
  const planOf = (query: string) =>
    database.db.transaction().execute(async (tx) => {
      await sql`set local enable_seqscan = off`.execute(tx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${sql.raw(query)}`.execute(tx);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });

  it("reads a page's ledger entries and payment links by payment id through an index", async () => {
    expect(
      await planOf(`select payment_id, invoice_id from ledger_entries
        where org_id = 'org_a' and kind = 'payment' and payment_id in ('pay_1', 'pay_2') and invoice_id is not null`),
    ).toContain('ledger_entries_payment_idx');
    expect(
      await planOf(`select payment_id, description from payment_links
        where org_id = 'org_a' and payment_id in ('pay_1', 'pay_2')`),
    ).toContain('payment_links_payment_idx');
  });
});
