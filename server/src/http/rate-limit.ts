import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { BillfoldError } from '../errors.js';

/**
 * Attempt counters in the database, enough to make guessing passwords slow. Each limit counts one
 * key (an address, an email, a person) in a window that opens at its first attempt; a request passes
 * only if every limit allows it. The counts live in `rate_limits`, so every process on the database
 * shares them: running more processes does not multiply the allowance.
 */
export interface Limit {
  name: string;
  max: number;
  windowMs: number;
}

export class RateLimiter {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Counts one attempt against each limit, and throws 429 if any is spent. */
  async hit(limits: ReadonlyArray<Limit & { key: string }>): Promise<void> {
    if (limits.length === 0) return;
    // One statement for all of them: each row is claimed, counted and returned atomically (the upsert
    // locks the row), so concurrent attempts in any number of processes are counted exactly, without a
    // read-then-write race. The database's clock times the windows: every process agrees on it.
    const rows = limits.map(
      (limit) => sql`(${limit.name}, ${limit.key}, 1, now() + ${limit.windowMs} * interval '1 millisecond')`,
    );
    const counted = await sql<{ limit_name: string; hits: number; seconds_left: number }>`
      insert into rate_limits as r (limit_name, key, hits, window_ends_at)
      values ${sql.join(rows)}
      on conflict (limit_name, key) do update set
        hits = case when r.window_ends_at <= now() then 1 else r.hits + 1 end,
        window_ends_at = case when r.window_ends_at <= now() then excluded.window_ends_at
                              else r.window_ends_at end
      returning limit_name, hits, ceil(extract(epoch from window_ends_at - now()))::integer as seconds_left
    `.execute(this.#db);
    const spent = counted.rows.filter((row) => {
      const limit = limits.find((l) => l.name === row.limit_name);
      return limit !== undefined && row.hits > limit.max;
    });
    if (spent.length > 0) {
      const seconds = Math.max(1, ...spent.map((row) => row.seconds_left));
      throw new BillfoldError(
        'rate_limited',
        'request.rate_limited',
        `Too many attempts; try again in ${seconds} s`,
      );
    }
  }
}
