import type { DbOrTx } from './db/database.js';
import { rowsChanged } from './db/row-changes.js';
import type { Clock } from './time/clock.js';

/** Who is acting. Recorded in the audit log with every change. */
export type Actor =
  | { type: 'user'; id: string }
  | { type: 'api_key'; id: string }
  | { type: 'system'; id: string };

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * What every operation receives: `({ ctx, ...input })`. No module-level singletons, so each test
 * brings its own database and clock.
 */
export interface Ctx {
  db: DbOrTx;
  clock: Clock;
  log: Logger;
  actor: Actor;
  requestId: string;
  /**
   * Set by the HTTP layer for a write request: the rows its transactions changed, so that a write
   * that changed nothing (pausing a paused subscription) is told apart from one that must be audited.
   */
  writes?: WriteTally;
}

export interface WriteTally {
  /** Transactions measured. */
  transactions: number;
  /** Rows inserted, updated or deleted in them. */
  rows: bigint;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Runs `work` in a transaction: a new one, or the caller's if it is already in one. */
export async function withTransaction<T, C extends Ctx = Ctx>(
  ctx: C,
  work: (ctx: C) => Promise<T>,
): Promise<T> {
  if (ctx.db.isTransaction) return work(ctx);
  const { writes } = ctx;
  if (!writes) return ctx.db.transaction().execute((tx) => work({ ...ctx, db: tx }));
  return ctx.db.transaction().execute(async (tx) => {
    const before = await rowsChanged(tx);
    const result = await work({ ...ctx, db: tx });
    writes.rows += (await rowsChanged(tx)) - before;
    writes.transactions += 1;
    return result;
  });
}
