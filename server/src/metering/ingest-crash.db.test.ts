import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as access from '../access/index.js';
import * as catalog from '../catalog/index.js';
import { type Ctx, silentLogger } from '../context.js';
import { platformContext } from '../tenant.js';
import { seedSubscribers } from '../testing/billing-fixture.js';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';
import { systemClock } from '../time/index.js';

/**
 * Durability of ingest (C21): a real `billfold start` on PostgreSQL takes batches of events from four
 * senders at once and is killed with SIGKILL at random moments, at least 10 times, and restarted.
 * Every batch the server acknowledged with a 2xx must be counted exactly once afterwards; batches
 * that got no answer are sent again (as a client would), and so are some that did: resending counts
 * nothing twice.
 */

const KILLS = 10;
const SENDERS = 4;
const BATCH = 200;
const CUSTOMERS = 5;
const cli = resolve(import.meta.dirname, '../../dist/cli/main.js');

describe.runIf(engines().includes('postgres'))('ingest, killed again and again', () => {
  let database: TestDatabase;
  let server: ChildProcess | undefined;
  let output = '';
  let secret = '';
  const port = 47_000 + (process.pid % 500);
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm test does)`);
    database = await freshDatabase('postgres');
    const ctx: Ctx = {
      db: database.db,
      clock: systemClock,
      log: silentLogger,
      actor: { type: 'system', id: 'test' },
      requestId: 'req_ingest_crash',
    };
    await seedSubscribers(database.db, {
      count: CUSTOMERS,
      prefix: 'ingest',
      basePrice: 1000,
      timeZone: 'America/Los_Angeles',
      periodEnd: '2030-01-01T08:00:00Z',
    });
    const { user } = await access.signUp(ctx, {
      email: 'operator@ingest.example',
      name: 'Olivia Operator',
      password: 'correct horse battery staple',
      country: 'US',
      postal_code: '94105',
    });
    await access.grantOperator(ctx, user.email);
    const operator = platformContext({ ...ctx, actor: { type: 'user', id: user.id } });
    await catalog.createMetric(
      operator,
      catalog.createMetricBody.parse({
        code: 'api_calls',
        name: 'API calls',
        unit: 'call',
        aggregation: 'sum',
        property: 'calls',
        dimensions: ['region'],
      }),
    );
    const key = await access.createApiKey(operator, { name: 'Backend', mode: 'ingest' });
    secret = key.secret ?? '';
  }, 60_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await database?.close();
  });

  async function startServer(): Promise<void> {
    output = '';
    const child = spawn(process.execPath, [cli, 'start'], {
      env: {
        ...process.env,
        DATABASE_URL: database.url ?? '',
        PORT: String(port),
        BILLFOLD_PUBLIC_URL: base,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    server = child;
    const deadline = Date.now() + 60_000;
    while (!output.includes('Billfold is running')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function killServer(): Promise<void> {
    const child = server;
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  }

  type Batch = { events: { event_id: string; customer: string; code: string; properties: object }[] };

  const post = async (batch: Batch): Promise<'acknowledged' | 'lost'> => {
    try {
      const response = await fetch(`${base}/v1/events/batch`, {
        method: 'POST',
        // A request to a process that froze must not hang the sender.
        signal: AbortSignal.timeout(10_000),
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      if (response.status !== 200) return 'lost';
      const body = (await response.json()) as { errors: unknown[] };
      expect(body.errors).toEqual([]);
      return 'acknowledged';
    } catch {
      // Connection refused or reset: the server died before answering.
      return 'lost';
    }
  };

  it('counts every acknowledged event exactly once, and nothing twice when resent', async () => {
    await startServer();
    const acknowledged: Batch[] = [];
    const unanswered: Batch[] = [];
    let sending = true;
    let made = 0;
    let resent = 0;
    const sender = async (n: number) => {
      while (sending) {
        const batch: Batch = {
          events: Array.from({ length: BATCH }, (_, i) => ({
            event_id: `s${n}-b${made}-e${i}`,
            customer: `org_ingest${String((i % CUSTOMERS) + 1).padStart(6, '0')}`,
            code: 'api_calls',
            properties: { calls: 2, region: i % 2 === 0 ? 'us' : 'eu' },
          })),
        };
        made++;
        // As a client does: the same batch again until it is acknowledged (the server restarting).
        for (;;) {
          if ((await post(batch)) === 'acknowledged') {
            acknowledged.push(batch);
            break;
          }
          resent++;
          if (!sending) {
            unanswered.push(batch);
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, n) => sender(n));
    const restarts: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 900)));
      await killServer();
      const started = Date.now();
      await startServer();
      restarts.push(Date.now() - started);
    }
    sending = false;
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThan(KILLS);

    // A client sends again what got no answer, and some of what did.
    for (const batch of [...unanswered, ...acknowledged.filter((_, i) => i % 5 === 0)]) {
      expect(await post(batch)).toBe('acknowledged');
    }
    await killServer();

    const db = database.db;
    const counted = (
      await sql<{ events: bigint; distinct_ids: bigint; ids: bigint; rolled_up: bigint; total: string }>`
        select (select count(*) from usage_events) as events,
          (select count(distinct event_id) from usage_events) as distinct_ids,
          (select count(*) from usage_event_ids) as ids,
          (select coalesce(sum(events), 0) from usage_rollups)::int8 as rolled_up,
          (select coalesce(sum(total), 0) from usage_rollups)::text as total`.execute(db)
    ).rows[0];
    const sent = new Set([...acknowledged, ...unanswered].flatMap((b) => b.events.map((e) => e.event_id)));
    // Every event sent was, by the end, acknowledged once: each counted exactly once.
    expect(counted).toEqual({
      events: BigInt(sent.size),
      distinct_ids: BigInt(sent.size),
      ids: BigInt(sent.size),
      rolled_up: BigInt(sent.size),
      total: String(sent.size * 2),
    });
    console.info(
      `  ingest killed ${KILLS} times (restarts took ${restarts.join(', ')} ms): ${acknowledged.length} batches acknowledged, ${resent} sends unanswered and repeated, ${sent.size} events counted once`,
    );
  }, 300_000);
});
