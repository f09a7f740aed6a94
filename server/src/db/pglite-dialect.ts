import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Kysely on PGlite, the embedded PostgreSQL.
 *
 * PGlite is a single connection. Kysely opens a transaction by sending BEGIN on a connection it
 * acquired, so anything else that talks to the same PGlite while that transaction is open would run
 * inside it. This driver therefore hands out the one connection to one holder at a time; everything,
 * the job queue included, reaches PGlite through Kysely.
 */
export class PGliteDialect implements Dialect {
  readonly driver: PGliteDriver;

  constructor(pglite: PGlite) {
    this.driver = new PGliteDriver(pglite);
  }

  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own Dialect signature takes Kysely<any>.
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(readonly pglite: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters the simple protocol runs several statements at once (migrations, the job
    // queue's maintenance); PostgreSQL's own driver does the same.
    const result =
      query.parameters.length === 0
        ? (await this.pglite.exec(query.sql)).at(-1)
        : await this.pglite.query<R>(query.sql, [...query.parameters]);
    if (result === undefined) return { rows: [] };
    return result.affectedRows === undefined
      ? { rows: result.rows as R[] }
      : { rows: result.rows as R[], numAffectedRows: BigInt(result.affectedRows) };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered; Kysely requires the method.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on PGlite');
  }
}

export class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  #holder: Promise<void> = Promise.resolve();
  #releaseCurrent: (() => void) | undefined;

  constructor(readonly pglite: PGlite) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {}

  /** Waits until nobody holds the connection, then holds it until the returned function is called. */
  async #acquire(): Promise<() => void> {
    let release: () => void = () => {};
    const previous = this.#holder;
    this.#holder = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#releaseCurrent = await this.#acquire();
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#releaseCurrent;
    this.#releaseCurrent = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await connection.executeQuery(CompiledQuery.raw(`begin${isolation}`));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  /** PGlite belongs to whoever opened it (db/embedded.ts closes it and releases its folder). */
  async destroy(): Promise<void> {}
}
