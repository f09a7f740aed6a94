import {
  type Dialect,
  Kysely,
  type Kysely as KyselyType,
  Migrator,
  PostgresDialect,
  sql,
  type Transaction,
} from 'kysely';
import { type Embedded, openEmbedded } from './embedded.js';
import { migrations } from './migrations/index.js';
import { type Listen, listenOnPostgres } from './notifications.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = KyselyType<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: queries accept both. */
export type DbOrTx = Db | Tx;

export type DatabaseConfig =
  /** PostgreSQL through `pg`, for production and CI. */
  (
    | { kind: 'postgres'; url: string; poolSize?: number }
    /** Embedded PGlite; `dataDir` undefined keeps it in memory (tests). */
    | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob; opening?: Promise<Embedded> }
  ) & {
    /** Wraps the dialect (a `StatementCounter` counts statements for benchmarks and tests). */
    instrument?: (dialect: Dialect) => Dialect;
  };

export interface OpenDatabase {
  readonly db: Db;
  readonly kind: DatabaseConfig['kind'];
  /** PGlite only: the whole database as a tarball, to start others from (tests). */
  readonly dumpDataDir?: () => Promise<Blob>;
  /**
   * PostgreSQL only: notifications from other processes on the same database. PGlite belongs to one
   * process, which knows its own changes.
   */
  readonly listen?: Listen;
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig): Promise<OpenDatabase> {
  if (config.kind === 'postgres') {
    // Loaded only for PostgreSQL: the embedded default never pays for the driver at start.
    const { default: pg } = await import('pg');
    // int8 (bigint, count(*)) as bigint and numeric as exact strings, on both drivers: money never
    // passes through a JavaScript number.
    const pgTypes = {
      getTypeParser(oid: number, format?: 'text' | 'binary') {
        if (oid === 20) return (value: string) => BigInt(value);
        return pg.types.getTypeParser(oid, format);
      },
    };
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize ?? 10, types: pgTypes });
    // An idle connection dropped by the server (restart, failover) is replaced by the pool; without a
    // listener Node would treat the event as fatal and stop the process.
    pool.on('error', (error) =>
      console.warn(`PostgreSQL connection lost, the pool reconnects: ${error.message}`),
    );
    const dialect = new PostgresDialect({ pool });
    const db = new Kysely<Database>({ dialect: config.instrument?.(dialect) ?? dialect });
    return { db, kind: 'postgres', listen: listenOnPostgres(config.url), close: () => db.destroy() };
  }
  const embedded = await (config.opening ?? openEmbedded(config));
  const dialect = new PGliteDialect(embedded.pglite);
  const db = new Kysely<Database>({ dialect: config.instrument?.(dialect) ?? dialect });
  return {
    db,
    kind: 'pglite',
    dumpDataDir: () => embedded.pglite.dumpDataDir('none'),
    close: async () => {
      await db.destroy();
      await embedded.close();
    },
  };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  // The common case, a database already up to date, costs one query instead of the migrator's dozen.
  const latest = Object.keys(migrations).sort().at(-1);
  // (On a new database the table is missing and the query fails: then the migrator creates it.)
  const applied = await sql<{ name: string }>`select name from schema_migrations where name = ${latest}`
    .execute(db)
    .catch(() => ({ rows: [] }));
  if (applied.rows.length > 0) return [];
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
