import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  Kysely,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/**
 * Counts what reaches the database: statements (every query, the job queue's included) and
 * transactions begun. For the billing-run benchmark and for tests that hold a page of a list to a
 * fixed number of queries. Wraps a dialect's driver; everything else passes through.
 */
export class StatementCounter {
  statements = 0;
  transactions = 0;

  reset(): void {
    this.statements = 0;
    this.transactions = 0;
  }

  /**
   * `db`, a database already open, with the statements it sends counted here (not the transactions
   * it begins): for a test that holds one operation to a number of statements.
   */
  counting<T>(db: Kysely<T>): Kysely<T> {
    return db.withPlugin({
      transformQuery: ({ node }) => node,
      // Counted by their results: a query is transformed once for each builder it embeds (a union's
      // parts, a subquery), and answered once.
      transformResult: async ({ result }) => {
        this.statements++;
        return result;
      },
    });
  }

  /** The dialect `inner`, counted here. */
  wrap(inner: Dialect): Dialect {
    const driver = inner.createDriver();
    const counted = new CountingDriver(driver, this);
    return {
      createAdapter: () => inner.createAdapter(),
      createDriver: () => counted,
      createQueryCompiler: () => inner.createQueryCompiler(),
      createIntrospector: (db) => inner.createIntrospector(db),
    };
  }
}

class CountingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    readonly counter: StatementCounter,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.counter.statements++;
    return this.inner.executeQuery(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.counter.statements++;
    return this.inner.streamQuery(query, chunkSize);
  }
}

class CountingDriver implements Driver {
  readonly #wrapped = new WeakMap<DatabaseConnection, CountingConnection>();

  constructor(
    readonly inner: Driver,
    readonly counter: StatementCounter,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapped = this.#wrapped.get(connection);
    if (!wrapped) {
      wrapped = new CountingConnection(connection, this.counter);
      this.#wrapped.set(connection, wrapped);
    }
    return wrapped;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.counter.transactions++;
    return this.inner.beginTransaction(this.unwrap(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(this.unwrap(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(this.unwrap(connection));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  private unwrap(connection: DatabaseConnection): DatabaseConnection {
    return connection instanceof CountingConnection ? connection.inner : connection;
  }
}
