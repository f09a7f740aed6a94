import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { migrateToLatest, type OpenDatabase, openDatabase } from '../db/database.js';
import { JobRunner, jobs } from '../jobs/index.js';
import { systemClock } from '../time/index.js';

/**
 * Every database test runs on both engines: PGlite always, PostgreSQL when
 * BILLFOLD_TEST_POSTGRES_URL points at a server (CI sets it; under CI its absence is a failure).
 * Each test file gets a database of its own, copied from one migrated at the start of the run.
 */

export const POSTGRES_URL_VAR = 'BILLFOLD_TEST_POSTGRES_URL';
const cacheDir = resolve(import.meta.dirname, '../../../node_modules/.cache/billfold-test');
const quiet = { info() {}, warn() {}, error() {} };

/** Migrations and the job queue's schema: what `billfold start` would create. */
async function migrateFully(database: OpenDatabase) {
  await migrateToLatest(database.db);
  // Every queue exists, as after `billfold start`, so work enqueued in tests is really queued.
  const runner = new JobRunner({ db: database.db, clock: systemClock, log: quiet, jobs, work: false });
  await runner.start();
  await runner.stop();
}

export async function preparePgliteSnapshot(): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const file = join(cacheDir, `pglite-${process.pid}.tar`);
  const database = await openDatabase({ kind: 'pglite' });
  await migrateFully(database);
  const dump = await database.dumpDataDir?.();
  if (!dump) throw new Error('PGlite could not dump its data directory');
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  return file;
}

export async function preparePostgresTemplate(): Promise<{ adminUrl: string; template: string } | null> {
  const adminUrl = process.env[POSTGRES_URL_VAR];
  if (!adminUrl) {
    if (process.env.CI)
      throw new Error(`${POSTGRES_URL_VAR} must be set under CI: database tests run on PostgreSQL too`);
    console.warn(`\n  SKIPPED: database tests on PostgreSQL (set ${POSTGRES_URL_VAR} to run them)\n`);
    return null;
  }
  const template = `billfold_template_${process.pid}`;
  await adminQuery(adminUrl, `drop database if exists ${template}`);
  await adminQuery(adminUrl, `create database ${template}`);
  const database = await openDatabase({
    kind: 'postgres',
    url: withDatabase(adminUrl, template),
    poolSize: 2,
  });
  await migrateFully(database);
  await database.close();
  return { adminUrl, template };
}

export async function dropPostgresTestDatabases(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query<{ datname: string }>(
    // Only this run's databases: another run (another checkout) may share the server.
    `select datname from pg_database where datname like $1 or datname = $2`,
    [`billfold\\_test\\_${process.pid}\\_%`, `billfold_template_${process.pid}`],
  );
  for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`);
  await client.end();
}

async function adminQuery(adminUrl: string, text: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export type Engine = 'pglite' | 'postgres';

export interface TestDatabase extends OpenDatabase {
  engine: Engine;
  /** A connection string other processes can use (PostgreSQL only). */
  url?: string;
}

/** The engines this run tests on, for `describe.each`. */
export function engines(): Engine[] {
  return inject('postgresTemplate') ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh, migrated database of its own. */
export async function freshDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const snapshot = await readFile(inject('pgliteSnapshot'));
    const database = await openDatabase({ kind: 'pglite', loadDataDir: new Blob([snapshot]) });
    return { ...database, engine };
  }
  const postgres = inject('postgresTemplate');
  if (!postgres) throw new Error('PostgreSQL is not configured for this run');
  // Named after the run (the template carries its pid), so its teardown drops its own databases only.
  const run = postgres.template.replace('billfold_template_', '');
  const name = `billfold_test_${run}_${randomBytes(6).toString('hex')}`;
  await adminQuery(postgres.adminUrl, `create database ${name} template ${postgres.template}`);
  const url = withDatabase(postgres.adminUrl, name);
  const database = await openDatabase({ kind: 'postgres', url });
  return { ...database, engine, url };
}

/** Rows in a table, for asserting that a refused request wrote nothing. */
export async function countRows(database: OpenDatabase, table: string): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from ${sql.table(table)}`.execute(
    database.db,
  );
  return Number(rows[0]?.n ?? 0);
}
