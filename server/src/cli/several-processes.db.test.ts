import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';

/**
 * Billfold grows by running more processes on one PostgreSQL (docs/scaling.md). Three real
 * `billfold start` processes on three ports share a database; a change made through one must hold in
 * all of them within a second: a revoked API key, a removed member, an organization's new name. And
 * sign-in attempts spread over all three are limited in total, not per process.
 *
 * PostgreSQL only: the embedded database belongs to one process.
 */

const PROCESSES = 3;
/** The promise of docs/scaling.md: a change holds in every process within this time. */
const PROPAGATION_LIMIT_MS = 1000;
const cli = resolve(import.meta.dirname, '../../dist/cli/main.js');

interface Process {
  child: ChildProcess;
  base: string;
  output: () => string;
}

interface Person {
  cookie: string;
  csrf: string;
}

describe.runIf(engines().includes('postgres'))('several billfold start processes on one PostgreSQL', () => {
  let database: TestDatabase;
  const processes: Process[] = [];
  const firstPort = 48_000 + (process.pid % 500) * 3;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm test does)`);
    database = await freshDatabase('postgres');
    for (let i = 0; i < PROCESSES; i++) processes.push(start(firstPort + i));
    await Promise.all(
      processes.map((p) =>
        waitFor(() => p.output().includes('Billfold is running'), 60_000).catch(() => {
          throw new Error(`${p.base} did not start:\n${p.output()}`);
        }),
      ),
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(
      processes.map(
        ({ child }) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      ),
    );
    await database?.close();
  });

  function start(port: number): Process {
    const child = spawn(process.execPath, [cli, 'start'], {
      env: {
        ...process.env,
        DATABASE_URL: database.url ?? '',
        PORT: String(port),
        BILLFOLD_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    return { child, base: `http://127.0.0.1:${port}`, output: () => output };
  }

  async function call(
    on: Process,
    method: string,
    path: string,
    options: { as?: Person; bearer?: string; org?: string; body?: unknown } = {},
  ) {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.as) {
      headers.cookie = options.as.cookie;
      headers['x-csrf-token'] = options.as.csrf;
    }
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.org) headers['billfold-organization'] = options.org;
    const response = await fetch(`${on.base}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  }

  async function signUp(on: Process, email: string): Promise<Person> {
    const response = await call(on, 'POST', '/v1/users', {
      body: { email, password: 'correct horse battery', name: email, country: 'US', postal_code: '10001' },
    });
    expect(response.status).toBe(201);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('billfold_session='));
    if (!cookie) throw new Error('sign-up set no session cookie');
    return { cookie: cookie.split(';')[0] ?? '', csrf: response.body.csrf_token };
  }

  /**
   * Makes the change through process 1, then asks processes 2 and 3 every few milliseconds until each
   * answers as the change requires. Returns each one's delay after the change's response arrived.
   */
  async function propagation(
    change: () => Promise<unknown>,
    changed: (on: Process) => Promise<boolean>,
  ): Promise<number[]> {
    await change();
    const changedAt = performance.now();
    return Promise.all(
      processes.slice(1).map(async (on) => {
        while (!(await changed(on))) {
          if (performance.now() - changedAt > 10_000) throw new Error(`${on.base} never saw the change`);
          await new Promise((r) => setTimeout(r, 5));
        }
        return Math.round(performance.now() - changedAt);
      }),
    );
  }

  let owner: Person;
  let orgId: string;

  it('starts three processes that serve one database', async () => {
    const [one, two, three] = processes as [Process, Process, Process];
    owner = await signUp(one, 'owner@scaling.example');
    const org = await call(two, 'POST', '/v1/organizations', {
      as: owner,
      body: { name: 'Scaling Inc', country: 'US', postal_code: '10001' },
    });
    expect(org.status).toBe(201);
    orgId = org.body.id;
    const seen = await call(three, 'GET', '/v1/organization', { as: owner, org: orgId });
    expect(seen.body.name).toBe('Scaling Inc');
  });

  it('refuses a revoked API key in every process within a second', async () => {
    const [one] = processes as [Process];
    const key = await call(one, 'POST', '/v1/api_keys', {
      as: owner,
      org: orgId,
      body: { name: 'integration', mode: 'read_only' },
    });
    expect(key.status).toBe(201);
    const secret: string = key.body.secret;
    // Every process has the key in its cache: only the announcement can make them forget it in time.
    for (const on of processes) {
      expect((await call(on, 'GET', '/v1/organization', { bearer: secret })).status).toBe(200);
    }
    const delays = await propagation(
      async () => {
        const revoked = await call(one, 'DELETE', `/v1/api_keys/${key.body.id}`, { as: owner, org: orgId });
        expect(revoked.status).toBe(200);
      },
      async (on) => (await call(on, 'GET', '/v1/organization', { bearer: secret })).status === 401,
    );
    console.log(`revoked API key refused by processes 2 and 3 after ${delays.join(' and ')} ms`);
    for (const delay of delays) expect(delay).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it("shows an organization's new name in every process within a second", async () => {
    const [one] = processes as [Process];
    for (const on of processes) {
      expect((await call(on, 'GET', '/v1/organization', { as: owner, org: orgId })).body.name).toBe(
        'Scaling Inc',
      );
    }
    const delays = await propagation(
      async () => {
        const renamed = await call(one, 'POST', '/v1/organization', {
          as: owner,
          org: orgId,
          body: { name: 'Scaled Inc' },
        });
        expect(renamed.status).toBe(200);
      },
      async (on) =>
        (await call(on, 'GET', '/v1/organization', { as: owner, org: orgId })).body.name === 'Scaled Inc',
    );
    console.log(`renamed organization seen by processes 2 and 3 after ${delays.join(' and ')} ms`);
    for (const delay of delays) expect(delay).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it('refuses a removed member in every process within a second', async () => {
    const [one, two] = processes as [Process, Process];
    const invitation = await call(one, 'POST', '/v1/invitations', {
      as: owner,
      org: orgId,
      body: { email: 'member@scaling.example', role: 'member' },
    });
    expect(invitation.status).toBe(201);
    const member = await signUp(two, 'member@scaling.example');
    const token = String(invitation.body.url).split('/invite/')[1];
    const accepted = await call(two, 'POST', '/v1/invitations/accept', { as: member, body: { token } });
    expect(accepted.status).toBe(200);
    const memberId = (await call(two, 'GET', '/v1/session', { as: member })).body.user.id;
    for (const on of processes) {
      expect((await call(on, 'GET', '/v1/members', { as: member, org: orgId })).status).toBe(200);
    }
    const delays = await propagation(
      async () => {
        const removed = await call(one, 'DELETE', `/v1/members/${memberId}`, { as: owner, org: orgId });
        expect(removed.status).toBe(200);
      },
      async (on) => (await call(on, 'GET', '/v1/members', { as: member, org: orgId })).status === 403,
    );
    console.log(`removed member refused by processes 2 and 3 after ${delays.join(' and ')} ms`);
    for (const delay of delays) expect(delay).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it('still refuses a revoked key within a second when the listening connections were cut', async () => {
    const [one] = processes as [Process];
    const key = await call(one, 'POST', '/v1/api_keys', {
      as: owner,
      org: orgId,
      body: { name: 'second integration', mode: 'read_only' },
    });
    const secret: string = key.body.secret;
    for (const on of processes) {
      expect((await call(on, 'GET', '/v1/organization', { bearer: secret })).status).toBe(200);
    }
    // As a failover or a proxy's idle timeout would: notifications sent now reach nobody.
    const cut = await sql<{ pid: number }>`
      select pg_terminate_backend(pid) as pid from pg_stat_activity
      where datname = current_database() and query ilike 'LISTEN%'`.execute(database.db);
    expect(cut.rows).toHaveLength(PROCESSES);
    const delays = await propagation(
      async () => {
        const revoked = await call(one, 'DELETE', `/v1/api_keys/${key.body.id}`, { as: owner, org: orgId });
        expect(revoked.status).toBe(200);
      },
      async (on) => (await call(on, 'GET', '/v1/organization', { bearer: secret })).status === 401,
    );
    console.log(
      `with listeners cut, revoked key refused by processes 2 and 3 after ${delays.join(' and ')} ms`,
    );
    for (const delay of delays) expect(delay).toBeLessThan(PROPAGATION_LIMIT_MS);
    // Each process listens again, and says it had stopped hearing changes.
    await waitFor(() => processes.every((p) => p.output().includes('Not hearing access changes')), 5_000);
    let listening = 0;
    const deadline = Date.now() + 10_000;
    while (listening < PROCESSES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const rows = await sql<{ n: number }>`
        select count(*)::integer as n from pg_stat_activity
        where datname = current_database() and query ilike 'LISTEN%'`.execute(database.db);
      listening = rows.rows[0]?.n ?? 0;
    }
    expect(listening).toBe(PROCESSES);
  });

  it('limits sign-in attempts for one email across all processes together', async () => {
    // 10 per 10 minutes per email: 15 wrong passwords at once, spread over the three processes.
    const statuses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        call(processes[i % PROCESSES] as Process, 'POST', '/v1/session', {
          body: { email: 'owner@scaling.example', password: `wrong guess ${i}` },
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    // Spent for the right password too, in every process.
    for (const on of processes) {
      const right = await call(on, 'POST', '/v1/session', {
        body: { email: 'owner@scaling.example', password: 'correct horse battery' },
      });
      expect(right.status).toBe(429);
    }
  });
});

async function waitFor(probe: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
