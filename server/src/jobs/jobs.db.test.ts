import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ctx } from '../context.js';
import { silentLogger } from '../context.js';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';
import { TestClock, toDate } from '../time/index.js';
import { housekeeping } from './housekeeping.js';
import { defineJob, enqueue, JobRunner, runOnce } from './index.js';

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await sleep(100);
  }
}

const jobState = async (database: TestDatabase, id: string) =>
  (
    await sql<{
      state: string;
      retry_count: number;
    }>`select state, retry_count from pgboss.job where id = ${id}`.execute(database.db)
  ).rows[0];

describe.each(engines())('durable jobs on %s', (engine) => {
  let database: TestDatabase;
  let runner: JobRunner;
  const ran: string[] = [];
  let failuresLeft = 2;
  const clock = new TestClock('2027-03-01T00:00:00Z');

  beforeAll(async () => {
    database = await freshDatabase(engine);
    const recorder = defineJob<{ label: string }>({
      name: 'recorder',
      handler: async ({ data }) => {
        ran.push(data.label);
      },
    });
    const flaky = defineJob<{ label: string }>({
      name: 'flaky',
      retryLimit: 3,
      retryDelaySeconds: 1,
      handler: async ({ data }) => {
        if (failuresLeft-- > 0) throw new Error('transient failure');
        ran.push(data.label);
      },
    });
    runner = new JobRunner({
      db: database.db,
      clock,
      log: silentLogger,
      jobs: [recorder, flaky, housekeeping],
      work: true,
      pollingIntervalSeconds: 0.5,
    });
    await runner.start();
  });
  afterAll(async () => {
    await runner.stop();
    await database.close();
  });

  it('runs a job enqueued in a committed transaction, and never one whose transaction rolled back', async () => {
    const committed = await database.db
      .transaction()
      .execute((tx) => enqueue(tx, 'recorder', { label: 'kept' }));
    await database.db
      .transaction()
      .execute(async (tx) => {
        await enqueue(tx, 'recorder', { label: 'rolled back' });
        throw new Error('the change failed');
      })
      .catch(() => undefined);
    if (!committed) throw new Error('no job id');
    await until(async () => (await jobState(database, committed))?.state === 'completed');
    expect(ran).toContain('kept');
    const { rows } = await sql<{
      n: bigint;
    }>`select count(*) as n from pgboss.job where data->>'label' = 'rolled back'`.execute(database.db);
    expect(rows[0]?.n).toBe(0n);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const id = await database.db.transaction().execute((tx) => enqueue(tx, 'flaky', { label: 'eventually' }));
    if (!id) throw new Error('no job id');
    const state = await until(async () => {
      const s = await jobState(database, id);
      return s?.state === 'completed' && s;
    }, 30_000);
    expect(state.retry_count).toBe(2);
    expect(ran.filter((label) => label === 'eventually')).toHaveLength(1);
  });

  it('runs an effect once per job, however often the job is retried', async () => {
    const ctx: Ctx = {
      db: database.db,
      clock,
      log: silentLogger,
      actor: { type: 'system', id: 'test' },
      requestId: 'req_x',
    };
    const effects: string[] = [];
    const job = { orgId: 'org_jobs', jobId: 'job-1', queue: 'recorder' };
    expect(await runOnce(ctx, job, async () => void effects.push('done'))).toBe(true);
    expect(await runOnce(ctx, job, async () => void effects.push('done again'))).toBe(false);
    // An effect that fails leaves no mark, so the retry does it.
    await expect(
      runOnce(ctx, { ...job, jobId: 'job-2' }, async () => Promise.reject(new Error('crash'))),
    ).rejects.toThrow();
    expect(await runOnce(ctx, { ...job, jobId: 'job-2' }, async () => void effects.push('retried'))).toBe(
      true,
    );
    expect(effects).toEqual(['done', 'retried']);
  });

  it('schedules housekeeping, which drops expired sessions, day-old idempotency keys and ended rate-limit windows', async () => {
    const schedules = await runner.boss.getSchedules();
    expect(schedules.map((s) => s.name)).toContain('housekeeping');

    const now = toDate(clock.now());
    await database.db
      .insertInto('users')
      .values({
        id: 'usr_housekeeping01',
        email: 'hk@example.com',
        name: 'HK',
        password_hash: 'x',
        is_operator: false,
        created_at: now,
      })
      .execute();
    const session = (token: string, expires: Date) => ({
      token_hash: token,
      user_id: 'usr_housekeeping01',
      csrf_token: 'c',
      created_at: now,
      expires_at: expires,
    });
    await database.db
      .insertInto('sessions')
      .values([
        session('expired', new Date(now.getTime() - 1000)),
        session('live', new Date(now.getTime() + 1000)),
      ])
      .execute();
    await database.db
      .insertInto('idempotency_keys')
      .values([
        { scope: 's', key: 'old', request_hash: 'h', created_at: new Date(now.getTime() - 2 * 86_400_000) },
        { scope: 's', key: 'new', request_hash: 'h', created_at: now },
      ])
      .execute();
    await database.db
      .insertInto('rate_limits')
      .values([
        { limit_name: 'hk', key: 'ended', hits: 3, window_ends_at: sql<Date>`now() - interval '1 second'` },
        { limit_name: 'hk', key: 'open', hits: 3, window_ends_at: sql<Date>`now() + interval '10 minutes'` },
      ])
      .execute();
    const ctx: Ctx = {
      db: database.db,
      clock,
      log: silentLogger,
      actor: { type: 'system', id: 'test' },
      requestId: 'job_hk',
    };
    await housekeeping.handler({ ctx, data: {}, jobId: 'hk-1' });
    const sessions = await database.db
      .selectFrom('sessions')
      .select('token_hash')
      .where('user_id', '=', 'usr_housekeeping01')
      .execute();
    expect(sessions.map((s) => s.token_hash)).toEqual(['live']);
    const keys = await database.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('scope', '=', 's')
      .execute();
    expect(keys.map((k) => k.key)).toEqual(['new']);
    const windows = await database.db
      .selectFrom('rate_limits')
      .select('key')
      .where('limit_name', '=', 'hk')
      .execute();
    expect(windows.map((w) => w.key)).toEqual(['open']);
  });
});

/**
 * Workers on several processes share PostgreSQL; PGlite is one process's embedded database, so this
 * test is PostgreSQL's alone (`billfold worker` refuses to start without DATABASE_URL).
 */
describe.runIf(engines().includes('postgres'))('a worker killed in the middle of a job', () => {
  let database: TestDatabase;
  const children: ChildProcess[] = [];
  const fixture = resolve(import.meta.dirname, '../testing/crash-worker.ts');

  function startWorker(url: string, pauseMs: number) {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, url], {
      env: { ...process.env, CRASH_WORKER_PAUSE_MS: String(pauseMs) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    return { child, output: () => output };
  }

  beforeAll(async () => {
    database = await freshDatabase('postgres');
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await database.close();
  });

  it('is retried by another worker and its effect happens exactly once', async () => {
    if (!database.url) throw new Error('no url');
    const first = startWorker(database.url, 60_000);
    await until(async () => first.output().includes('worker-ready'), 30_000);
    const jobId = await database.db
      .transaction()
      .execute((tx) => enqueue(tx, 'crash_test', { orgId: 'org_crash' }));
    if (!jobId) throw new Error('no job id');
    await until(async () => first.output().includes(`effect-started ${jobId}`), 30_000);
    first.child.kill('SIGKILL');

    const second = startWorker(database.url, 0);
    await until(async () => second.output().includes(`job-finished ${jobId}`), 45_000);
    await until(async () => (await jobState(database, jobId))?.state === 'completed', 15_000);

    const effects = await database.db
      .selectFrom('job_effects')
      .selectAll()
      .where('job_id', '=', jobId)
      .execute();
    expect(effects).toHaveLength(1);
    expect((await jobState(database, jobId))?.retry_count).toBeGreaterThanOrEqual(1);
  });
});
