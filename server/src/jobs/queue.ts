import { CompiledQuery } from 'kysely';
import type PgBoss from 'pg-boss';
import type { Ctx, Logger } from '../context.js';
import type { Db, DbOrTx, Tx } from '../db/database.js';
import type { Clock } from '../time/index.js';
import { toDate } from '../time/index.js';

/**
 * Durable jobs on pg-boss: rows in the database, claimed with FOR UPDATE SKIP LOCKED, retried with
 * backoff, scheduled by cron. pg-boss talks through our own Kysely connection, so it runs on PGlite
 * as on PostgreSQL, and a job can be enqueued inside the transaction of the change that causes it.
 */

export const JOBS_SCHEMA = 'pgboss';

export interface JobDefinition<Data extends object = Record<string, unknown>> {
  name: string;
  /** Retries after a failure or a crash (a claim whose worker vanished expires and is retried). */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** An active job older than this is taken as crashed and retried. */
  expireInSeconds?: number;
  /** Cron in the given zone, for work that recurs (e.g. '0 3 * * *'). */
  schedule?: { cron: string; tz?: string; data?: Data };
  handler: (input: { ctx: Ctx; data: Data; jobId: string }) => Promise<void>;
}

export const defineJob = <Data extends object>(job: JobDefinition<Data>) => job as unknown as JobDefinition;

/** pg-boss's port to a database: one function that runs SQL with positional parameters. */
export function executeSqlOn(db: DbOrTx): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const result = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as unknown[] };
    },
  } as PgBoss.Db;
}

export interface JobRunnerOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  jobs: readonly JobDefinition[];
  /** Fetch and run jobs here; false for a process that only enqueues. */
  work: boolean;
  pollingIntervalSeconds?: number;
  maintenanceIntervalSeconds?: number;
}

// pg-boss (and the pg driver it brings) loads when the runner starts, after the API already answers.
const loadPgBoss = async () => (await import('pg-boss')).default;

export class JobRunner {
  readonly #options: JobRunnerOptions;
  #boss: PgBoss | undefined;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  get boss(): PgBoss {
    if (!this.#boss) throw new Error('The job runner has not started');
    return this.#boss;
  }

  async start(): Promise<void> {
    const { jobs, work, db, log } = this.#options;
    const PgBossClass = await loadPgBoss();
    this.#boss = new PgBossClass({
      db: executeSqlOn(db),
      schema: JOBS_SCHEMA,
      migrate: true,
      supervise: work,
      schedule: work,
      maintenanceIntervalSeconds: this.#options.maintenanceIntervalSeconds ?? 30,
    });
    this.#boss.on('error', (error) => log.error({ err: error }, 'job runner error'));
    await this.boss.start();
    for (const job of jobs) {
      const options = {
        name: job.name,
        retryLimit: job.retryLimit ?? 5,
        retryDelay: job.retryDelaySeconds ?? 10,
        retryBackoff: true,
        expireInSeconds: job.expireInSeconds ?? 15 * 60,
      };
      await retriedOnDeadlock(() => this.boss.createQueue(job.name, options));
      if (!work) continue;
      if (job.schedule) {
        await this.boss.schedule(job.name, job.schedule.cron, job.schedule.data ?? {}, {
          tz: job.schedule.tz ?? 'UTC',
        });
      }
      await this.boss.work<Record<string, unknown>>(
        job.name,
        { pollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 2 },
        async ([item]) => {
          if (!item) return;
          const ctx: Ctx = {
            db: this.#options.db,
            clock: this.#options.clock,
            log: this.#options.log,
            actor: { type: 'system', id: `job:${job.name}` },
            requestId: `job_${item.id}`,
          };
          await job.handler({ ctx, data: item.data, jobId: item.id });
        },
      );
    }
  }

  async stop(): Promise<void> {
    await this.#boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}

/** Enqueues a job inside `tx`: it exists only if the change that asked for it commits (an outbox). */
export async function enqueue(tx: Tx, name: string, data: object, options: PgBoss.SendOptions = {}) {
  const PgBossClass = await loadPgBoss();
  const boss = new PgBossClass({ db: executeSqlOn(tx), schema: JOBS_SCHEMA });
  const id = await boss.send(name, data, { ...options, db: executeSqlOn(tx) });
  // pg-boss answers null for a queue it does not know: that would drop the work without a word.
  if (id === null && options.singletonKey === undefined) throw new Error(`No job queue named ${name}`);
  return id;
}

/**
 * Runs a job's effect at most once: the effect and a row naming the job commit together, so a job
 * retried after a crash finds the row and does nothing. Returns false when it had already run.
 */
export async function runOnce(
  ctx: Ctx,
  job: { orgId: string; jobId: string; queue: string },
  effect: (tx: Tx) => Promise<void>,
): Promise<boolean> {
  return ctx.db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('job_effects')
      .values({
        org_id: job.orgId,
        job_id: job.jobId,
        queue: job.queue,
        completed_at: toDate(ctx.clock.now()),
      })
      .onConflict((oc) => oc.columns(['org_id', 'job_id']).doNothing())
      .returning('job_id')
      .executeTakeFirst();
    if (!inserted) return false;
    await effect(tx);
    return true;
  });
}

/**
 * Runs `create` again when PostgreSQL picked it as a deadlock's victim (40P01). Processes starting at
 * once on a new database create the queues together, each queue a partition attached to one table:
 * two of them can deadlock, and the victim's work was rolled back whole, so doing it again is safe
 * (a queue another process made meanwhile is left as it is).
 */
async function retriedOnDeadlock(create: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
