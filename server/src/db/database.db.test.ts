import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';
import { migrateToLatest } from './database.js';

/** Tables that are not a tenant's: identity spans organizations; the rest carry org_id. */
const globalTables = new Set([
  'users',
  'sessions',
  'idempotency_keys',
  // Sign-in attempts are counted before anyone is known, let alone an organization.
  'rate_limits',
  // The built-in test gateway stands for an external system: its objects are the gateway's.
  'test_gateway_objects',
  // Events as a gateway sent them: the gateway account's until read (they then name the organization).
  'gateway_events',
  'schema_migrations',
  'schema_migrations_lock',
]);

describe.each(engines())('the database layer on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(() => database.close());

  it('reads int8 as bigint and numeric as an exact string, with and without parameters', async () => {
    const plain = await sql<{ small: bigint; big: bigint; price: string }>`
      select 5::int8 as small, 9007199254740993::int8 as big, 0.0125::numeric as price`.execute(database.db);
    expect(plain.rows[0]).toEqual({ small: 5n, big: 9007199254740993n, price: '0.0125' });
    const bound = await sql<{ small: bigint }>`select ${'7'}::int8 as small`.execute(database.db);
    expect(bound.rows[0]?.small).toBe(7n);
  });

  it('never lets another query run inside an open transaction', async () => {
    // On PGlite there is one connection: a query from elsewhere (the job queue) must wait for the
    // transaction to end, not run inside it. On PostgreSQL it runs on another connection.
    let inside = 0n;
    const transaction = database.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('job_effects')
        .values({ org_id: 'org_isolation', job_id: 'j1', queue: 'q', completed_at: new Date(0) })
        .execute();
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('roll back');
    });
    const outside = sql<{ n: bigint }>`select count(*) as n from job_effects where org_id = 'org_isolation'`
      .execute(database.db)
      .then((r) => {
        inside = r.rows[0]?.n ?? -1n;
      });
    await expect(transaction).rejects.toThrow('roll back');
    await outside;
    expect(inside).toBe(0n);
  });

  it('has applied every migration, and applying again changes nothing', async () => {
    expect(await migrateToLatest(database.db)).toEqual([]);
  });

  it('keys every tenant table by org_id', async () => {
    const { rows } = await sql<{ table_name: string; key_columns: string[] }>`
      select t.table_name,
             coalesce(array_agg(k.column_name::text) filter (where k.column_name is not null), '{}') as key_columns
      from information_schema.tables t
      left join information_schema.table_constraints c
        on c.table_schema = t.table_schema and c.table_name = t.table_name and c.constraint_type = 'PRIMARY KEY'
      left join information_schema.key_column_usage k
        on k.constraint_name = c.constraint_name and k.table_schema = c.table_schema
      where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
      group by t.table_name`.execute(database.db);
    const tenantTables = rows.filter((r) => !globalTables.has(r.table_name));
    expect(tenantTables.length).toBeGreaterThan(0);
    for (const table of tenantTables) {
      // organizations is the tenant itself: its id is the org_id of everything else.
      const tenantKey = table.table_name === 'organizations' ? 'id' : 'org_id';
      expect(table.key_columns, table.table_name).toContain(tenantKey);
    }
  });
});
