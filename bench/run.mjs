#!/usr/bin/env node
// Benchmarks (npm run bench): prints one JSON document and a one-line summary. Each figure is set
// against a baseline measured in the same run on the same machine.
//   api:     authenticated GET /v1/organization with an API key vs a bare Fastify route returning
//            constant JSON; autocannon, 50 connections, 10 s each, alternated twice, the better round of
//            each kept. Target: ratio >= 0.6, p99 <= 15 ms.
//   startup: `billfold start` on an existing embedded database to the first 200 from /health,
//            vs a bare Node process to its first 200. Target: <= 2000 ms.
//   billing: the monthly run for 1,000 and 10,000 subscriptions on PGlite and PostgreSQL, renewals by
//            the batch vs multi-row INSERTs of the same rows in batches of 500, then the charges
//            (bench/billing-run.ts). Targets: ratio <= 3, >= 500 renewals/s on PostgreSQL and >= 200/s
//            on PGlite, >= 200/s with charges on PostgreSQL, cost per subscription flat within 1.5x.
//   ingest:  usage events by HTTP vs COPY of the same rows, entitlement checks vs a bare Fastify POST,
//            event-to-usage delay and usage reads under load (bench/ingest.ts). Targets: >= 0.5x COPY
//            in batches of 1,000, >= 0.3x in batches of 100, >= 0.25x on PGlite, 10% duplicates at
//            most 15% slower; entitlements >= 0.7x the bare route, p99 <= 5 ms under load; an event
//            counted within 1 s (p99); GET /v1/usage p99 <= 50 ms.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';

const root = resolve(import.meta.dirname, '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

function firstLine(child) {
  return new Promise((resolveLine, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) resolveLine(buffer.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

const load = (url, headers) =>
  autocannon({ url, connections: 50, duration: seconds, headers, pipelining: 1 }).then((r) => ({
    requests_per_second: Math.round(r.requests.average),
    latency_p50_ms: r.latency.p50,
    latency_p99_ms: r.latency.p99,
    non_2xx: r.non2xx,
    errors: r.errors,
  }));

async function apiBenchmark() {
  const server = spawn(process.execPath, [resolve(root, 'bench/servers.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { billfold, bare, apiKey, dataDir } = JSON.parse(await firstLine(server));
  const authorization = `Bearer ${apiKey}`;
  // Warm both (JIT, caches), then measure one after the other.
  await autocannon({
    url: `${billfold}/v1/organization`,
    connections: 10,
    duration: 2,
    headers: { authorization },
  });
  await autocannon({ url: `${bare}/constant`, connections: 10, duration: 2 });
  // Alternate the two twice and keep each one's better round: this machine's other load comes and goes.
  const rounds = { baseline: [], authenticated: [] };
  for (let round = 0; round < 2; round++) {
    rounds.baseline.push(await load(`${bare}/constant`, {}));
    rounds.authenticated.push(await load(`${billfold}/v1/organization`, { authorization }));
  }
  const best = (xs) => xs.reduce((a, b) => (b.requests_per_second > a.requests_per_second ? b : a));
  const baseline = best(rounds.baseline);
  const authenticated = best(rounds.authenticated);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  const ratio = Number((authenticated.requests_per_second / baseline.requests_per_second).toFixed(3));
  return {
    dataDir,
    result: {
      rounds,
      baseline_bare_route: baseline,
      authenticated_get: authenticated,
      ratio,
      targets: { ratio: 0.6, p99_ms: 15 },
      met: ratio >= 0.6 && authenticated.latency_p99_ms <= 15 && authenticated.non_2xx === 0,
    },
  };
}

async function timeToFirst200(args, url, env) {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = Math.round(performance.now() - started);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

async function startupBenchmark(dataDir) {
  const bareScript = "require('node:http').createServer((q,s)=>s.end('ok')).listen(4911,'127.0.0.1')";
  const runs = [];
  const baselines = [];
  for (let i = 0; i < 3; i++) {
    baselines.push(await timeToFirst200(['-e', bareScript], 'http://127.0.0.1:4911/'));
    runs.push(
      await timeToFirst200(
        [resolve(root, 'server/dist/cli/main.js'), 'start'],
        'http://127.0.0.1:4912/health',
        {
          PORT: '4912',
          BILLFOLD_DATA_DIR: dataDir,
        },
      ),
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[1];
  const ms = median(runs);
  return {
    runs_ms: runs,
    median_ms: ms,
    baseline_bare_node_ms: median(baselines),
    target_ms: 2000,
    met: ms <= 2000,
  };
}

/** A benchmark written in TypeScript (bench/<file>), in a process of its own: it prints one JSON line. */
async function typescriptBenchmark(file) {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'bench', file)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`the ${file} benchmark exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1));
}

const api = await apiBenchmark();
const startup = await startupBenchmark(api.dataDir);
const billing = await typescriptBenchmark('billing-run.ts');
const ingest = await typescriptBenchmark('ingest.ts');
const report = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  api: api.result,
  startup,
  billing_run: billing,
  ingest,
};
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
writeFileSync(resolve(root, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
console.log(
  `api: ${api.result.authenticated_get.requests_per_second} req/s vs bare ${api.result.baseline_bare_route.requests_per_second} ` +
    `(ratio ${api.result.ratio}, p99 ${api.result.authenticated_get.latency_p99_ms} ms) ${api.result.met ? 'MET' : 'MISSED'}; ` +
    `startup: ${startup.median_ms} ms (bare node ${startup.baseline_bare_node_ms} ms) ${startup.met ? 'MET' : 'MISSED'}; ` +
    `billing run: ${billing.subscriptions} subscriptions in ${billing.run.wall_ms} ms, ${billing.run.rows_written} rows ` +
    `(ratio ${billing.ratio} to plain inserts) ${billing.met ? 'MET' : 'MISSED'}; ` +
    `ingest: ${ingest.summary} ${ingest.met ? 'MET' : 'MISSED'}`,
);
