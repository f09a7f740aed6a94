import type { FastifyInstance } from 'fastify';
import type { BillfoldConfig } from './config.js';
import type { Logger } from './context.js';
import { migrateToLatest, type OpenDatabase, openDatabase } from './db/database.js';
import { buildApp } from './http/app.js';
import { allJobs, JobRunner } from './jobs/index.js';
import { type Clock, systemClock } from './time/index.js';

export interface RunningBillfold {
  url: string;
  app: FastifyInstance;
  database: OpenDatabase;
  jobs: JobRunner;
  close(): Promise<void>;
}

/** API, web UI and job runner in one process: what `billfold start` runs. */
export async function startBillfold(
  config: BillfoldConfig,
  options: {
    clock?: Clock;
    log?: Logger;
    work?: boolean;
    beforeListen?: (database: OpenDatabase) => Promise<void>;
  } = {},
): Promise<RunningBillfold> {
  const clock = options.clock ?? systemClock;
  const database = await openDatabase(config.database);
  await migrateToLatest(database.db);
  await options.beforeListen?.(database);
  const appConfig = {
    publicUrl: config.publicUrl,
    webDist: config.webDist,
    trustProxy: config.trustProxy,
    gateways: config.gateways,
    stripe: config.stripe,
    cashfree: config.cashfree,
  };
  const app = await buildApp({
    db: database.db,
    clock,
    ...(options.log ? { log: options.log } : {}),
    config: appConfig,
    listen: database.listen,
  });
  const runner = new JobRunner({
    db: database.db,
    clock,
    log: options.log ?? app.log,
    jobs: allJobs({ gateways: app.billfoldGateways, chargeConcurrency: config.chargeConcurrency }),
    work: options.work ?? true,
  });
  const address = await app.listen({ host: config.host, port: config.port });
  // Port 0 (tests) is only known now; links must point at the real one.
  if (config.port === 0) appConfig.publicUrl = address;
  // Jobs start after the API answers: the first request should not wait for the queue's set-up.
  await runner.start();
  return {
    url: address,
    app,
    database,
    jobs: runner,
    close: async () => {
      await app.close();
      await runner.stop();
      await database.close();
    },
  };
}
