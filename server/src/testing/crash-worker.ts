/**
 * A worker process for the crash test: the real JobRunner on PostgreSQL with one job whose effect
 * goes through runOnce. With CRASH_WORKER_PAUSE_MS it pauses inside the effect's transaction, so the
 * test can kill the process in the middle of the job.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase } from '../db/database.js';
import { defineJob, JobRunner, runOnce } from '../jobs/index.js';
import { systemClock } from '../time/index.js';

const url = process.argv[2];
if (!url) throw new Error('usage: crash-worker <postgres url>');
const pauseMs = Number(process.env.CRASH_WORKER_PAUSE_MS ?? 0);

const database = await openDatabase({ kind: 'postgres', url, poolSize: 4 });
const crashTest = defineJob<{ orgId: string }>({
  name: 'crash_test',
  expireInSeconds: 2,
  retryLimit: 5,
  retryDelaySeconds: 1,
  handler: async ({ ctx, data, jobId }) => {
    await runOnce(ctx, { orgId: data.orgId, jobId, queue: 'crash_test' }, async (tx) => {
      await sql`select pg_advisory_xact_lock(4242)`.execute(tx);
      console.log(`effect-started ${jobId}`);
      await sleep(pauseMs);
    });
    console.log(`job-finished ${jobId}`);
  },
});
const runner = new JobRunner({
  db: database.db,
  clock: systemClock,
  log: { info() {}, warn() {}, error: (obj) => console.error(obj) },
  jobs: [crashTest],
  work: true,
  pollingIntervalSeconds: 0.5,
  maintenanceIntervalSeconds: 1,
});
await runner.start();
console.log('worker-ready');
process.once('SIGTERM', async () => {
  await runner.stop();
  await database.close();
  process.exit(0);
});
