import type { TestProject } from 'vitest/node';
import { dropPostgresTestDatabases, preparePgliteSnapshot, preparePostgresTemplate } from './databases.js';

/** Migrates once per run: a PGlite snapshot and a PostgreSQL template that every test copies. */
export default async function setup(project: TestProject) {
  project.provide('pgliteSnapshot', await preparePgliteSnapshot());
  const postgres = await preparePostgresTemplate();
  project.provide('postgresTemplate', postgres);
  return async () => {
    if (postgres) await dropPostgresTestDatabases(postgres.adminUrl);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string;
    postgresTemplate: { adminUrl: string; template: string } | null;
  }
}
