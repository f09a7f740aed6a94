import { sql } from 'kysely';
import type { Tx } from './database.js';

/**
 * Rows this connection has inserted, updated or deleted so far, from PostgreSQL's per-transaction
 * statistics. Read twice in one transaction, the difference is exactly what happened in between
 * (statistics are flushed only between transactions), so a caller can tell a write that changed
 * something from a no-op without each operation having to say which it was.
 */
export async function rowsChanged(tx: Tx): Promise<bigint> {
  const { rows } = await sql<{ changed: string | bigint | null }>`
    select sum(n_tup_ins + n_tup_upd + n_tup_del) as changed from pg_stat_xact_user_tables`.execute(tx);
  return BigInt(rows[0]?.changed ?? 0);
}
