import { defineConfig } from 'vitest/config';

/**
 * The tests a mutation run (`npm run mutate`, StrykerJS) uses: the unit tests of the mutated code
 * and the database tests that reach it, on PGlite only. PostgreSQL would double every run without
 * telling a surviving mutant apart, so its URL is ignored here. BILLFOLD_MUTATE_PROJECT=unit (or db)
 * keeps one of the two: code the unit tests cover fully (money, signatures) mutates in minutes that
 * way, where every database test file reruns its setup for each mutant.
 */
delete process.env.BILLFOLD_TEST_POSTGRES_URL;
const only = process.env.BILLFOLD_MUTATE_PROJECT;

const projects = [
  {
    test: {
      name: 'unit',
      include: [
        'server/src/money/**/*.test.ts',
        'server/src/time/**/*.test.ts',
        'server/src/payments/webhook-signatures.test.ts',
      ],
      exclude: ['**/*.db.test.ts'],
    },
  },
  {
    test: {
      name: 'db',
      include: [
        'server/src/http/idempotency.db.test.ts',
        'server/src/http/conventions.db.test.ts',
        'server/src/http/authorization.db.test.ts',
        'server/src/flows/billing-run.db.test.ts',
        'server/src/flows/billing-rules.db.test.ts',
        'server/src/flows/webhooks.db.test.ts',
        'server/src/payments/gateways/stripe/stripe.db.test.ts',
        'server/src/payments/gateways/cashfree/cashfree.db.test.ts',
      ],
      globalSetup: ['server/src/testing/global-setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  },
];

export default defineConfig({
  test: { projects: projects.filter((project) => !only || project.test.name === only) },
});
