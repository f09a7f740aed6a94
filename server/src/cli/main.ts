#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configFromEnv } from '../config.js';
import { openEmbedded } from '../db/embedded.js';

// The rest of the server is imported by the command that needs it: `start` first sets PGlite's
// WebAssembly compiling, then loads the server while that runs (startup time is a benchmark).

/** `billfold <command>`: the operator's tool over the same services as the API. */

const usage = `Usage: billfold <command>

  start [--demo]     API, web UI and job runner in one process (--demo adds demo data to an empty database)
  worker             run jobs only; start as many as you like (PostgreSQL)
  migrate            apply database migrations and exit
  operator <email>   make an existing account a platform operator
  openapi            print the OpenAPI document
  usage import FILE  send a file of usage events (CSV or NDJSON) to a running Billfold, resumably

Configuration: DATABASE_URL, BILLFOLD_DATA_DIR, PORT, HOST, BILLFOLD_PUBLIC_URL (see README).`;

const consoleLog = {
  info: (obj: object, msg?: string) => console.log(msg ?? '', JSON.stringify(obj)),
  warn: (obj: object, msg?: string) => console.warn(msg ?? '', JSON.stringify(obj)),
  error: (obj: object, msg?: string) => console.error(msg ?? '', obj),
};

async function main(argv: string[]): Promise<number> {
  // `usage` talks to a running server over HTTP, takes options of its own and opens no database.
  if (argv[0] === 'usage') {
    const { usageCommand } = await import('./usage-import/command.js');
    return usageCommand(argv.slice(1), process.env, configFromEnv(process.env).publicUrl);
  }
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { demo: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  // src/cli/ and dist/cli/ are at the same depth, so this holds for the sources and the build.
  const config = configFromEnv(process.env, resolve(import.meta.dirname, '../../../web/dist'));

  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 1;
  }
  if (command === 'start') {
    const started = performance.now();
    const database =
      config.database.kind === 'pglite'
        ? { ...config.database, opening: openEmbedded(config.database) }
        : config.database;
    const [{ startBillfold }, { DEMO_PASSWORD, seedDemo }, { systemClock }] = await Promise.all([
      import('../server.js'),
      import('./demo.js'),
      import('../time/index.js'),
    ]);
    // Listening for Ctrl+C before saying we run: a signal right after the message must stop us cleanly.
    const stopped = untilSignal();
    let demo: Awaited<ReturnType<typeof seedDemo>> = null;
    const billfold = await startBillfold(
      { ...config, database },
      {
        log: consoleLog,
        beforeListen: async ({ db }) => {
          if (values.demo) demo = await seedDemo(db, systemClock, config.publicUrl);
        },
      },
    );
    const where =
      config.database.kind === 'postgres' ? 'PostgreSQL' : `embedded PGlite in ${config.database.dataDir}`;
    console.log(`Billfold is running at ${config.publicUrl} (database: ${where})`);
    console.log(`Ready in ${Math.trunc(performance.now() - started)} ms. Stop with Ctrl+C.`);
    if (values.demo) {
      console.log(
        `Demo sign-in: demo@example.com / ${DEMO_PASSWORD}  (operator: operator@example.com / ${DEMO_PASSWORD})`,
      );
      if (demo) console.log('Demo data was created now.');
    }
    await stopped;
    await billfold.close();
    return 0;
  }
  const [
    { migrateToLatest, openDatabase },
    { JobRunner, allJobs },
    { systemClock },
    { createGatewayRegistry },
  ] = await Promise.all([
    import('../db/database.js'),
    import('../jobs/index.js'),
    import('../time/index.js'),
    import('../payments/index.js'),
  ]);
  if (command === 'worker') {
    if (config.database.kind !== 'postgres') {
      console.error(
        'billfold worker needs DATABASE_URL: the embedded database belongs to the `billfold start` process.',
      );
      return 1;
    }
    const database = await openDatabase(config.database);
    await migrateToLatest(database.db);
    const stopped = untilSignal();
    const gateways = createGatewayRegistry({
      db: database.db,
      clock: systemClock,
      publicUrl: () => config.publicUrl,
      configured: config.gateways,
      stripe: config.stripe,
      cashfree: config.cashfree,
    });
    const jobs = allJobs({ gateways, chargeConcurrency: config.chargeConcurrency });
    const runner = new JobRunner({ db: database.db, clock: systemClock, log: consoleLog, jobs, work: true });
    await runner.start();
    console.log(`Worker ${process.pid} is running ${jobs.length} job types.`);
    await stopped;
    await runner.stop();
    await database.close();
    return 0;
  }
  if (command === 'migrate') {
    const database = await openDatabase(config.database);
    const applied = await migrateToLatest(database.db);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
    await database.close();
    return 0;
  }
  if (command === 'operator') {
    const email = positionals[1];
    if (!email) {
      console.error('Usage: billfold operator <email>');
      return 1;
    }
    const [access, { silentLogger }] = await Promise.all([
      import('../access/index.js'),
      import('../context.js'),
    ]);
    const database = await openDatabase(config.database);
    await migrateToLatest(database.db);
    const user = await database.db.transaction().execute((tx) =>
      access.grantOperator(
        {
          db: tx,
          clock: systemClock,
          log: silentLogger,
          actor: { type: 'system', id: 'cli' },
          requestId: 'req_cli',
        },
        email,
      ),
    );
    console.log(`${user.email} is a platform operator.`);
    await database.close();
    return 0;
  }
  if (command === 'openapi') {
    const database = await openDatabase({ kind: 'pglite' });
    const { buildApp } = await import('../http/app.js');
    const app = await buildApp({
      db: database.db,
      clock: systemClock,
      config: { publicUrl: config.publicUrl },
    });
    await app.ready();
    process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
    await app.close();
    await database.close();
    return 0;
  }
  console.error(`Unknown command: ${command}\n\n${usage}`);
  return 1;
}

const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Errors meant for the operator read as a sentence; anything else keeps its stack.
    const expected =
      error instanceof Error && ['EmbeddedDatabaseInUse', 'BillfoldError'].includes(error.name);
    console.error(expected ? error.message : error);
    process.exit(1);
  },
);
