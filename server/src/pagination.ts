import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { invalid } from './errors.js';

/**
 * Cursor pagination of list queries (Stripe's `limit` and `starting_after`), one way for every list:
 * a list has a stable order that ends with the object's id, so no two rows tie and a page boundary
 * never repeats or skips a row; a page reads `limit + 1` rows, and the extra one only says there is
 * more. The next page starts after the cursor's position in that order (keyset pagination), read in
 * SQL from the cursor's row: a timestamp read into JavaScript would lose its microseconds.
 */

/** What a list route reads from its query string (`listQuery`). */
export interface PageRequest {
  limit: number;
  starting_after?: string | undefined;
}

/** A page's rows (at most `limit`) and whether more follow them. */
export interface Slice<Row> {
  rows: Row[];
  has_more: boolean;
}

/** A sort key: a qualified column ('invoices.created_at') or an expression over the list's table. */
type Key = string | RawBuilder<unknown>;

export interface ListOrder<CDB, CTB extends keyof CDB> {
  /** The order, most significant key first, ending with the id (or another unique key). */
  by: readonly (readonly [key: Key, direction: 'asc' | 'desc'])[];
  /** The key `starting_after` names: the object's id. */
  id: Key;
  /**
   * Where the cursor's object is looked up, scoped as the list is (its organization, its parent): a
   * cursor naming no object there (another list's, another organization's) is a 400, not a page.
   * Mutable filters (a status) stay out, so an object that changed since its page still places the
   * next one.
   */
  cursorFrom: SelectQueryBuilder<CDB, CTB, object>;
  /** What the list holds, for the error: 'invoice'. */
  noun: string;
}

const expression = (key: Key) => (typeof key === 'string' ? sql.ref(key) : key);

const badCursor = (noun: string) =>
  invalid('list.bad_cursor', `starting_after names no ${noun} of this list`, 'starting_after');

/** One page of `query` (scoped and filtered, not yet ordered) in `order`. */
export async function listPage<DB, TB extends keyof DB, O, CDB, CTB extends keyof CDB>(
  query: SelectQueryBuilder<DB, TB, O>,
  order: ListOrder<CDB, CTB>,
  page: PageRequest,
): Promise<Slice<O>> {
  let q = query;
  if (page.starting_after !== undefined) {
    const cursorRow = order.cursorFrom.where(sql<boolean>`${expression(order.id)} = ${page.starting_after}`);
    const found = await cursorRow.select(sql.lit(1).as('found')).executeTakeFirst();
    if (!found) throw badCursor(order.noun);
    q = q.where(afterCursor(order, cursorRow));
  }
  for (const [key, direction] of order.by) q = q.orderBy(expression(key), direction);
  const rows = await q.limit(page.limit + 1).execute();
  return { rows: rows.slice(0, page.limit), has_more: rows.length > page.limit };
}

/**
 * Rows after the cursor in the order: a row comparison when every key runs the same way (an index
 * serves it), else the first key that differs decides.
 */
function afterCursor<CDB, CTB extends keyof CDB>(
  order: ListOrder<CDB, CTB>,
  cursorRow: SelectQueryBuilder<CDB, CTB, object>,
): RawBuilder<boolean> {
  const keys = order.by.map(([key, direction]) => ({ key: expression(key), direction }));
  const beyond = (direction: 'asc' | 'desc') => sql.raw(direction === 'asc' ? '>' : '<');
  const [first] = keys;
  if (first && keys.every(({ direction }) => direction === first.direction)) {
    const values = cursorRow.select(keys.map(({ key }, i) => key.as(`k${i}`)));
    return sql<boolean>`(${sql.join(keys.map(({ key }) => key))}) ${beyond(first.direction)} (${values})`;
  }
  const atCursor = (key: RawBuilder<unknown>) => sql`(${cursorRow.select(key.as('k'))})`;
  const decided = keys.map(({ key, direction }, i) =>
    sql.join(
      [
        ...keys.slice(0, i).map((earlier) => sql`${earlier.key} = ${atCursor(earlier.key)}`),
        sql`${key} ${beyond(direction)} ${atCursor(key)}`,
      ],
      sql` and `,
    ),
  );
  return sql<boolean>`((${sql.join(decided, sql`) or (`)}))`;
}

/**
 * The same page over a list held in memory whole (a small list computed rather than stored, already
 * in its order): the rows after the cursor's.
 */
export function pageInMemory<Row>(
  rows: readonly Row[],
  idOf: (row: Row) => string,
  page: PageRequest,
  noun: string,
): Slice<Row> {
  let start = 0;
  if (page.starting_after !== undefined) {
    const at = rows.findIndex((row) => idOf(row) === page.starting_after);
    if (at < 0) throw badCursor(noun);
    start = at + 1;
  }
  const rest = rows.slice(start, start + page.limit + 1);
  return { rows: rest.slice(0, page.limit), has_more: rest.length > page.limit };
}
