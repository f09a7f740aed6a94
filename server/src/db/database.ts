import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, type Kysely as KyselyType, Migrator, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = KyselyType<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: queries accept both. */
export type DbOrTx = Db | Tx;

export type DatabaseConfig =
  /** PostgreSQL through `pg`, for production and CI. */
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** Embedded PGlite; `dataDir` undefined keeps it in memory (tests). */
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob };

export interface OpenDatabase {
  readonly db: Db;
  readonly kind: DatabaseConfig['kind'];
  /** PGlite only: the whole database as a tarball, to start others from (tests). */
  readonly dumpDataDir?: () => Promise<Blob>;
  close(): Promise<void>;
}

// int8 (bigint, count(*)) as bigint and numeric as exact strings, on both drivers: money never
// passes through a JavaScript number.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => BigInt(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export async function openDatabase(config: DatabaseConfig): Promise<OpenDatabase> {
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize ?? 10, types: pgTypes });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    // PGlite returns small int8 values as numbers and large ones as bigints; always bigint, as on pg.
    parsers: { 20: (value: string) => BigInt(value) },
    ...(config.dataDir ? { dataDir: config.dataDir } : {}),
    ...(config.loadDataDir ? { loadDataDir: config.loadDataDir } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', dumpDataDir: () => pglite.dumpDataDir('none'), close: () => db.destroy() };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
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
