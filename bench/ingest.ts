// Usage ingest, limits and usage reads (npm run bench, or alone: node --import tsx bench/ingest.ts).
// Each figure is set against a baseline measured in the same run, each measurement on a fresh
// database seeded the same way (bench/ingest-fixture.ts): customers on a plan with 20 usage charges.
//   1. Baseline: COPY of the events' rows into usage_events and its dedup table usage_event_ids (with
//      its unique key), 8 concurrent streams (one transaction each) on PostgreSQL, one on PGlite.
//   2. Baseline: a bare Fastify route answering a JSON POST, in the server's process, 8 clients.
//   3. HTTP ingest into Billfold (a child process, as `billfold start` runs), 8 clients sending
//      batches of 1,000 and of 100: events/s, and its ratio to COPY. Targets >= 0.5x (1,000) and
//      >= 0.3x (100) on PostgreSQL, >= 0.25x on PGlite; with 10% duplicates at most 15% slower.
//      Per customer count (BENCH_SIZES, default 1000,10000): the cost per event should stay flat.
//   4. Entitlement check and consume: each alone from 8 clients vs the bare route (target >= 0.7x);
//      then 500 requests/s (half each) while events are ingested at half the top rate: p99 <= 5 ms.
//   5. Under that same load, a probe event every 250 ms: time until GET /v1/usage counts it, p99 <= 1 s.
//   6. One customer's period filled by ingest for BENCH_FILL_SECONDS, then GET /v1/usage for each
//      of its 20 metrics: p99 latency (target: p99 <= 50 ms at 10 million events and 20 charges), as
//      filled and after the hourly upkeep's merge of the rollups (what a month of live sending leaves).
// Prints one JSON document on stdout (its last line); progress on stderr.
//   BENCH_ENGINES=postgres,pglite  BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
//   BENCH_SIZES=1000,10000  BENCH_EVENTS=100000  BENCH_PGLITE_EVENTS=20000  BENCH_CLIENTS=8
//   BENCH_SECONDS=5 (each alone round)  BENCH_LOAD_SECONDS=20  BENCH_ENTITLEMENT_RATE=500
//   BENCH_FILL_SECONDS=120  BENCH_USAGE_READS=200
//   BENCH_ONLY=entitlements: parts 4 and 5 alone (no ingest rounds, no full period), the load's
//   ingest at half of BENCH_TOP_RATE (events/s, default 10000) instead of half the measured top rate.
//   BENCH_ONLY=usage: part 6 alone; with BENCH_FILL_EVENTS=10000000 the period is filled with that
//   many events (at whatever rate ingest reaches) instead of for BENCH_FILL_SECONDS.
// The machine's load average is reported at the start and the end: other work on it lowers every
// figure, the baselines' too, but not always evenly.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { silentLogger } from '../server/src/context.js';
import { migrateToLatest, openDatabase } from '../server/src/db/database.js';
import { openEmbedded } from '../server/src/db/embedded.js';
import { JobRunner, jobs } from '../server/src/jobs/index.js';
import { mergeRollups } from '../server/src/metering/maintenance.js';
import { systemClock } from '../server/src/time/index.js';
import {
  type BenchEvent,
  BULK_CUSTOMER,
  benchEvent,
  COPY_EVENTS_COLUMNS,
  COPY_IDS_COLUMNS,
  copyText,
  currentPeriod,
  customerId,
  FEATURES,
  FIRST_LOAD_CUSTOMER,
  loadEvent,
  METRICS,
  PROBE_CUSTOMER,
  PROBE_METRIC,
  seedMetering,
} from './ingest-fixture.js';

type Engine = 'postgres' | 'pglite';
const env = process.env;
const ENGINES = (env.BENCH_ENGINES ?? 'postgres,pglite').split(',') as Engine[];
const POSTGRES_URL = env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const EVENTS = Number(env.BENCH_EVENTS ?? 100_000);
const PGLITE_EVENTS = Number(env.BENCH_PGLITE_EVENTS ?? 20_000);
const CLIENTS = Number(env.BENCH_CLIENTS ?? 8);
const ALONE_SECONDS = Number(env.BENCH_SECONDS ?? 5);
const LOAD_SECONDS = Number(env.BENCH_LOAD_SECONDS ?? 20);
const ENTITLEMENT_RATE = Number(env.BENCH_ENTITLEMENT_RATE ?? 500);
const FILL_SECONDS = Number(env.BENCH_FILL_SECONDS ?? 120);
const USAGE_READS = Number(env.BENCH_USAGE_READS ?? 200);
const ONLY_ENTITLEMENTS = env.BENCH_ONLY === 'entitlements';
const ONLY_USAGE = env.BENCH_ONLY === 'usage';
const FILL_EVENTS = env.BENCH_FILL_EVENTS ? Number(env.BENCH_FILL_EVENTS) : undefined;
const PROBE_EVERY_MS = 250;
const POLL_EVERY_MS = 5;
const MAX_IN_FLIGHT = 64;

const TARGETS = {
  ratio_to_copy_batch_1000: 0.5,
  ratio_to_copy_batch_100: 0.3,
  ratio_to_copy_pglite: 0.25,
  duplicates_max_slowdown: 0.15,
  per_event_growth: 1.5,
  entitlement_ratio_to_bare: 0.7,
  entitlement_p99_ms_under_load: 5,
  visibility_p99_ms: 1000,
  usage_read_p99_ms: 50,
};

const progress = (message: string) => console.error(`[ingest bench] ${message}`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
const latencySummary = (ms: number[]) => ({
  count: ms.length,
  p50_ms: round(percentile(ms, 50), 2),
  p99_ms: round(percentile(ms, 99), 2),
  max_ms: round(Math.max(...ms), 2),
});

// ---- databases ---------------------------------------------------------------------------------

interface Fresh {
  engine: Engine;
  /** A PostgreSQL URL, or the folder of an embedded database. */
  target: string;
  drop(): Promise<void>;
}

/** A new empty database: one of its own on the PostgreSQL server, or a new PGlite folder. */
async function freshDatabase(engine: Engine): Promise<Fresh> {
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'billfold-ingest-bench-'));
    return { engine, target: dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `billfold_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    target: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop database ${name} with (force)`);
      await client.end();
    },
  };
}

/** The schema and seed `billfold start` would leave, written in this process (the COPY baseline). */
async function prepareInProcess(fresh: Fresh, customers: number) {
  const opening = fresh.engine === 'pglite' ? openEmbedded({ dataDir: fresh.target }) : undefined;
  const database =
    fresh.engine === 'pglite'
      ? await openDatabase({ kind: 'pglite', dataDir: fresh.target, ...(opening ? { opening } : {}) })
      : await openDatabase({ kind: 'postgres', url: fresh.target, poolSize: 2 });
  await migrateToLatest(database.db);
  // The job queue's own schema, as the server creates it at start.
  const runner = new JobRunner({ db: database.db, clock: systemClock, log: silentLogger, jobs, work: false });
  await runner.start();
  await runner.stop();
  await seedMetering(database.db, customers, new Date());
  if (fresh.engine === 'postgres') await sql`analyze`.execute(database.db);
  return { database, embedded: await opening };
}

// ---- 1. the COPY baseline ----------------------------------------------------------------------

/** The same rows an ingest run writes, split over `streams` COPYs, each in one transaction. */
async function measureCopy(engine: Engine, customers: number, count: number, streams: number) {
  const fresh = await freshDatabase(engine);
  const { database, embedded } = await prepareInProcess(fresh, customers);
  const now = new Date();
  const perStream = Array.from({ length: streams }, (_, s) => {
    const events: BenchEvent[] = [];
    for (let n = s; n < count; n += streams) events.push(loadEvent(n, customers, now));
    return copyText(events, now);
  });
  let ms: number;
  if (engine === 'pglite' && embedded) {
    const pglite = embedded.pglite;
    const [rows] = perStream;
    const started = performance.now();
    await pglite.transaction(async (tx) => {
      await tx.query(`copy ${COPY_IDS_COLUMNS} from '/dev/blob'`, [], { blob: new Blob([rows?.ids ?? '']) });
      await tx.query(`copy ${COPY_EVENTS_COLUMNS} from '/dev/blob'`, [], {
        blob: new Blob([rows?.events ?? '']),
      });
    });
    ms = performance.now() - started;
  } else {
    const clients = await Promise.all(
      perStream.map(async () => {
        const client = new pg.Client({ connectionString: fresh.target });
        await client.connect();
        return client;
      }),
    );
    const started = performance.now();
    await Promise.all(
      clients.map(async (client, s) => {
        const rows = perStream[s];
        await client.query('begin');
        await pipeline(
          Readable.from([rows?.ids ?? '']),
          client.query(copyFrom(`copy ${COPY_IDS_COLUMNS} from stdin`)),
        );
        await pipeline(
          Readable.from([rows?.events ?? '']),
          client.query(copyFrom(`copy ${COPY_EVENTS_COLUMNS} from stdin`)),
        );
        await client.query('commit');
      }),
    );
    ms = performance.now() - started;
    await Promise.all(clients.map((client) => client.end()));
  }
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from usage_events`.execute(database.db);
  await database.close();
  await fresh.drop();
  if (Number(rows[0]?.n) !== count) throw new Error(`COPY wrote ${rows[0]?.n} rows, not ${count}`);
  return {
    streams,
    events: count,
    wall_ms: round(ms),
    events_per_second: round(count / (ms / 1000)),
  };
}

// ---- the server and its clients ----------------------------------------------------------------

interface Server {
  child: ChildProcess;
  billfold: URL;
  bare: URL;
  apiKey: string;
  fresh: Fresh;
}

async function startServer(engine: Engine, customers: number): Promise<Server> {
  const fresh = await freshDatabase(engine);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'ingest-server.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...env, BENCH_SERVER_DATABASE: fresh.target, BENCH_SERVER_CUSTOMERS: String(customers) },
    },
  );
  const line = await new Promise<string>((resolveLine, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) resolveLine(buffer.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  const started = JSON.parse(line) as { billfold: string; bare: string; apiKey: string };
  return {
    child,
    billfold: new URL(started.billfold),
    bare: new URL(started.bare),
    apiKey: started.apiKey,
    fresh,
  };
}

async function stopServer(server: Server) {
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  await server.fresh.drop();
}

interface Reply {
  status: number;
  body: string;
  ms: number;
}

/** One request on a keep-alive connection; `ms` from the first byte sent to the last received. */
function request(
  agent: http.Agent,
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  key: string | null,
  body?: string,
) {
  return new Promise<Reply>((resolveReply, reject) => {
    const started = performance.now();
    const headers: http.OutgoingHttpHeaders = key ? { authorization: `Bearer ${key}` } : {};
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request(
      { host: base.hostname, port: base.port, method, path, agent, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolveReply({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const agentFor = (connections: number) => new http.Agent({ keepAlive: true, maxSockets: connections });

function expectOk(reply: Reply, what: string) {
  if (reply.status !== 200) throw new Error(`${what} answered ${reply.status}: ${reply.body.slice(0, 500)}`);
  return JSON.parse(reply.body);
}

// ---- 3. HTTP ingest ----------------------------------------------------------------------------

interface BatchPlan {
  /** Per client: the bodies it sends in order, the first one a warm-up sent before timing. */
  bodies: string[][];
  /** Events in the timed bodies, duplicates included. */
  events: number;
  duplicates: number;
}

/**
 * The same rows as the COPY baseline, cut into batches dealt round-robin to the clients. With a
 * `duplicateShare`, that share of each batch re-sends events of the client's previous batch (the
 * warm-up's for its first), as a sender retrying after a lost answer does.
 */
function planBatches(count: number, batch: number, customers: number, duplicateShare = 0): BatchPlan {
  const now = new Date();
  const fresh = Math.round(batch * (1 - duplicateShare));
  const bodies: string[][] = Array.from({ length: CLIENTS }, () => []);
  const previous: BenchEvent[][] = Array.from({ length: CLIENTS }, () => []);
  // Warm-up batches take event numbers after the timed ones.
  let warmupNext = count + 1_000_000;
  for (let c = 0; c < CLIENTS; c++) {
    const events = Array.from({ length: batch }, () => loadEvent(warmupNext++, customers, now));
    previous[c] = events;
    bodies[c]?.push(JSON.stringify({ events }));
  }
  let n = 0;
  let b = 0;
  let duplicates = 0;
  let sent = 0;
  while (n < count) {
    const c = b++ % CLIENTS;
    const events: BenchEvent[] = [];
    for (let i = 0; i < fresh && n < count; i++) events.push(loadEvent(n++, customers, now));
    const resent = (previous[c] ?? []).slice(0, batch - events.length);
    if (duplicateShare > 0) {
      duplicates += resent.length;
      events.push(...resent);
    }
    previous[c] = events;
    sent += events.length;
    bodies[c]?.push(JSON.stringify({ events }));
  }
  return { bodies, events: sent, duplicates };
}

interface BatchAnswer {
  accepted: number;
  duplicates: unknown[];
  errors: unknown[];
}

/** Every client sends its bodies one after the other; all clients at once. */
async function sendBatches(server: Server, plan: BatchPlan) {
  const agent = agentFor(CLIENTS);
  const send = async (body: string) => {
    const reply = await request(agent, server.billfold, 'POST', '/v1/events/batch', server.apiKey, body);
    const answer = expectOk(reply, 'POST /v1/events/batch') as BatchAnswer;
    if (answer.errors.length > 0)
      throw new Error(`the batch had errors: ${JSON.stringify(answer.errors.slice(0, 3))}`);
    return { answer, ms: reply.ms };
  };
  await Promise.all(plan.bodies.map((bodies) => send(bodies[0] ?? '')));
  const latencies: number[] = [];
  let accepted = 0;
  let duplicates = 0;
  const started = performance.now();
  await Promise.all(
    plan.bodies.map(async (bodies) => {
      for (const body of bodies.slice(1)) {
        const { answer, ms } = await send(body);
        latencies.push(ms);
        accepted += answer.accepted;
        duplicates += answer.duplicates.length;
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  if (accepted + duplicates !== plan.events || duplicates !== plan.duplicates) {
    throw new Error(
      `sent ${plan.events} events (${plan.duplicates} duplicates): ${accepted} accepted, ${duplicates} duplicates`,
    );
  }
  return {
    clients: CLIENTS,
    events: plan.events,
    duplicates,
    wall_ms: round(ms),
    events_per_second: round(plan.events / (ms / 1000)),
    batch_latency: latencySummary(latencies),
  };
}

/** Rows in usage_events on PostgreSQL (the embedded database belongs to the server's process). */
async function countEvents(server: Server): Promise<number | null> {
  if (server.fresh.engine !== 'postgres') return null;
  const client = new pg.Client({ connectionString: server.fresh.target });
  await client.connect();
  const { rows } = await client.query<{ n: string }>('select count(*) as n from usage_events');
  await client.end();
  return Number(rows[0]?.n);
}

async function measureIngest(
  engine: Engine,
  customers: number,
  count: number,
  batch: number,
  duplicateShare = 0,
) {
  const plan = planBatches(count, batch, customers, duplicateShare);
  const server = await startServer(engine, customers);
  try {
    const result = await sendBatches(server, plan);
    const stored = await countEvents(server);
    const expected = plan.events - plan.duplicates + CLIENTS * batch;
    if (stored !== null && stored !== expected)
      throw new Error(`usage_events holds ${stored} rows, not ${expected}`);
    return { batch, ...result, ...(duplicateShare > 0 ? { duplicate_share: duplicateShare } : {}) };
  } finally {
    await stopServer(server);
  }
}

async function ingestForSize(engine: Engine, customers: number) {
  const count = engine === 'pglite' ? PGLITE_EVENTS : EVENTS;
  const streams = engine === 'pglite' ? 1 : CLIENTS;
  progress(`${engine}, ${customers} customers: COPY of ${count} events from ${streams} stream(s)`);
  const copy = await measureCopy(engine, customers, count, streams);
  progress(`  COPY: ${copy.events_per_second} events/s`);
  progress(`${engine}, ${customers} customers: ingest in batches of 1,000`);
  const by1000 = await measureIngest(engine, customers, count, 1000);
  progress(`  batches of 1,000: ${by1000.events_per_second} events/s`);
  const ratio1000 = round(by1000.events_per_second / copy.events_per_second, 3);
  if (engine === 'pglite') {
    return {
      engine,
      customers,
      copy,
      ingest_batch_1000: { ...by1000, ratio_to_copy: ratio1000, target: TARGETS.ratio_to_copy_pglite },
      per_event_us: round((by1000.wall_ms * 1000) / by1000.events, 2),
      met: ratio1000 >= TARGETS.ratio_to_copy_pglite,
    };
  }
  progress(`${engine}, ${customers} customers: ingest in batches of 100`);
  const by100 = await measureIngest(engine, customers, Math.round(count / 2), 100);
  progress(`  batches of 100: ${by100.events_per_second} events/s`);
  const ratio100 = round(by100.events_per_second / copy.events_per_second, 3);
  progress(`${engine}, ${customers} customers: ingest in batches of 1,000 with 10% duplicates`);
  const withDuplicates = await measureIngest(engine, customers, count, 1000, 0.1);
  progress(`  with duplicates: ${withDuplicates.events_per_second} events/s`);
  const slowdown = round(1 - withDuplicates.events_per_second / by1000.events_per_second, 3);
  return {
    engine,
    customers,
    copy,
    ingest_batch_1000: { ...by1000, ratio_to_copy: ratio1000, target: TARGETS.ratio_to_copy_batch_1000 },
    ingest_batch_100: { ...by100, ratio_to_copy: ratio100, target: TARGETS.ratio_to_copy_batch_100 },
    ingest_batch_1000_duplicates: {
      ...withDuplicates,
      slower_than_without_by: slowdown,
      target_max: TARGETS.duplicates_max_slowdown,
    },
    per_event_us: round((by1000.wall_ms * 1000) / by1000.events, 2),
    met:
      ratio1000 >= TARGETS.ratio_to_copy_batch_1000 &&
      ratio100 >= TARGETS.ratio_to_copy_batch_100 &&
      slowdown <= TARGETS.duplicates_max_slowdown,
  };
}

// ---- 2 and 4. the bare route, entitlements alone -----------------------------------------------

const entitlementBody = (n: number, customers: number) =>
  JSON.stringify({
    customer: customerId(FIRST_LOAD_CUSTOMER + (n % Math.max(1, customers - FIRST_LOAD_CUSTOMER + 1))),
    // Requests 0 and 1 (a check and a consume under load) ask for one feature, 2 and 3 the other.
    feature: FEATURES[Math.floor(n / 2) % FEATURES.length],
    quantity: 1,
  });

/** `CLIENTS` connections, each sending its next request when the last is answered, for `seconds`. */
async function closedLoop(base: URL, path: string, key: string | null, customers: number, seconds: number) {
  const agent = agentFor(CLIENTS);
  const latencies: number[] = [];
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const reply = await request(agent, base, 'POST', path, key, entitlementBody(n++, customers));
        expectOk(reply, `POST ${path}`);
        latencies.push(reply.ms);
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return { requests_per_second: round(latencies.length / (ms / 1000)), ...latencySummary(latencies) };
}

/** Bare route, check and consume alone, alternated twice; each one's better round is kept. */
async function measureAlone(server: Server, customers: number) {
  const routes = {
    bare_route: { base: server.bare, path: '/echo', key: null },
    check: { base: server.billfold, path: '/v1/entitlements/check', key: server.apiKey },
    consume: { base: server.billfold, path: '/v1/entitlements/consume', key: server.apiKey },
  };
  type Name = keyof typeof routes;
  const names = Object.keys(routes) as Name[];
  const measure = (name: Name, seconds: number) =>
    closedLoop(routes[name].base, routes[name].path, routes[name].key, customers, seconds);
  // A short warm-up of each (JIT, the key's cache), then two rounds alternated: this machine's
  // other load comes and goes.
  for (const name of names) await measure(name, 1);
  const rounds: Record<Name, Awaited<ReturnType<typeof closedLoop>>[]> = {
    bare_route: [],
    check: [],
    consume: [],
  };
  for (let r = 0; r < 2; r++) {
    for (const name of names) rounds[name].push(await measure(name, ALONE_SECONDS));
  }
  const best = (xs: Awaited<ReturnType<typeof closedLoop>>[]) =>
    xs.reduce((a, b) => (b.requests_per_second > a.requests_per_second ? b : a));
  const bare = best(rounds.bare_route);
  const check = best(rounds.check);
  const consume = best(rounds.consume);
  const ratio = (x: typeof bare) => round(x.requests_per_second / bare.requests_per_second, 3);
  return {
    clients: CLIENTS,
    seconds_per_round: ALONE_SECONDS,
    baseline_bare_route: bare,
    check: { ...check, ratio_to_bare: ratio(check), target: TARGETS.entitlement_ratio_to_bare },
    consume: { ...consume, ratio_to_bare: ratio(consume), target: TARGETS.entitlement_ratio_to_bare },
    met:
      ratio(check) >= TARGETS.entitlement_ratio_to_bare &&
      ratio(consume) >= TARGETS.entitlement_ratio_to_bare,
  };
}

// ---- 4 and 5. limits and visibility under load -------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Batches of 1,000 at `eventsPerSecond`: batch k leaves at k/rate seconds on the first of `CLIENTS`
 * connections free (the pace slips only if all are busy). Bodies are made before the clock starts.
 */
async function pacedIngest(
  server: Server,
  customers: number,
  eventsPerSecond: number,
  seconds: number,
  firstEvent: number,
) {
  const batches = Math.ceil((eventsPerSecond * seconds) / 1000);
  const now = new Date();
  const bodies = Array.from({ length: batches }, (_, b) =>
    JSON.stringify({
      events: Array.from({ length: 1000 }, (_, i) => loadEvent(firstEvent + b * 1000 + i, customers, now)),
    }),
  );
  const agent = agentFor(CLIENTS);
  let next = 0;
  let sent = 0;
  const started = performance.now();
  // Nothing leaves after `seconds`: a server slower than the pace ends on time all the same.
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        const k = next++;
        const body = bodies[k];
        if (body === undefined || performance.now() > until) return;
        const wait = started + (k * 1000 * 1000) / eventsPerSecond - performance.now();
        if (wait > 0) await sleep(wait);
        expectOk(
          await request(agent, server.billfold, 'POST', '/v1/events/batch', server.apiKey, body),
          'batch',
        );
        sent += 1000;
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return { events: sent, events_per_second: round(sent / (ms / 1000)) };
}

/** Check and consume, alternating, at `rate` requests/s in all, sent on time whatever is in flight. */
/**
 * Check and consume, alternating, at `rate` requests/s in all, sent on time whatever is in flight, up
 * to `MAX_IN_FLIGHT` at once and for `seconds`: a server that cannot keep up falls behind the rate
 * (reported) instead of piling up minutes of queue.
 */
async function pacedEntitlements(server: Server, customers: number, rate: number, seconds: number) {
  const agent = agentFor(MAX_IN_FLIGHT);
  const latencies = { check: [] as number[], consume: [] as number[] };
  const inFlight: Promise<void>[] = [];
  let outstanding = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  let n = 0;
  while (performance.now() < until) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; n < due && outstanding < MAX_IN_FLIGHT; n++) {
      const kind = n % 2 === 0 ? 'check' : 'consume';
      outstanding++;
      inFlight.push(
        request(
          agent,
          server.billfold,
          'POST',
          `/v1/entitlements/${kind}`,
          server.apiKey,
          entitlementBody(n, customers),
        ).then((reply) => {
          outstanding--;
          expectOk(reply, kind);
          latencies[kind].push(reply.ms);
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { ...latencies, requests_per_second: round(n / seconds) };
}

/** The probe customer's total of the probe metric, as GET /v1/usage reports it. */
async function probeTotal(agent: http.Agent, server: Server): Promise<number> {
  const reply = await request(
    agent,
    server.billfold,
    'GET',
    `/v1/usage?metric=${PROBE_METRIC}&customer=${PROBE_CUSTOMER}`,
    server.apiKey,
  );
  return Number((expectOk(reply, 'GET /v1/usage') as { total: string }).total);
}

/** One event at a time: sent, then GET /v1/usage polled until its total counts it. */
async function probeVisibility(server: Server, seconds: number) {
  const agent = agentFor(2);
  const delays: number[] = [];
  let expected = await probeTotal(agent, server);
  const until = performance.now() + seconds * 1000;
  let k = 0;
  while (performance.now() < until) {
    const sent = performance.now();
    const body = JSON.stringify({
      event_id: `probe_${String(k++).padStart(20, '0')}`,
      customer: PROBE_CUSTOMER,
      code: PROBE_METRIC,
      timestamp: new Date().toISOString(),
    });
    expectOk(
      await request(agent, server.billfold, 'POST', '/v1/events', server.apiKey, body),
      'POST /v1/events',
    );
    expected++;
    while ((await probeTotal(agent, server)) < expected) {
      if (performance.now() - sent > 30_000) throw new Error('a probe event stayed invisible for 30 s');
      await sleep(POLL_EVERY_MS);
    }
    delays.push(performance.now() - sent);
    await sleep(PROBE_EVERY_MS);
  }
  agent.destroy();
  return delays;
}

async function measureUnderLoad(server: Server, customers: number, topRate: number) {
  const ingestRate = Math.max(1000, Math.round(topRate / 2));
  progress(`under load: ingest at ${ingestRate} events/s, entitlements at ${ENTITLEMENT_RATE}/s, probes`);
  const [ingest, entitlements, visibility] = await Promise.all([
    pacedIngest(server, customers, ingestRate, LOAD_SECONDS, 50_000_000),
    pacedEntitlements(server, customers, ENTITLEMENT_RATE, LOAD_SECONDS),
    probeVisibility(server, LOAD_SECONDS),
  ]);
  const check = latencySummary(entitlements.check);
  const consume = latencySummary(entitlements.consume);
  const seen = latencySummary(visibility);
  return {
    entitlements_under_load: {
      seconds: LOAD_SECONDS,
      ingest_target_events_per_second: ingestRate,
      ingest_achieved: ingest,
      requests_per_second_asked: ENTITLEMENT_RATE,
      requests_per_second_sent: entitlements.requests_per_second,
      check,
      consume,
      target_p99_ms: TARGETS.entitlement_p99_ms_under_load,
      met:
        entitlements.requests_per_second >= 0.95 * ENTITLEMENT_RATE &&
        check.p99_ms <= TARGETS.entitlement_p99_ms_under_load &&
        consume.p99_ms <= TARGETS.entitlement_p99_ms_under_load,
    },
    visibility_under_load: {
      probe_every_ms: PROBE_EVERY_MS,
      poll_every_ms: POLL_EVERY_MS,
      delay: seen,
      target_p99_ms: TARGETS.visibility_p99_ms,
      met: seen.p99_ms <= TARGETS.visibility_p99_ms,
    },
  };
}

// ---- 6. reading a full period ------------------------------------------------------------------

/**
 * The bulk customer's period filled for `seconds` at full speed: batches of 1,000 across its 20
 * metrics, their times moving through the period so far as the batches go, as a month of live
 * sending would leave them. Then GET /v1/usage for each metric, one request at a time.
 */
async function measureUsageRead(server: Server, topRate: number) {
  const now = new Date();
  const { start } = currentPeriod(now);
  const span = now.getTime() - start.getTime();
  const planned = FILL_EVENTS ?? Math.max(1000, topRate * FILL_SECONDS);
  progress(
    FILL_EVENTS
      ? `filling one customer's period with ${FILL_EVENTS} events`
      : `filling one customer's period for ${FILL_SECONDS} s (about ${planned} events)`,
  );
  const filling = () => (FILL_EVENTS ? n < FILL_EVENTS : performance.now() < until);
  const fillStarted = performance.now();
  const agent = agentFor(CLIENTS);
  let n = 0;
  const until = performance.now() + FILL_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (filling()) {
        const first = n;
        n += 1000;
        const events = Array.from({ length: 1000 }, (_, i) => {
          const at = start.getTime() + Math.min(1, (first + i) / planned) * span;
          return benchEvent(100_000_000 + first + i, BULK_CUSTOMER, new Date(Math.min(at, now.getTime())));
        });
        const reply = await request(
          agent,
          server.billfold,
          'POST',
          '/v1/events/batch',
          server.apiKey,
          JSON.stringify({ events }),
        );
        expectOk(reply, 'fill batch');
      }
    }),
  );
  agent.destroy();
  const fillMs = performance.now() - fillStarted;
  const events = n;
  const read = async (query: string, metrics: typeof METRICS = METRICS) => {
    const readAgent = agentFor(1);
    const latencies: number[] = [];
    for (let r = 0; r < USAGE_READS; r++) {
      const metric = metrics[r % metrics.length]?.code;
      const reply = await request(
        readAgent,
        server.billfold,
        'GET',
        `/v1/usage?metric=${metric}&customer=${BULK_CUSTOMER}${query}`,
        server.apiKey,
      );
      expectOk(reply, 'GET /v1/usage');
      latencies.push(reply.ms);
    }
    readAgent.destroy();
    return latencySummary(latencies);
  };
  progress(`reading usage: ${events} events in the period`);
  const byDay = await read('&granularity=day');
  const byHour = await read('&granularity=hour');
  const byRegion = await read(
    '&granularity=day&group_by=region',
    METRICS.filter((metric) => metric.dimensions.includes('region')),
  );
  // The fill packs a month into minutes, so every batch's rollup deltas are still apart; in a month
  // of live sending the hourly upkeep has folded all but the last hour's. Its merge, then the same reads.
  const merged = await mergeAsUpkeepWould(server, now);
  const byDayMerged = merged === null ? null : await read('&granularity=day');
  return {
    events_in_period: events,
    charges: METRICS.length,
    fill_seconds: round(fillMs / 1000),
    reads_each: USAGE_READS,
    by_day: byDay,
    by_hour: byHour,
    by_day_grouped_by_region: byRegion,
    rollup_rows_merged_by_upkeep: merged,
    by_day_after_upkeep: byDayMerged,
    target_p99_ms: TARGETS.usage_read_p99_ms,
    target_at_events: 10_000_000,
    met: (byDayMerged ?? byDay).p99_ms <= TARGETS.usage_read_p99_ms,
  };
}

/** metering.upkeep's merge of the rollups settled before the last hour (PostgreSQL: the bench reaches it). */
async function mergeAsUpkeepWould(server: Server, now: Date): Promise<number | null> {
  if (server.fresh.engine !== 'postgres') return null;
  const database = await openDatabase({ kind: 'postgres', url: server.fresh.target, poolSize: 1 });
  try {
    const ctx = {
      db: database.db,
      clock: systemClock,
      log: silentLogger,
      actor: { type: 'system' as const, id: 'bench' },
      requestId: 'bench',
    };
    return await mergeRollups(ctx, new Date(now.getTime() - 3_600_000));
  } finally {
    await database.close();
  }
}

// ---- the run -----------------------------------------------------------------------------------

const loadAtStart = os.loadavg();
const ingest: Awaited<ReturnType<typeof ingestForSize>>[] = [];
for (const engine of ONLY_ENTITLEMENTS || ONLY_USAGE ? [] : ENGINES) {
  for (const customers of SIZES) ingest.push(await ingestForSize(engine, customers));
}
/** Cost per event at the largest customer count over the smallest, per engine: flat is <= 1.5. */
const growth = Object.fromEntries(
  ENGINES.map((engine) => {
    const mine = ingest.filter((r) => r.engine === engine);
    const first = mine[0];
    const last = mine.at(-1);
    const perEventGrowth = first && last ? round(last.per_event_us / first.per_event_us, 2) : 1;
    return [
      engine,
      {
        from_customers: first?.customers,
        to_customers: last?.customers,
        per_event_growth: perEventGrowth,
        target_max: TARGETS.per_event_growth,
        met: perEventGrowth <= TARGETS.per_event_growth,
      },
    ];
  }),
);

// Limits, visibility and reads on PostgreSQL, at the largest customer count.
const customers = SIZES.at(-1) ?? 1000;
const topRate =
  ingest.filter((r) => r.engine === 'postgres').at(-1)?.ingest_batch_1000.events_per_second ??
  ingest.at(-1)?.ingest_batch_1000.events_per_second ??
  Number(env.BENCH_TOP_RATE ?? 10_000);
const engine: Engine = ENGINES.includes('postgres') ? 'postgres' : 'pglite';
progress(
  `${engine}, ${customers} customers: ${ONLY_USAGE ? 'reading a full period' : 'entitlements alone, vs the bare route'}`,
);
const server = await startServer(engine, customers);
let alone: Awaited<ReturnType<typeof measureAlone>> | undefined;
let underLoad: Awaited<ReturnType<typeof measureUnderLoad>> | undefined;
let usageRead: Awaited<ReturnType<typeof measureUsageRead>> | undefined;
try {
  if (!ONLY_USAGE) {
    alone = await measureAlone(server, customers);
    underLoad = await measureUnderLoad(server, customers, topRate);
  }
  if (!ONLY_ENTITLEMENTS) usageRead = await measureUsageRead(server, topRate);
} finally {
  await stopServer(server);
}

const largestPostgres = ingest.filter((r) => r.engine === 'postgres').at(-1);
const largestPglite = ingest.filter((r) => r.engine === 'pglite').at(-1);
const summary = [
  largestPostgres && 'ingest_batch_100' in largestPostgres
    ? `PostgreSQL ${largestPostgres.customers} customers: ${largestPostgres.ingest_batch_1000.events_per_second} events/s ` +
      `by 1,000 (${largestPostgres.ingest_batch_1000.ratio_to_copy}x COPY), ` +
      `${largestPostgres.ingest_batch_100.events_per_second} by 100 (${largestPostgres.ingest_batch_100.ratio_to_copy}x), ` +
      `10% duplicates ${round(largestPostgres.ingest_batch_1000_duplicates.slower_than_without_by * 100, 1)}% slower`
    : '',
  largestPglite ? `PGlite ${largestPglite.ingest_batch_1000.ratio_to_copy}x COPY` : '',
  alone && underLoad
    ? `entitlements ${alone.check.ratio_to_bare}x bare, p99 ${underLoad.entitlements_under_load.check.p99_ms}/` +
      `${underLoad.entitlements_under_load.consume.p99_ms} ms under load`
    : '',
  underLoad ? `visible p99 ${underLoad.visibility_under_load.delay.p99_ms} ms` : '',
  usageRead
    ? `usage read p99 ${usageRead.by_day.p99_ms} ms at ${usageRead.events_in_period} events` +
      (usageRead.by_day_after_upkeep ? `, ${usageRead.by_day_after_upkeep.p99_ms} ms after upkeep` : '')
    : '',
]
  .filter(Boolean)
  .join('; ');
progress(summary);

const report = {
  summary,
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    load_average_1m_at_start: round(loadAtStart[0] ?? 0, 2),
    load_average_1m_at_end: round(os.loadavg()[0] ?? 0, 2),
  },
  engines: ENGINES,
  customer_counts: SIZES,
  ingest,
  growth,
  entitlements_alone: alone,
  ...underLoad,
  usage_read: usageRead,
  targets: TARGETS,
  met:
    ingest.every((r) => r.met) &&
    Object.values(growth).every((g) => g.met) &&
    (alone?.met ?? ONLY_USAGE) &&
    (underLoad?.entitlements_under_load.met ?? ONLY_USAGE) &&
    (underLoad?.visibility_under_load.met ?? ONLY_USAGE) &&
    (usageRead?.met ?? ONLY_ENTITLEMENTS),
};
console.log(JSON.stringify(report));
