import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { engines } from '../testing/databases.js';
import { createMetrics, ingestKeyOf, meteredCustomer } from '../testing/metering.js';
import type { ImportState } from './usage-import/import-state.js';

/**
 * `billfold usage import FILE` as an operator runs it: the CLI in a process of its own sends a
 * generated file to a Billfold listening on a real port, is killed with SIGKILL halfway, and is run
 * again; the database then holds every event of the file exactly once, and the row whose customer
 * does not exist is named by its line.
 */

const cli = resolve(import.meta.dirname, 'main.ts');
const ROWS = 6000;
/** The row (a file line, after the CSV header) whose customer is unknown. */
const UNKNOWN_CUSTOMER_ROW = 4321;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function importFile(file: string, server: string, key: string, extra: string[] = []): Run {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'usage', 'import', file, '--url', server, '--batch', '100', ...extra],
    { env: { ...process.env, BILLFOLD_API_KEY: key }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output, exited: new Promise((done) => child.once('exit', done)) };
}

function readState(file: string): ImportState | undefined {
  try {
    return JSON.parse(readFileSync(`${file}.import-state`, 'utf8')) as ImportState;
  } catch {
    return undefined;
  }
}

describe.each(engines())('billfold usage import on %s', (engine) => {
  const folder = mkdtempSync(join(tmpdir(), 'billfold-usage-import-'));
  let api: TestApi;
  let server: string;
  let ingestKey: string;
  let orgId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    const operator: Person = await api.signUpOperator();
    await createMetrics(api, operator, [
      {
        code: 'machine_hours',
        name: 'Machine hours',
        unit: 'hour',
        aggregation: 'sum',
        property: 'hours',
        dimensions: ['region', 'pool'],
      },
    ]);
    ingestKey = (await ingestKeyOf(api, operator, 'Importer')).apiKey;
    ({ orgId } = await meteredCustomer(api, 'Imported'));
    server = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Row `i` (1-based) of a file: a quarter hour of machine time, in the test clock's current hour. */
  const row = (prefix: string, i: number) => ({
    event_id: `${prefix}-${i}`,
    customer: i === UNKNOWN_CUSTOMER_ROW ? 'org_nobody' : orgId,
    code: 'machine_hours',
    timestamp: `2027-01-15T10:${String(i % 60).padStart(2, '0')}:00Z`,
    properties: { region: i % 2 ? 'us' : 'eu', pool: `p${i % 3}`, hours: 0.25 },
  });

  const files = {
    csv: (prefix: string) => {
      const lines = ['event_id,customer,code,timestamp,region,pool,hours'];
      for (let i = 1; i <= ROWS; i++) {
        const { event_id, customer, code, timestamp, properties: p } = row(prefix, i);
        lines.push([event_id, customer, code, timestamp, p.region, p.pool, p.hours].join(','));
      }
      return { text: `${lines.join('\n')}\n`, unknownCustomerLine: UNKNOWN_CUSTOMER_ROW + 1 };
    },
    ndjson: (prefix: string) => {
      const lines: string[] = [];
      for (let i = 1; i <= ROWS; i++) lines.push(JSON.stringify(row(prefix, i)));
      return { text: `${lines.join('\n')}\n`, unknownCustomerLine: UNKNOWN_CUSTOMER_ROW };
    },
  };

  it.each(['csv', 'ndjson'] as const)(
    'imports a %s file killed halfway and run again, counting every event exactly once',
    async (format) => {
      const prefix = `${engine}-${format}`;
      const { text, unknownCustomerLine } = files[format](prefix);
      const file = join(folder, `usage.${format}`);
      writeFileSync(file, text);

      const first = importFile(file, server, ingestKey);
      // Killed as soon as a third of the file is acknowledged, with batches still in flight.
      while ((readState(file)?.position.line ?? 0) < ROWS / 3) {
        if (first.child.exitCode !== null) throw new Error(`the import ended early:\n${first.output()}`);
        await sleep(5);
      }
      first.child.kill('SIGKILL');
      await first.exited;
      const interrupted = readState(file);
      expect(interrupted?.position.line).toBeLessThan(ROWS);

      const second = importFile(file, server, ingestKey);
      expect(await second.exited, second.output()).toBe(0);
      const output = second.output();
      expect(output).toContain(`Resuming ${file} after line ${interrupted?.position.line}`);
      // Events the first run sent but was killed before hearing of come back as duplicates.
      const [, accepted = 0, duplicates = 0] =
        /(\d+) accepted, (\d+) duplicates, 1 rejected/.exec(output)?.map(Number) ?? [];
      expect(accepted + duplicates).toBe(ROWS - 1);
      expect(output).toContain(`line ${unknownCustomerLine}: customer.not_found`);
      expect(existsSync(`${file}.import-state`)).toBe(false);

      await expectCountedOnce(prefix);
    },
  );

  it('waits out a server that goes away mid-import, and counts what it resends once', async () => {
    const prefix = `${engine}-outage`;
    const file = join(folder, 'outage.ndjson');
    writeFileSync(file, files.ndjson(prefix).text);
    const proxy = await tcpProxy(new URL(server).port);
    const run = importFile(file, `http://127.0.0.1:${proxy.port}`, ingestKey);
    while ((readState(file)?.position.line ?? 0) < ROWS / 3) await sleep(5);
    // Connections cut and refused for a second and a half, answers in flight lost with them.
    await proxy.down();
    await sleep(1500);
    await proxy.up();
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toMatch(/\d+ accepted, \d+ duplicates, 1 rejected/);
    await expectCountedOnce(prefix);
  });

  it('stops at once with the server’s reason when it refuses the key', async () => {
    const file = join(folder, 'refused.ndjson');
    writeFileSync(file, files.ndjson(`${engine}-refused`).text);
    const run = importFile(file, server, 'bf_not_a_key');
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(new RegExp(`Stopped: ${server} refused the batch: 401 \\w+`));
    const { rows } = await sql<{ events: bigint }>`
      select count(*) as events from usage_events where event_id like ${`${engine}-refused-%`}`.execute(
      api.database.db,
    );
    expect(rows[0]?.events).toBe(0n);
  });

  /** Every event of a file in the database once, and in the hourly rollups once. */
  async function expectCountedOnce(prefix: string) {
    const { rows } = await sql<{ events: bigint; distinct_ids: bigint; hours: string }>`
      select count(*) as events, count(distinct event_id) as distinct_ids,
        sum((properties->>'hours')::numeric)::text as hours
      from usage_events where event_id like ${`${prefix}-%`}`.execute(api.database.db);
    expect(rows[0]).toEqual({
      events: BigInt(ROWS - 1),
      distinct_ids: BigInt(ROWS - 1),
      hours: ((ROWS - 1) / 4).toFixed(2),
    });
    const totals = await sql<{ events: bigint; rolled_up: bigint }>`
      select (select count(*) from usage_events) as events,
        (select sum(events) from usage_rollups)::int8 as rolled_up`.execute(api.database.db);
    expect(totals.rows[0]?.rolled_up).toBe(totals.rows[0]?.events);
  }
});

/**
 * A TCP relay in front of the server that can be taken down (every connection cut, new ones refused)
 * and brought back on the same port: a server outage as the importer sees it, without stopping the
 * server the test reads the database through.
 */
async function tcpProxy(targetPort: string) {
  const sockets = new Set<Socket>();
  let relay: Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((done) => {
      const listening = createServer((client) => {
        const upstream = connect(Number(targetPort), '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => {});
          socket.on('close', () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      relay = listening;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as AddressInfo).port;
        done();
      });
    });
  const down = () =>
    new Promise<void>((done) => {
      for (const socket of sockets) socket.destroy();
      relay?.close(() => done());
    });
  await up();
  return { port, up, down };
}
