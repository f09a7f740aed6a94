/**
 * Mutation testing (`npm run mutate`; not run in CI): StrykerJS changes the code below one small
 * mistake at a time (a flipped comparison, a dropped condition, an emptied string) and runs the tests
 * that cover it; a mutant no test notices marks a gap in the tests. Money, time, billing,
 * authorization, idempotency and webhook verification are where such gaps cost the most.
 *
 * The whole list takes hours on a small machine. Narrow it for a run, e.g.
 *   BILLFOLD_MUTATE_PROJECT=unit npm run mutate -- --mutate server/src/money/allocate.ts,server/src/money/money.ts
 *   BILLFOLD_MUTATE_PROJECT=db npm run mutate -- --mutate server/src/http/idempotency.ts
 * (vitest.mutate.config.ts says which tests each project runs). The report is written to
 * reports/mutation/index.html.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: [
    'server/src/money/**/*.ts',
    'server/src/time/**/*.ts',
    'server/src/invoicing/compute.ts',
    'server/src/flows/billing-run.ts',
    'server/src/flows/subscription-billing.ts',
    'server/src/access/policy.ts',
    'server/src/http/auth.ts',
    'server/src/http/idempotency.ts',
    'server/src/payments/webhook-signatures.ts',
    '!**/*.test.ts',
    '!**/index.ts',
  ],
  coverageAnalysis: 'perTest',
  // Constants read at import (a header name, a tolerance) would rerun every test per mutant; their
  // values are pinned by the fixed-vector tests instead.
  ignoreStatic: true,
  // The database tests share two cores with everything else: one at a time, with room to be slow.
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
