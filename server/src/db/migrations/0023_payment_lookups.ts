import { type Kysely, sql } from 'kysely';

/**
 * What a payment was for (flows/payment-purposes.ts) is read beside every page of payments: the
 * ledger entry that applied a checkout's payment to its invoice, and the payment link that took it,
 * both found by payment id. Their tables were indexed only by organization and statement or gateway
 * reference, so each page read every ledger entry and every link of the organization, which grows
 * with its whole history. Partial: most ledger entries (charges, tax, usage) and most links (not yet
 * paid) name no payment, and are never looked up this way.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index ledger_entries_payment_idx on ledger_entries (org_id, payment_id) where payment_id is not null;
    create index payment_links_payment_idx on payment_links (org_id, payment_id) where payment_id is not null;
  `.execute(db);
}
