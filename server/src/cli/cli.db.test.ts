import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engines, freshDatabase } from '../testing/databases.js';

/**
 * The README's quick start, as a user runs it: the built `billfold` CLI, started with demo data on a
 * fresh embedded database, then again on the same folder. `npm test` builds before it runs.
 */
const cli = resolve(import.meta.dirname, '../../dist/cli/main.js');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Run {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm test does)`);
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output, exited: new Promise((r) => child.once('exit', r)) };
}

async function waitFor(probe: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('billfold start on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'billfold-cli-'));
  const port = String(47_000 + (process.pid % 1000));
  const env = { BILLFOLD_DATA_DIR: dataDir, PORT: port, DATABASE_URL: '' };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startAndSignIn(args: string[]) {
    const server = run(['start', ...args], env);
    await waitFor(() => server.output().includes('Billfold is running'), 60_000);
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/health`);
    const signIn = await fetch(`${base}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'demo@example.com', password: 'billfold-demo' }),
    });
    const page = await fetch(`${base}/members`);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    return { output: server.output(), health: health.status, signIn: signIn.status, page };
  }

  it('starts with demo data, prints the URL and the demo sign-in, and serves the web UI', async () => {
    const first = await startAndSignIn(['--demo']);
    expect(first.output).toContain(`Billfold is running at http://localhost:${port}`);
    expect(first.output).toContain('Demo sign-in: demo@example.com / billfold-demo');
    expect(first.output).toContain('Demo data was created now.');
    expect(first.health).toBe(200);
    expect(first.signIn).toBe(200);
    expect(first.page.status).toBe(200);
    expect(first.page.headers.get('content-type')).toContain('text/html');
  });

  it('keeps a second process off the embedded database while it runs', async () => {
    const server = run(['start'], env);
    await waitFor(() => server.output().includes('Billfold is running'), 60_000);
    const second = run(['operator', 'demo@example.com'], env);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`is in use by process ${server.child.pid}`);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('keeps its data across restarts and does not seed twice', async () => {
    const again = await startAndSignIn(['--demo']);
    expect(again.output).not.toContain('Demo data was created now.');
    expect(again.signIn).toBe(200);
  });

  it('makes an existing account an operator, and says so for an unknown one', async () => {
    const granted = run(['operator', 'member@example.com'], env);
    expect(await granted.exited).toBe(0);
    expect(granted.output()).toContain('member@example.com is a platform operator.');
    const unknown = run(['operator', 'nobody@example.com'], env);
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toContain('No account with the email nobody@example.com');
  });

  it('refuses to run a separate worker on the embedded database', async () => {
    const worker = run(['worker'], env);
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain('billfold worker needs DATABASE_URL');
  });
});

describe.runIf(engines().includes('postgres'))('billfold on PostgreSQL', () => {
  it('migrates, and runs a worker that stops cleanly', async () => {
    const database = await freshDatabase('postgres');
    const url = database.url ?? '';
    await database.close();
    const migrate = run(['migrate'], { DATABASE_URL: url });
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('The database is up to date.');

    const worker = run(['worker'], { DATABASE_URL: url });
    await waitFor(() => worker.output().includes('is running'), 30_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
