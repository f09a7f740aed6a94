#!/usr/bin/env node
// `npm test`: builds what the browser tests serve, runs every suite in one Vitest run, and ends with
// one line of totals. Under CI nothing may be skipped: a skipped database or browser test fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit', shell: false }).status ?? 1;

if (run('npm', ['run', 'build', '--silent']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const results = '.vitest-results.json';
rmSync(results, { force: true });
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${results}`,
  ...process.argv.slice(2),
]);
if (!existsSync(results)) {
  console.log('0 passed, 1 failed');
  process.exit(status || 1);
}
const summary = JSON.parse(readFileSync(results, 'utf8'));
const passed = summary.numPassedTests;
// Failed tests; a file that failed before any test ran (an import error) counts once.
const brokenFiles = summary.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length;
// A run that failed outside any test (a global setup without its database, an unhandled rejection)
// still counts as one failure: the totals line never says "0 failed" for a red run.
const failed = Math.max(summary.numFailedTests + brokenFiles, status !== 0 ? 1 : 0);
const skippedIn = (files) =>
  files.reduce(
    (sum, file) =>
      sum +
      file.assertionResults.filter(
        (test) => test.status === 'pending' || test.status === 'skipped' || test.status === 'todo',
      ).length,
    0,
  );
// Tests against the gateways' real sandboxes need keys no CI machine has: they say they were skipped.
const liveFiles = summary.testResults.filter((file) => file.name.endsWith('.live.test.ts'));
const liveSkipped = skippedIn(liveFiles);
const skipped = summary.numPendingTests + summary.numTodoTests - liveSkipped;
if (liveSkipped > 0)
  console.error(`\n${liveSkipped} live gateway tests skipped: set the sandbox keys they name to run them.`);
if (skipped > 0) {
  console.error(
    process.env.CI
      ? `\n${skipped} tests were skipped; under CI every suite must run.`
      : `\n${skipped} tests were skipped (the reasons are printed above: a missing PostgreSQL or Chromium).`,
  );
}
// The last line is the totals alone: `N passed, N failed`; skips were said above it.
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status !== 0 || failed > 0 || (skipped > 0 && process.env.CI) ? 1 : 0);
