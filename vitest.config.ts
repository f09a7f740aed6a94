import { defineConfig } from 'vitest/config';

/**
 * One run, four projects: fast unit and property tests, database tests (each runs on PGlite and,
 * when BILLFOLD_TEST_POSTGRES_URL is set, again on PostgreSQL), browser tests in Chromium, and
 * tests against the gateways' real sandboxes, which run only when their keys are set.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/src/**/*.test.ts', 'sdk/src/**/*.test.ts', 'web/src/**/*.test.ts'],
          exclude: ['**/*.db.test.ts', '**/*.live.test.ts'],
        },
      },
      {
        test: {
          name: 'db',
          include: ['server/src/**/*.db.test.ts', 'sdk/src/**/*.db.test.ts', 'golden/**/*.db.test.ts'],
          globalSetup: ['server/src/testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'live',
          include: ['server/src/**/*.live.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          // A page needs longer than a function to show what the test waits for.
          expect: { poll: { timeout: 10_000, interval: 100 } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
